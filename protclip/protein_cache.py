"""On-disk cache of a frozen protein encoder's clean states for ProtCLIP training (``protein_cache_dir``).

With a frozen protein encoder (:attr:`ProteinEncoder.states_cacheable`, e.g. UniRep with
``unirep_train="projections"``) the states of an *unmasked* sequence depend on the sequence alone.
:class:`ProteinStateCache` computes them once per distinct (cropped) sequence — batched over
length-sorted sequences with :meth:`ProteinEncoder.clean_states` (UniRep: the suite's batched scan,
:func:`protbench.models.unirep.run_cell`) — and every later step, epoch, validation pass and run
reads them back.

**Which objectives use it** (:meth:`protbench.protclip.model.ProtCLIP.forward`):

* GC (pooled vector of the clean sequence), PDA (residue states of the clean sequence) and the
  unimodal term of an encoder that reads the clean ids (UniRep's next-residue prediction,
  ``unimodal_on_clean_ids``) read cached states. These are exactly the terms that ran the encoder on
  the unmasked ``ids``.
* BSR still runs the encoder, on the fly, on each step's span-masked ids (``bsr_ids``). The masked
  spans are drawn anew every step (from the step seed), and a masked span changes the states: for a
  bidirectional encoder everywhere, for UniRep's causal scan at and after the first masked residue (the
  mask reaches UniRep as ``X``). Replacing them by clean states would let BSR's decoder read the very
  residues it must reconstruct, so caching them would change the objective. (A causal encoder could
  reuse the cached prefix before the first span if the cache also held the cell states; not done.)
* A unimodal term on masked ids (ESM-2's MLM) would also run on the fly; ESM-2 trains its encoder, so it
  is never cacheable and its path is unchanged.

**Layout and key.** Two namespaces of :class:`protbench.cache.EmbeddingCache` under the cache folder: kind
``residue`` (per protein the ``(n + 2, D)`` float32 states of its ``<cls> residues <eos>`` positions, as
:meth:`ProteinEncoder.states` places them) and kind ``protein`` (the ``(D,)`` pooled vector, the mean over
:meth:`ProteinEncoder.pool_mask`). The namespace hashes the model fingerprint
``protclip-<kind>-<settings>-<params sha>-<dtype>``: encoder kind, its provenance (size, cells, init,
weights sha256 or random-init seed), a sha256 over every tensor of the encoder module (so a checkpoint's
trained weights never reuse another encoder's states) and the compute dtype; inside, each entry is keyed
by the sha256 of the sequence as tokenised (crop applied). Shards are written to a temporary file and
renamed into place (one shard per batch): a kill loses at most the batch being computed, and a rerun
computes only what is missing. A protein counts as cached only when both its residue and pooled
entries exist.

Memory: the namespaces keep the shards they read in memory (float32; UniRep-1900 states take
7.6 kB per residue, so 1,000 proteins of 400 residues hold about 3 GB; UniRep-256 about 0.4 GB).
With ``protein_crop="random"`` every step draws new windows of long proteins, so the cache fills
lazily and rarely hits for them; use the default ``"first"`` crop with a cache.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from protbench.cache import CacheKey, EmbeddingCache, content_hash
from protbench.models.esm import ESM_ALPHABET, PAD, state_fingerprint, tokenize
from protbench.pooling import masked_mean

DTYPES = ("float32", "bfloat16")
FORMAT = "protclip-protein-states-v1"


def row_key(ids_row: torch.Tensor) -> str:
    """The cache key of one batch row: sha256 of its non-pad tokens spelt in the ESM alphabet."""
    toks = ids_row[ids_row != PAD].tolist()
    return content_hash("".join(ESM_ALPHABET[t] if len(ESM_ALPHABET[t]) == 1 else f"[{ESM_ALPHABET[t]}]"
                                for t in toks))


def encoder_fingerprint(encoder, dtype: str) -> str:
    """What decides the cached states besides the sequence (see the module docstring)."""
    prov = encoder.provenance()
    skip = ("protein_encoder", "unirep_train", "weights_from")     # where the file came from: its sha256 decides
    settings = "-".join(f"{k}={prov[k]}" for k in sorted(prov) if k not in skip)
    params = state_fingerprint(encoder.module, {"kind": encoder.kind, "format": FORMAT})
    return f"protclip-{encoder.kind}-{settings}-params{params}-{dtype}"


class ProteinStateCache:
    """Clean states of a frozen encoder, computed once per sequence and stored under ``root``.

    ``lookup(ids)`` → ``(states (B, L, D), pooled (B, D))`` float32 for batch-layout ids ``(B, L)`` of
    unmasked sequences, computing (and storing) missing rows first. ``fill(seqs)`` precomputes a corpus.
    Counters: ``computed`` (proteins run through the encoder by this object), ``hits`` (rows served from
    the cache).
    """

    def __init__(self, root: str | Path, encoder, dtype: str = "float32", batch_size: int = 16):
        if not encoder.states_cacheable:
            raise ValueError(f"the protein-state cache needs a frozen protein encoder; {encoder.describe()} trains "
                             "(for UniRep use unirep_train='projections', --unirep-train projections)")
        if dtype not in DTYPES:
            raise ValueError(f"protein cache dtype {dtype!r}; choose one of {DTYPES}")
        self.encoder, self.dtype, self.batch_size = encoder, dtype, int(batch_size)
        self.fingerprint = encoder_fingerprint(encoder, dtype)
        store = EmbeddingCache(Path(root))
        label = encoder.describe()
        self.residues = store.namespace(CacheKey(self.fingerprint, "last", "none", 0, "exact-sequence", "residue"),
                                        label)
        self.pooled = store.namespace(CacheKey(self.fingerprint, "last", "pool-mask-mean", 0, "exact-sequence",
                                               "protein"), label)
        self.computed = 0
        self.hits = 0

    # -- filling --------------------------------------------------------------------------------
    def _missing(self, keys: Sequence[str]) -> set[str]:
        return set(self.residues.missing(keys)) | set(self.pooled.missing(keys))

    def _compute(self, rows: list[torch.Tensor]) -> None:
        """Run the encoder over ``rows`` (non-pad token ids of distinct proteins), longest first, in batches;
        each batch is written as one residue shard and one pooled shard."""
        rows = sorted(rows, key=lambda r: -len(r))
        for i in range(0, len(rows), self.batch_size):
            chunk = rows[i:i + self.batch_size]
            ids = torch.full((len(chunk), len(chunk[0])), PAD, dtype=torch.long)
            for j, r in enumerate(chunk):
                ids[j, :len(r)] = r
            dev = next(self.encoder.module.parameters()).device
            states = self.encoder.clean_states(ids.to(dev), self.dtype).float().cpu()
            pooled = masked_mean(states, self.encoder.pool_mask(ids)).float()
            keys = [row_key(r) for r in chunk]
            self.residues.put({k: states[j, :len(r)].numpy() for j, (k, r) in enumerate(zip(keys, chunk))})
            self.pooled.put({k: pooled[j].numpy() for j, k in enumerate(keys)})
            self.computed += len(chunk)

    def fill_ids(self, ids: torch.Tensor) -> int:
        """Compute and store the rows of ``ids`` ``(B, L)`` not cached yet; returns how many were computed."""
        ids = ids.cpu()
        keys = [row_key(r) for r in ids]
        missing = self._missing(keys)
        todo: dict[str, torch.Tensor] = {}
        for k, r in zip(keys, ids):
            if k in missing and k not in todo:
                todo[k] = r[r != PAD]
        if todo:
            self._compute(list(todo.values()))
        return len(todo)

    def fill(self, seqs: Sequence[str], chunk: int = 512) -> int:
        """Precompute the states of ``seqs`` (as they will be fed: crop them first); returns how many were new."""
        seqs = sorted(set(seqs), key=len, reverse=True)
        return sum(self.fill_ids(tokenize(seqs[i:i + chunk])) for i in range(0, len(seqs), chunk))

    # -- reading --------------------------------------------------------------------------------
    def lookup(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(states (B, L, D), pooled (B, D))`` float32 on ``ids.device`` for unmasked batch-layout ids."""
        cpu = ids.cpu()
        keys = [row_key(r) for r in cpu]
        new = self.fill_ids(cpu)
        self.hits += len(keys) - new
        res = self.residues.get(keys)
        pooled = torch.from_numpy(np.stack(self.pooled.get(keys)).astype(np.float32, copy=False))
        B, L = ids.shape
        states = torch.zeros(B, L, pooled.shape[1])
        for i, r in enumerate(res):
            n = int((cpu[i] != PAD).sum())
            if r.shape[0] != n:
                raise ValueError(f"protein cache {self.residues.dir}: entry {keys[i][:12]}… has {r.shape[0]} "
                                 f"positions, the batch row {n}; delete the folder to rebuild it")
            states[i, :n] = torch.tensor(r)
        return states.to(ids.device), pooled.to(ids.device)

    def describe(self) -> dict:
        """JSON-ready summary: folders, fingerprint, dtype, counters, stored proteins."""
        return {"dir": str(self.residues.dir.parent), "fingerprint": self.fingerprint, "dtype": self.dtype,
                "residue_namespace": self.residues.dir.name, "pooled_namespace": self.pooled.dir.name,
                "computed": self.computed, "hits": self.hits, "stored": self.residues.count()}
