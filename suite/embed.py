"""The embedding engine: each distinct sequence embedded once per model, cached on disk.

For the sequences not yet cached: apply the long-sequence policy
(``truncate`` to ``meta.max_length`` residues, or ``chunk`` into windows of
``max_length`` whose vectors are averaged weighted by window length — the
same as a masked mean over the full sequence of window-local states), sort the
pieces by length (longest first, so an out-of-memory shows up at once), group
them into batches whose *padded* size ``batch × (longest + special tokens)``
stays under ``token_budget``, run the model, and write each finished batch to
the cache. Under ``torchrun`` the missing pieces are sharded by rank and every
rank writes into the shared cache; a barrier then lets all ranks read all
vectors back.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .cache import CacheKey, CorruptShardError, EmbeddingCache, content_hash
from .spec import ModelMeta

POLICIES = ("truncate", "chunk")


class EmbeddingError(ValueError):
    """A model returned unusable vectors (wrong shape or row count, non-finite values, unknown dtype)."""


def as_float32(x: Any, model: str, what: str) -> np.ndarray:
    """``x`` (numpy array, list or torch tensor of any float dtype, bf16 included) as a float32 numpy array."""
    if hasattr(x, "detach") and hasattr(x, "float"):       # a torch tensor (bf16/fp16 cannot go to numpy as is)
        try:
            x = x.detach().float().cpu().numpy()
        except Exception as exc:
            raise EmbeddingError(f"model {model!r}: {what} returned a tensor that cannot be converted to "
                                 f"float32 ({type(exc).__name__}: {exc})") from exc
    try:
        return np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise EmbeddingError(f"model {model!r}: {what} returned {type(x).__name__} that is not a float array "
                             f"({exc}); return numpy float32 arrays or torch tensors") from exc


def check_finite(vecs: Sequence[np.ndarray], model: str, what: str) -> None:
    """Refuse NaN/inf vectors, naming the model and how many of the batch's sequences are affected."""
    bad = [i for i, v in enumerate(vecs) if not np.all(np.isfinite(v))]
    if bad:
        raise EmbeddingError(f"model {model!r}: {what} returned NaN or infinite values for {len(bad)} of "
                             f"{len(vecs)} inputs in a batch; nothing was cached. Check the weights, the dtype "
                             f"(fp16 overflow?) and the inputs")


DEFAULT_TOKEN_BUDGET = 16384      # padded tokens per batch unless the run or the model says otherwise


@dataclass
class EmbedConfig:
    """How the engine batches and treats long sequences.

    ``token_budget``: padded tokens per batch (batch size × longest length incl.
    ``special_tokens``); None: the model's own ``ModelMeta.token_budget``, else
    :data:`DEFAULT_TOKEN_BUDGET`; ``policy``: ``truncate`` or ``chunk``; ``text_batch_size``:
    texts per batch for ``embed_texts``.
    """

    token_budget: int | None = None
    policy: str = "truncate"
    special_tokens: int = 2
    text_batch_size: int = 64
    progress: bool | None = None   # None: only on a terminal

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"unknown long-sequence policy {self.policy!r}; choose one of {POLICIES}")
        if self.token_budget is not None and self.token_budget < 1:
            raise ValueError("token_budget must be positive")


