"""ProtCLIP as a suite model (registered as ``protclip-tiny`` and ``protclip``).

Options (``--model-opt KEY=VALUE``):

* ``weights`` — one of our checkpoint folders (``protclip_config.json`` +
  ``model.safetensors`` from ``protbench pretrain``), or the released
  ``model.safetensors`` (``config.json`` beside it; Zenodo record 15245588).
  Required for ``protclip``; ``protclip-tiny`` without it is the tiny random init.
* ``space`` — what ``embed_proteins`` / ``embed_residues`` return:
  ``"encoder"`` (default; the protein encoder's pooled vector — masked mean of the
  ESM-2 last layer, or UniRep's mean hidden state — the part of the model the paper
  carries into downstream tasks) or ``"shared"`` (the
  L2-normalised ``projection_dim``-d shared space; residues are projected but
  not normalised). ``embed_texts`` always returns the shared space, so only
  ``space="shared"`` declares ``SHARED_SPACE`` — run zero-shot cross-modal tasks
  with ``--model-opt space=shared``. ``space`` is recorded in ``meta.layer``, in
  the fingerprint (separate cache entries) and, for ``shared``, in the name
  (``protclip:ckpt@shared``), so results of the two spaces land in separate folders.
* ``text_tokenizer`` — a local folder with the text encoder's vocabulary; the
  released weights need it for ``embed_texts`` (PubMedBERT's vocab).
* ``dtype`` — ``float32`` (default) or ``bfloat16``: the protein encoder's compute
  dtype for pooled vectors (run through the lean ESM-2 engine,
  :mod:`protbench.models.esm_fast`; pooling and projection stay fp32). UniRep
  checkpoints run in float32 only.

Names: ``protclip-tiny`` (``protclip-tiny:RUN`` with weights); ``protclip:FILE`` for the released
weights; for a checkpoint of ``protbench pretrain`` the encoders and the run, ``protclip-<protein>-<text>:<run>`` (e.g.
``protclip-unirep1900-minilm:full.step-000500``), so a model trained here never reads as the
paper's ProtCLIP. Its ``training.json`` (steps, minutes, device, corpus) goes to
``parameters["training"]`` and the description; the leaderboard marks its cells as trained here.

The protein encoder's kind and settings come from the checkpoint's config
(``protein_encoder``: ESM-2 or UniRep); the results' fingerprint hashes every weight
of the loaded model, and ``parameters`` record the encoder's provenance (for UniRep
the sha256 of the published npz it started from).
* ``max_length`` — residues kept per protein (default 1022, ESM-2's limit; longer
  sequences are truncated by the embedding engine). Both are in the fingerprint.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from protbench.models.esm import DTYPES, residue_positions, state_fingerprint, tokenize
from protbench.pooling import masked_mean
from protbench.spec import Capability, ModelMeta

SPACES = ("encoder", "shared")
ZENODO = "https://zenodo.org/records/15245588"


class _TrainableEncoder:
    """Fine-tuning view: a fresh copy of the protein encoder; calling it pools ``(B, Dp)`` with gradients."""

    def __init__(self, encoder, device: str):
        self.encoder, self.module, self.dim, self.device = encoder, encoder.module, encoder.hidden_size, device

    def __call__(self, seqs: Sequence[str]) -> torch.Tensor:
        ids = tokenize(list(seqs)).to(self.device)
        return self.encoder.pooled(ids).float()


class ProtCLIPSuiteModel:
    """Wraps a :class:`~protbench.protclip.model.ProtCLIP` for the harness (see module docstring)."""

    def __init__(self, name: str, weights: str | Path | None = None, space: str = "encoder", device: str = "cpu",
                 seed: int = 0, text_tokenizer: str | None = None, dtype: str = "float32", max_length: int = 1022):
        from .checkpoint import CONFIG_FILE, complete_copy, load_model, read_training
        from .config import named_config
        from .model import ProtCLIP

        if space not in SPACES:
            raise ValueError(f"unknown space {space!r}; choose one of {SPACES}")
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; choose one of {sorted(DTYPES)}")
        if not 1 <= int(max_length) <= 1022:
            raise ValueError(f"max_length must be within 1..1022, not {max_length}")
        if weights is None:
            if name != "protclip-tiny":
                raise FileNotFoundError(
                    f"model {name!r} needs weights: --weights PATH to a `protbench pretrain` checkpoint folder, or "
                    f"to the released ProtCLIP model.safetensors (with its config.json beside it) from Zenodo "
                    f"record 15245588 ({ZENODO})")
            self.model = ProtCLIP(named_config("tiny", seed=seed)).to(device).eval()
            revision, training = f"random-init seed {seed}", None
        else:
            path = Path(weights).expanduser()          # named by this path; read from its complete copy
            source = complete_copy(path)
            if not source.exists():
                raise FileNotFoundError(
                    f"ProtCLIP weights not found at {path}: give a `protbench pretrain` checkpoint folder "
                    f"(protclip_config.json + model.safetensors) or the released model.safetensors + config.json "
                    f"from Zenodo record 15245588 ({ZENODO})")
            self.model = load_model(path, device=device, text_tokenizer=text_tokenizer)
            revision = str(path)
            ours = source.is_dir() and (source / CONFIG_FILE).is_file()      # else the released (paper's) weights
            training = read_training(path) if ours else None
        self.space, self.device = space, device
        self.dtype, self._lean = dtype, None
        cfg = self.model.cfg
        encoder = self.model.protein_encoder
        if encoder.kind != "esm2" and dtype != "float32":
            raise ValueError(f"dtype {dtype!r} is for ESM-2 encoders; this checkpoint's {encoder.kind} runs in float32")
        enc_dim = encoder.hidden_size
        caps = {Capability.PROTEIN, Capability.TEXT, Capability.RESIDUE, Capability.FINETUNE}
        if space == "shared":
            caps.add(Capability.SHARED_SPACE)
        extra = {"dtype": dtype} if dtype != "float32" else {}
        if int(max_length) != 1022:
            extra["max_length"] = int(max_length)
        if encoder.kind != "esm2":           # ESM-2 fingerprints stay as before (cache keys)
            extra["protein_encoder"] = encoder.kind
        fp = state_fingerprint(self.model, {"arch": "protclip", "space": space, **extra})
        if weights is None:
            label, description = name, f"ProtCLIP ({encoder.describe()}; shared space {cfg.projection_dim}-d)"
        elif not ours or name == "protclip-tiny":     # the tiny architecture is in its name already
            label = f"{name}:{path.name}"
            description = (f"ProtCLIP ({encoder.describe()}; shared space {cfg.projection_dim}-d); "
                           + (trained_where(training) if ours else "released weights"))
        else:           # trained by us: the name says which encoders, so it never reads as the paper's model
            label = f"{name}-{encoder.tag()}-{text_tag(cfg)}:{run_label(path)}"
            description = (f"ProtCLIP recipe over {encoder.describe()} and text encoder {cfg.text_model}; shared "
                           f"space {cfg.projection_dim}-d; {trained_where(training)}")
        if space == "shared":      # result folders are keyed on the name: never mix the two spaces
            label += "@shared"
        self.meta = ModelMeta(
            name=label,
            fingerprint=f"protclip-{fp}", dim=enc_dim if space == "encoder" else cfg.projection_dim,
            max_length=int(max_length), capabilities=frozenset(caps),
            layer="encoder-last" if space == "encoder" else "shared", pooling="mean",
            text_dim=cfg.projection_dim, revision=revision,
            token_budget=encoder.token_budget,
            description=description,
            parameters={"space": space, "weights": str(weights) if weights else None, "dtype": dtype,
                        "max_length": int(max_length),
                        "seed": seed if weights is None else None, "projection_dim": cfg.projection_dim,
                        **({} if encoder.kind == "esm2" else {"protein_encoder": encoder.provenance()}),
                        **({"training": training} if training else {})},
        )

    @torch.no_grad()
    def embed_proteins(self, seqs: Sequence[str]) -> np.ndarray:
        """``(B, D)`` pooled vectors: the lean engine for rotary ESM-2 encoders, else the model's own forward."""
        if self.dtype == "float32" and self._lean is None and (self.model.protein_encoder.kind != "esm2"
                                                                or not _rotary(self.model.protein_model)):
            return self.model.embed_proteins(list(seqs), space=self.space).cpu().numpy().astype(np.float32)
        if self._lean is None:
            from protbench.models.esm_fast import EsmInference

            pm = self.model.protein_model
            if self.dtype != "float32":
                pm = copy.deepcopy(pm).to(DTYPES[self.dtype])
            self._lean = EsmInference(pm)
        ids = tokenize(list(seqs)).to(self.device)
        states, res = self._lean.forward(ids).float(), residue_positions(ids)
        vecs = masked_mean(states, res) if self.space == "encoder" else self.model.shared_protein(states, res)
        return vecs.float().cpu().numpy()

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.model.cfg.projection_dim), np.float32)
        return self.model.embed_texts(list(texts)).cpu().numpy().astype(np.float32)

    @torch.no_grad()
    def embed_residues(self, seqs: Sequence[str]) -> list[np.ndarray]:
        ids = tokenize(list(seqs)).to(self.device)
        states = self.model.protein_states(ids)
        if self.space == "shared":
            states = self.model.protein_projection(states)
        states = states.float().cpu().numpy()
        return [states[i, 1:1 + len(s)] for i, s in enumerate(seqs)]

    def trainable_encoder(self) -> _TrainableEncoder:
        encoder = copy.deepcopy(self.model.protein_encoder)
        encoder.module.to(self.device).float().train()
        encoder.module.requires_grad_(True)
        return _TrainableEncoder(encoder, self.device)


