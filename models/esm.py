"""ESM-2 (and ESM-1b) protein language models through transformers' ``EsmModel``.

Named sizes follow the released ESM-2 checkpoints (layers, width, heads):
``8m`` (6, 320, 20), ``35m`` (12, 480, 20), ``150m`` (30, 640, 20),
``650m`` (33, 1280, 20), ``3b`` (36, 2560, 40), plus ``tiny`` (2, 64, 4) for
tests. Without ``weights`` the model is randomly initialised from ``seed``
(deterministic). ``weights`` may be a transformers folder (``config.json`` +
``model.safetensors``/``pytorch_model.bin``, loaded offline) or a fair-esm
``.pt`` checkpoint (see :mod:`protbench.models.esm_checkpoint`). ``arch="esm1b"`` selects ESM-1b's
architecture (learned absolute positions, embedding layer norm; sizes ``tiny`` and ``650m``) with the same
tokens, pooling and outputs.

Tokens are built directly from the fixed 33-token ESM alphabet (identical in
fair-esm and transformers): ``<cls> residues <eos> <pad>…``. Pooled vectors are
the masked mean over residue positions of the chosen layer (BOS/EOS/padding
excluded). Attention runs through PyTorch SDPA; ``dtype="bfloat16"`` halves
memory traffic on CPUs with bf16 units (the benchmark checks cosine ≥ 0.999
against fp32). ``engine="lean"`` (default for ESM-2's last layer) runs
:mod:`protbench.models.esm_fast`, the same function with less work per layer;
``engine="transformers"`` runs ``EsmModel.forward``. The engine is part of the
model fingerprint (the two differ by float rounding).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from protbench.pooling import masked_mean
from protbench.spec import Capability, ModelMeta

ESM_ALPHABET = ("<cls>", "<pad>", "<eos>", "<unk>", "L", "A", "G", "V", "S", "E", "R", "T", "I", "D", "P", "K",
                "Q", "N", "F", "Y", "M", "H", "W", "C", "X", "B", "U", "Z", "O", ".", "-", "<null_1>", "<mask>")
CLS, PAD, EOS, UNK, MASK = 0, 1, 2, 3, 32
_CODE = np.full(256, UNK, dtype=np.int64)
for _i, _t in enumerate(ESM_ALPHABET):
    if len(_t) == 1:
        _CODE[ord(_t)] = _i

ESM2_SIZES: dict[str, tuple[int, int, int]] = {
    "tiny": (2, 64, 4),
    "8m": (6, 320, 20),
    "35m": (12, 480, 20),
    "150m": (30, 640, 20),
    "650m": (33, 1280, 20),
    "3b": (36, 2560, 40),
}
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
ENGINES = ("lean", "transformers")


def _esm_config(sizes: dict[str, tuple[int, int, int]], size: str, arch: str, position: str, emb_layer_norm: bool):
    from transformers import EsmConfig

    try:
        layers, dim, heads = sizes[size.lower()]
    except KeyError:
        raise ValueError(f"unknown {arch} size {size!r}; choose one of {sorted(sizes)}") from None
    return EsmConfig(vocab_size=33, hidden_size=dim, num_hidden_layers=layers, num_attention_heads=heads,
                     intermediate_size=4 * dim, hidden_act="gelu", position_embedding_type=position,
                     max_position_embeddings=1026, layer_norm_eps=1e-5, pad_token_id=PAD, mask_token_id=MASK,
                     token_dropout=True, emb_layer_norm_before=emb_layer_norm, hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0)


def esm2_config(size: str = "tiny"):
    """A transformers ``EsmConfig`` with ESM-2's architecture at a named size (rotary positions)."""
    return _esm_config(ESM2_SIZES, size, "ESM-2", "rotary", emb_layer_norm=False)


ESM1B_SIZES: dict[str, tuple[int, int, int]] = {"tiny": (2, 64, 4), "650m": (33, 1280, 20)}
TRAINING_DATA = {"esm2": ("UniRef50 2021_04",), "esm1b": ("UniRef50 2018_03",)}
ARCH_NAMES = {"esm2": "ESM-2", "esm1b": "ESM-1b"}


def esm1b_config(size: str = "tiny"):
    """A transformers ``EsmConfig`` with ESM-1b's architecture: learned absolute positions, embedding layer norm."""
    return _esm_config(ESM1B_SIZES, size, "ESM-1b", "absolute", emb_layer_norm=True)


def tokenize(seqs: Sequence[str]) -> torch.Tensor:
    """``(B, max_len + 2)`` int64 token ids: ``<cls> residues <eos>`` right-padded with ``<pad>``."""
    width = max((len(s) for s in seqs), default=0) + 2
    ids = np.full((len(seqs), width), PAD, dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, 0] = CLS
        ids[i, 1:1 + len(s)] = _CODE[np.frombuffer(s.encode("ascii"), dtype=np.uint8)]
        ids[i, 1 + len(s)] = EOS
    return torch.from_numpy(ids)