@dataclass
class EmbedStats:
    """What the engine did: model calls, sequences embedded vs served from cache, seconds in the model."""

    forward_batches: int = 0
    embedded: int = 0
    cache_hits: int = 0
    truncated: int = 0
    chunked: int = 0
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def token_budget_batches(lengths: Sequence[int], token_budget: int, special_tokens: int = 2) -> list[list[int]]:
    """Indices into ``lengths`` grouped into batches, longest first.

    Each batch satisfies ``len(batch) * (max length in batch + special_tokens) <= token_budget``
    (a single sequence longer than the budget gets a batch of its own).
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        longest_if_added = max(longest, lengths[i]) + special_tokens
        if current and (len(current) + 1) * longest_if_added > token_budget:
            batches.append(current)
            current, longest = [], 0
        current.append(i)
        longest = max(longest, lengths[i])
    if current:
        batches.append(current)
    return batches


def split_long(seq: str, max_length: int, policy: str) -> list[str]:
    """Pieces of ``seq`` the model sees: one truncated piece, or consecutive windows of ``max_length``."""
    if len(seq) <= max_length:
        return [seq]
    if policy == "truncate":
        return [seq[:max_length]]
    return [seq[i:i + max_length] for i in range(0, len(seq), max_length)]


def _dist() -> tuple[int, int, Any]:
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover
        return 0, 1, None
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), dist
    return 0, 1, None


def _progress(total: int, desc: str, enabled: bool | None):
    from .progress import Counter

    return Counter(total, desc, "seq", enabled)


class CachedEmbeddings:
    """Serves a model's vectors through the cache; the ``Embeddings`` view tasks evaluate with.

    ``proteins(seqs) -> (n, dim)`` float32 pooled vectors; ``texts(texts) -> (n, text_dim)``;
    ``residues(seqs) -> [(len(s), dim)]`` (truncated to ``max_length``).
    """

    def __init__(self, model: Any, cache: EmbeddingCache, config: EmbedConfig | None = None):
        self.model = model
        self.meta: ModelMeta = model.meta
        self.cache = cache
        self.config = config or EmbedConfig()
        self.stats = EmbedStats()

    def key(self, kind: str) -> CacheKey:
        m = self.meta
        policy = self.policy(kind)
        max_length = int(m.parameters.get("text_max_length", 512)) if kind == "text" else m.max_length
        return CacheKey(m.fingerprint, m.layer, m.pooling, max_length, policy, kind)

    @property
    def token_budget(self) -> int:
        """Padded tokens per batch in force: the run's, else the model's preferred one, else the default."""
        return self.config.token_budget or getattr(self.meta, "token_budget", None) or DEFAULT_TOKEN_BUDGET

    def policy(self, kind: str) -> str:
        """Long-sequence policy in force for ``kind`` (residue and text outputs are always truncated)."""
        return self.config.policy if kind == "protein" else "truncate"

    # -- public view -------------------------------------------------------------------------
    def proteins(self, seqs: Sequence[str]) -> np.ndarray:
        if not len(seqs):
            return np.zeros((0, self.meta.dim), np.float32)
        return self._read("protein", seqs, self._embed_protein_batch, lambda ns, hs: ns.get_matrix(hs))

    def texts(self, texts: Sequence[str]) -> np.ndarray:
        if not hasattr(self.model, "embed_texts"):
            raise TypeError(f"model {self.meta.name!r} cannot embed texts (no embed_texts)")
        if not len(texts):
            return np.zeros((0, self.meta.text_dim or self.meta.dim), np.float32)
        return self._read("text", texts, self._embed_text_batch, lambda ns, hs: ns.get_matrix(hs))

    def residues(self, seqs: Sequence[str]) -> list[np.ndarray]:
        if not hasattr(self.model, "embed_residues"):
            raise TypeError(f"model {self.meta.name!r} has no residue-level output (no embed_residues)")
        return self._read("residue", seqs, self._embed_residue_batch, lambda ns, hs: ns.get(hs))

    def _read(self, kind: str, items: Sequence[str], run_batch, read, tries: int = 3):
        """Ensure ``items`` are cached, then read them; a shard found corrupt while reading has been evicted
        (with a warning naming it), so its vectors are recomputed and the read is retried."""
        hashes = [content_hash(s) for s in items]
        for attempt in range(tries):
            ns = self._ensure(kind, items, run_batch)
            try:
                return read(ns, hashes)
            except CorruptShardError:
                if attempt == tries - 1:
                    raise

    def warm(self, seqs: Sequence[str], kind: str = "protein") -> None:
        """Embed and cache ``seqs`` without returning them (the runner's embed stage)."""
        fn = {"protein": self._embed_protein_batch, "text": self._embed_text_batch,
              "residue": self._embed_residue_batch}[kind]
        self._ensure(kind, seqs, fn)

    # -- engine ------------------------------------------------------------------------------
    def _ensure(self, kind: str, items: Sequence[str], run_batch: Callable[[list[str]], dict[str, np.ndarray]]):
        ns = self.cache.namespace(self.key(kind), self.meta.name)
        rank, world, dist = _dist()
        if dist is not None and world > 1:
            dist.barrier()     # every rank reads the cache in the same state, so the shards partition the work
        distinct = list(dict.fromkeys(items))
        hashes = {s: content_hash(s) for s in distinct}
        missing_h = set(ns.missing(hashes.values()))
        todo = [s for s in distinct if hashes[s] in missing_h]
        self.stats.cache_hits += len(distinct) - len(todo)
        if dist is not None and world > 1:
            dist.barrier()     # ... and none writes before all have read
        if not todo and world == 1:
            return ns
        # shard by rank after sorting by length so every rank gets a similar mix
        todo.sort(key=len, reverse=True)
        mine = todo[rank::world]
        if mine:
            self._run(kind, mine, run_batch, ns)
        if dist is not None and world > 1:
            dist.barrier()
        return ns

    def _run(self, kind: str, items: list[str], run_batch, ns) -> None:
        import torch

        t0 = time.perf_counter()
        with _progress(len(items), f"embed {kind} [{self.meta.name}]", self.config.progress) as bar, \
                torch.inference_mode():
            if kind == "text":
                order = sorted(range(len(items)), key=lambda i: -len(items[i]))
                bs = self.config.text_batch_size
                for b in range(0, len(order), bs):
                    batch = [items[i] for i in order[b:b + bs]]
                    ns.put(run_batch(batch))
                    bar.update(len(batch))
            else:
                self._run_sequences(items, run_batch, ns, bar, self.policy(kind))
        self.stats.seconds += time.perf_counter() - t0
        self.stats.embedded += len(items)
        self.stats.by_kind[kind] = self.stats.by_kind.get(kind, 0) + len(items)

    def _run_sequences(self, seqs: list[str], run_batch, ns, bar, policy: str) -> None:
        max_len = self.meta.max_length
        pieces: list[tuple[int, str]] = []   # (owner index, piece)
        for i, s in enumerate(seqs):
            parts = split_long(s, max_len, policy)
            if len(s) > max_len:
                if policy == "truncate":
                    self.stats.truncated += 1
                else:
                    self.stats.chunked += 1
            pieces.extend((i, p) for p in parts)
        remaining = np.bincount([o for o, _ in pieces], minlength=len(seqs))
        acc: dict[int, list[tuple[np.ndarray, int]]] = {}
        batches = token_budget_batches([len(p) for _, p in pieces], self.token_budget,
                                       self.config.special_tokens)
        for batch in batches:
            batch_pieces = [pieces[j][1] for j in batch]
            out = run_batch(batch_pieces)
            self.stats.forward_batches += 1
            done: dict[str, np.ndarray] = {}
            for j, piece in zip(batch, batch_pieces):
                owner = pieces[j][0]
                acc.setdefault(owner, []).append((out[piece], len(piece)))
                remaining[owner] -= 1
                if remaining[owner] == 0:
                    parts = acc.pop(owner)
                    if len(parts) == 1:
                        vec = parts[0][0]
                    else:  # chunk policy: length-weighted mean of window vectors
                        w = np.array([n for _, n in parts], dtype=np.float64)
                        vec = (np.stack([v for v, _ in parts]).astype(np.float64) * w[:, None]).sum(0) / w.sum()
                    done[content_hash(seqs[owner])] = np.asarray(vec, dtype=np.float32)
            ns.put(done)
            bar.update(len(done))

    def _embed_protein_batch(self, batch: list[str]) -> dict[str, np.ndarray]:
        name = self.meta.name
        vecs = as_float32(self.model.embed_proteins(batch), name, "embed_proteins")
        if vecs.shape != (len(batch), self.meta.dim):
            raise EmbeddingError(f"model {name!r}: embed_proteins returned shape {vecs.shape}, "
                                 f"expected ({len(batch)}, {self.meta.dim})")
        check_finite(vecs, name, "embed_proteins")
        return dict(zip(batch, vecs))

    def _embed_text_batch(self, batch: list[str]) -> dict[str, np.ndarray]:
        name = self.meta.name
        vecs = as_float32(self.model.embed_texts(batch), name, "embed_texts")
        dim = self.meta.text_dim or self.meta.dim
        if vecs.ndim != 2 or vecs.shape[0] != len(batch):
            raise EmbeddingError(f"model {name!r}: embed_texts returned shape {vecs.shape} for {len(batch)} "
                                 f"texts; expected one row per text ({len(batch)}, {dim})")
        check_finite(vecs, name, "embed_texts")
        self.stats.forward_batches += 1
        return {content_hash(t): v for t, v in zip(batch, vecs)}

    def _embed_residue_batch(self, batch: list[str]) -> dict[str, np.ndarray]:
        name = self.meta.name
        outs = [as_float32(o, name, "embed_residues") for o in self.model.embed_residues(batch)]
        if len(outs) != len(batch):
            raise EmbeddingError(f"model {name!r}: embed_residues returned {len(outs)} arrays for "
                                 f"{len(batch)} sequences")
        for s, o in zip(batch, outs):
            if o.ndim != 2 or o.shape[0] != len(s):
                raise EmbeddingError(f"model {name!r}: embed_residues gave shape {o.shape} for {len(s)} residues")
        check_finite(outs, name, "embed_residues")
        return dict(zip(batch, outs))