def text_tag(cfg) -> str:
    """The text encoder in a model name: ``minilm``, ``text-random``, or its folder's name."""
    t = str(cfg.text_model)
    if t.lower() in ("minilm", "all-minilm-l6-v2"):
        return "minilm"
    if t == "random":
        return "text-random"
    return re.sub(r"[^a-z0-9.]+", "-", Path(t).name.lower()).strip("-.") or "text"


def run_label(path: Path) -> str:
    """A checkpoint folder's name in a model name; a run's ``checkpoints/step-N`` or ``best`` folder is prefixed
    with the run folder's name (``RUN.step-000500``), so two runs' checkpoints never share a result folder."""
    if re.fullmatch(r"step-\d+", path.name) and path.parent.name == "checkpoints":
        return f"{path.parent.parent.name}.{path.name}"
    if path.name == "best":
        return f"{path.parent.name}.best"
    return path.name


def trained_where(training: dict | None) -> str:
    """One phrase for descriptions: how far the weights were trained (from ``training.json``)."""
    if not training:
        return "trained by protbench pretrain (no training.json beside the weights)"
    seconds = training.get("train_seconds")
    minutes = f"{seconds / 60:.0f} min" if isinstance(seconds, (int, float)) else "? min"
    return (f"trained here by {training.get('by', 'protbench pretrain')}: {training.get('steps')} steps, "
            f"{minutes} on {training.get('device', '?')} x{training.get('processes', 1)}, "
            f"{training.get('train_records')} training records")


def _rotary(module: torch.nn.Module) -> bool:
    cfg = module.config
    return getattr(cfg, "position_embedding_type", "") == "rotary" and not getattr(cfg, "emb_layer_norm_before", False)


def protclip_tiny(weights: str | None = None, space: str = "encoder", device: str = "cpu", seed: int = 0,
                  text_tokenizer: str | None = None, dtype: str = "float32",
                  max_length: int = 1022) -> ProtCLIPSuiteModel:
    return ProtCLIPSuiteModel("protclip-tiny", weights=weights, space=space, device=device, seed=seed,
                              text_tokenizer=text_tokenizer, dtype=dtype, max_length=max_length)


def protclip(weights: str | None = None, space: str = "encoder", device: str = "cpu", seed: int = 0,
             text_tokenizer: str | None = None, dtype: str = "float32", max_length: int = 1022) -> ProtCLIPSuiteModel:
    return ProtCLIPSuiteModel("protclip", weights=weights, space=space, device=device, seed=seed,
                              text_tokenizer=text_tokenizer, dtype=dtype, max_length=max_length)