def residue_positions(ids: torch.Tensor) -> torch.Tensor:
    """``(B, L)`` bool: true at residue tokens (not cls/eos/pad)."""
    return (ids != CLS) & (ids != EOS) & (ids != PAD)


def state_fingerprint(module: torch.nn.Module, extra: dict[str, Any]) -> str:
    """sha256 (16 hex) over parameter names, shapes and bytes plus ``extra`` settings."""
    h = hashlib.sha256(json.dumps(extra, sort_keys=True).encode())
    for name, t in module.state_dict().items():
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        t = t.detach().cpu().contiguous()
        if t.dtype in (torch.bfloat16, torch.float16):
            t = t.view(torch.int16)
        h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


def load_esm_module(size: str, weights: str | Path | None, seed: int, attn: str, arch: str = "esm2"):
    """A transformers ``EsmModel``: from a folder, a fair-esm ``.pt`` file, or random init (``arch`` config)."""
    from transformers import EsmModel

    if weights is None:
        torch.manual_seed(seed)
        cfg = esm1b_config(size) if arch == "esm1b" else esm2_config(size)
        cfg._attn_implementation = attn
        return EsmModel(cfg, add_pooling_layer=False)
    path = Path(weights).expanduser()
    if not path.exists():
        hub, pt = (("facebook/esm1b_t33_650M_UR50S", "esm1b_t33_650M_UR50S") if arch == "esm1b" else
                   ("facebook/esm2_t33_650M_UR50D", "esm2_t33_650M_UR50D"))
        raise FileNotFoundError(
            f"{ARCH_NAMES.get(arch, arch)} weights not found at {path}. Give a transformers folder (e.g. a local "
            f"copy of {hub} from the Hugging Face hub) or a fair-esm .pt file "
            f"(https://dl.fbaipublicfiles.com/fair-esm/models/{pt}.pt)."
        )
    expected = esm1b_config(size) if arch == "esm1b" else esm2_config(size)
    if path.is_dir():
        check_esm_folder(path, expected, f"{arch}-{size}")
        from protbench.models.esm_checkpoint import refusing_pickles

        with refusing_pickles(path):
            return EsmModel.from_pretrained(path, add_pooling_layer=False, attn_implementation=attn,
                                            local_files_only=True)
    from protbench.models.esm_checkpoint import CheckpointError, esm_module_from_fair_esm

    module = esm_module_from_fair_esm(path, attn=attn)
    if (got := _sizes(module.config)) != (want := _sizes(expected)):
        raise CheckpointError(f"{path}: {_describe(got)}, but {arch}-{size} is {_describe(want)}; its numbers would "
                              f"be recorded as {arch}-{size}'s. Pass the checkpoint of that size, or choose the model "
                              f"of this size")
    return module


_SIZE_FIELDS = ("num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size", "vocab_size")


def _sizes(cfg: Any) -> dict[str, Any]:
    get = cfg.get if isinstance(cfg, dict) else (lambda k: getattr(cfg, k, None))
    return {k: get(k) for k in _SIZE_FIELDS}


def _describe(sizes: dict[str, Any]) -> str:
    return (f"{sizes['num_hidden_layers']} layers, {sizes['hidden_size']}-d, {sizes['num_attention_heads']} heads, "
            f"feed-forward {sizes['intermediate_size']}, {sizes['vocab_size']} tokens")


def check_esm_folder(path: Path, expected: Any, label: str) -> None:
    """A transformers folder given for ``label`` must hold that architecture: ``config.json``'s layers, width,
    heads, feed-forward width and vocabulary size equal the named size's, and ``vocab.txt`` (when present) lists
    :data:`ESM_ALPHABET` in order (tokens are built from that alphabet, so another order would feed the weights
    the wrong residues silently). Anything else is refused naming the file, before any weights are read."""
    from protbench.models.esm_checkpoint import CheckpointError

    config = path / "config.json"
    if not config.is_file():
        raise CheckpointError(f"{config}: missing; a transformers weights folder holds config.json beside "
                              f"model.safetensors (or pytorch_model.bin)")
    try:
        data = json.loads(config.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"{config}: not a readable JSON config ({type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{config}: not a JSON object")
    got, want = _sizes(data), _sizes(expected)
    if got != want:
        raise CheckpointError(f"{config}: {_describe(got)}, but {label} is {_describe(want)}; its numbers would be "
                              f"recorded as {label}'s. Pass the weights folder of that size, or choose the model of "
                              f"this size")
    vocab = path / "vocab.txt"
    if vocab.exists():
        try:
            tokens = tuple(t.strip() for t in vocab.read_bytes().decode("utf-8").splitlines() if t.strip())
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{vocab}: not readable text ({type(exc).__name__})") from None
        if tokens != ESM_ALPHABET:
            at = next((i for i, (a, b) in enumerate(zip(tokens, ESM_ALPHABET)) if a != b),
                      min(len(tokens), len(ESM_ALPHABET)))
            line = repr(tokens[at]) if at < len(tokens) else "(end of file)"
            raise CheckpointError(f"{vocab}: line {at + 1} is {line}, ESM's alphabet has "
                                  f"{ESM_ALPHABET[at] if at < len(ESM_ALPHABET) else '(no more tokens)'!r} there; "
                                  f"protbench tokenises with the fixed {len(ESM_ALPHABET)}-token ESM alphabet, so a "
                                  f"different vocabulary would silently feed the weights the wrong residues. Refused")


@dataclass
class _Trainable:
    """Fine-tuning view: ``module`` is trained; calling it pools ``(B, dim)`` with gradients."""

    module: torch.nn.Module
    dim: int
    device: str = "cpu"

    def __call__(self, seqs: Sequence[str]) -> torch.Tensor:
        ids = tokenize(seqs).to(self.device)
        out = self.module(input_ids=ids, attention_mask=(ids != PAD).long())
        return masked_mean(out.last_hidden_state, residue_positions(ids)).float()


class ESM2:
    """ESM-2 as a suite model: pooled, residue-level, and trainable outputs.

    ``layer``: ``"last"`` or an int hidden-state index (0 = embeddings).
    """

    def __init__(self, size: str = "tiny", weights: str | Path | None = None, dtype: str = "float32",
                 layer: str | int = "last", seed: int = 0, device: str = "cpu", attn: str = "sdpa",
                 name: str | None = None, arch: str = "esm2", training_data: tuple[str, ...] | None = None,
                 engine: str = "lean"):
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; choose one of {sorted(DTYPES)}")
        if arch not in ARCH_NAMES:
            raise ValueError(f"unknown ESM architecture {arch!r}; choose one of {sorted(ARCH_NAMES)}")
        if engine not in ENGINES:
            raise ValueError(f"unknown ESM engine {engine!r}; choose one of {ENGINES}")
        self.size, self.weights, self.device, self.seed, self.attn = size, weights, device, seed, attn
        self.arch = arch
        self.module = load_esm_module(size, weights, seed, attn, arch).eval()
        self.dtype = DTYPES[dtype]
        self.module.to(device=device, dtype=self.dtype)
        self.layer = layer
        cfg = self.module.config
        # the lean engine covers ESM-2's last layer; everything else runs transformers' forward
        self.engine = engine if (arch == "esm2" and layer == "last") else "transformers"
        self._lean = None
        fp = state_fingerprint(self.module, {"dtype": dtype, "arch": arch,
                                             **({"engine": self.engine} if self.engine != "transformers" else {})})
        label = name or (f"{arch}-{size}" if weights is None else f"{arch}:{Path(weights).name}")
        data = training_data if training_data is not None else TRAINING_DATA[arch]
        self.meta = ModelMeta(
            name=label, fingerprint=f"{arch}-{fp}", dim=cfg.hidden_size, max_length=1022,
            capabilities=frozenset({Capability.PROTEIN, Capability.RESIDUE, Capability.FINETUNE}),
            layer=str(layer), pooling="mean", revision=str(weights or f"random-init seed {seed}"),
            training_data=tuple(data) if weights else (),
            description=f"{ARCH_NAMES[arch]} ({cfg.num_hidden_layers} layers, {cfg.hidden_size}-d)"
                        + ("" if weights else ", randomly initialised"),
            parameters={"size": size, "dtype": dtype, "attn": attn, "engine": self.engine,
                        "weights": str(weights) if weights else None,
                        "seed": seed if weights is None else None, "layers": cfg.num_hidden_layers, "arch": arch},
        )

    @torch.inference_mode()
    def hidden(self, seqs: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(states (B, L, D), residue mask (B, L))`` of the chosen layer for a batch."""
        ids = tokenize(seqs).to(self.device)
        if self.engine == "lean":
            if self._lean is None:
                from protbench.models.esm_fast import EsmInference

                self._lean = EsmInference(self.module)
            return self._lean.forward(ids), residue_positions(ids)
        want_all = self.layer != "last"
        out = self.module(input_ids=ids, attention_mask=(ids != PAD).long(), output_hidden_states=want_all)
        states = out.last_hidden_state if not want_all else out.hidden_states[int(self.layer)]
        return states, residue_positions(ids)

    def embed_proteins(self, seqs: Sequence[str]) -> np.ndarray:
        states, mask = self.hidden(seqs)
        return masked_mean(states, mask).float().cpu().numpy()

    def embed_residues(self, seqs: Sequence[str]) -> list[np.ndarray]:
        states, mask = self.hidden(seqs)
        states = states.float().cpu().numpy()
        return [states[i, 1:1 + len(s)] for i, s in enumerate(seqs)]

    def trainable_encoder(self) -> _Trainable:
        module = load_esm_module(self.size, self.weights, self.seed, self.attn, self.arch)
        module = module.to(self.device).float().train()
        return _Trainable(module, self.meta.dim, self.device)
