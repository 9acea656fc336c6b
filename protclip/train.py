"""ProtCLIP pretraining: ``pretrain(PretrainConfig) -> summary dict`` (also ``protbench pretrain``).

Loop: AdamW (ZeRO-1 sharded under torchrun), linear warmup then linear decay to 0
at ``max_steps``, gradient accumulation, mixed precision (bf16 / fp16 autocast,
fp16 with dynamic loss scaling) and gradient checkpointing, gradient
clipping, validation loss every ``eval_every`` steps with early stopping
(``patience`` evaluations without improvement), checkpoints every
``save_every`` steps (exact resume, :mod:`protbench.protclip.checkpoint`),
per-term loss logs as JSON lines (``log.jsonl``), a tqdm progress bar, and
multi-process data parallel under torchrun (:mod:`protbench.protclip.distributed`).

Determinism: epoch ``e`` visits the training records in
``numpy.random.default_rng((seed, e)).permutation``; step ``s`` takes the
``global batch_size`` records at position ``s mod steps_per_epoch`` (last partial
batch dropped) and draws crops, MLM masks, BSR spans and Gumbel noise from a
``torch.Generator`` seeded with ``(seed, s)``. Hence a resumed run, or N
processes each taking ``batch_size / N`` rows, see exactly the same data.

Recipes (fields left ``None`` take the recipe's value; :func:`resolve`):

* ``"paper"`` — the paper / official code (``src/pretrain.py``, ``src/task/pretrain_task.py``,
  ``zero1.json``; default for the paper's architecture, sizes 8m / 35m / 150m / 650m and
  released configs): AdamW lr 1e-5, betas (0.9, 0.999), eps 1e-8, weight decay 0,
  3 % linear warmup then linear decay, gradient clipping at 1.0, global batch 2048
  with 64 rows per process and step (``grad_accum`` derived), 35 epochs with
  validation and a checkpoint every epoch, early stopping after 4 evaluations without
  improvement, gradient checkpointing, ZeRO-1 (``ZeroRedundancyOptimizer``) when
  several processes run, mixed precision: fp16 with dynamic loss scaling on CUDA; on
  CPU bf16 autocast where the CPU has native bf16 (measured faster there for 8m), else fp32.
* ``"demo"`` — the tiny size's quick-run defaults (not the paper's): lr 5e-4, betas
  (0.9, 0.98), batch 8, 1 epoch, validation every 50 and checkpoints every 100
  steps, fp32 (bf16 autocast measured slower at this size), no ZeRO.

Quick use (what the quickstart calls)::

    from protbench.protclip.train import PretrainConfig, pretrain
    summary = pretrain(PretrainConfig(train_data="corpus.jsonl", output_dir="runs/tiny",
                                      model="tiny", max_steps=200, time_budget_s=60))
    summary["final"]["loss"], summary["checkpoint"]   # a folder loadable as --weights for `protclip`
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from . import checkpoint as ckpt
from . import distributed as dist_utils
from .config import ALL_OBJECTIVES, PAPER_SIZES, ProtCLIPConfig, named_config
from .data import ProtAnnoRecord, collate, denominators, read_protanno, slice_batch
from .recipe import RECIPES

# PretrainConfig fields that change the trained weights (the resume check's "recipe"); the model configuration's
# fields join them, less the paths below (a checkpoint may move; the weights it started from are kept by sha256)
RECIPE_FIELDS = ("recipe", "lr", "weight_decay", "betas", "warmup_fraction", "max_steps", "epochs", "max_grad_norm",
                 "eval_every", "patience", "precision", "bf16", "protein_cache_dtype")
MODEL_PATH_FIELDS = ("protein_weights", "unirep_weights", "text_tokenizer")


@dataclass
class PretrainConfig:
    """Everything one pretraining run needs (JSON-serialisable; saved as ``pretrain_config.json``).

    Data
        ``train_data``: ProtAnno JSON-lines file (``{"seq","text"}`` per line, ``.gz`` ok).
        ``valid_data``: a separate file, or None to hold out ``valid_fraction`` of
        ``train_data`` (at most ``max_valid`` records, chosen with ``seed``).
        ``retrieval_data``: optional ProtAnno file (e.g. held-out proteins) on which
        zero-shot protein→text retrieval is measured before training and at the end
        (first ``max_retrieval`` records).
    Model
        ``model``: a named size (``"tiny"``, ``"8m"``, ...), a :class:`ProtCLIPConfig`,
        its dict, or a path to a ``protclip_config.json`` / released ``config.json``.
        ``model_overrides``: fields replaced on top (e.g. ``{"text_model": "minilm",
        "loss_weights": {"gc": 1, "mlm": 0.3, "bsr": 0, "pda": 1}}``).
    Optimisation (``None``: the recipe's value, see the module docstring)
        ``recipe``: ``"paper"`` or ``"demo"`` (None: paper for the paper's sizes and
        released configs, demo for tiny).
        ``batch_size`` is the *global* batch of one optimiser step, split over
        processes × ``grad_accum`` micro-batches (must divide evenly; paper: 2048 with
        ``grad_accum`` chosen so each process takes 64 rows per micro-batch, as the
        official run did on 32 GPUs). GC negatives span one micro-batch gathered over
        all processes (processes × micro rows), not the whole ``batch_size`` when
        ``grad_accum`` > 1 — as in the official code, whose HF Trainer computes the
        loss per micro-batch and divides it by the accumulation steps.
        ``token_loss_mean``: ``"device"`` (official: MLM / BSR / PDA are means over each
        process's micro-batch, averaged over processes and micro-batches) or ``"global"``
        (means over the global batch: N processes then reproduce one process exactly).
        ``lr`` peak learning rate, ``betas`` / ``weight_decay`` AdamW's, ``warmup_fraction``
        of ``max_steps`` (linear from 0 as transformers' schedule), then linear decay to 0.
        ``max_steps`` (None: ``epochs`` × steps per epoch).
        ``precision``: ``"auto"`` (recipe), ``"fp32"``, ``"bf16"`` (autocast), ``"fp16"``
        (autocast + dynamic loss scaling); ``bf16=True`` is the older spelling of ``"bf16"``.
        ``zero1``: shard AdamW's state over processes (ZeRO stage 1) when there are several.
        ``time_budget_s`` stops early (after the current step) once the training loop
        has run that long (setup, text caching and evaluation before it not counted).
        ``stop_after_steps`` stops after that many steps without changing the LR
        schedule (e.g. ablations stopped at the step a time-budgeted run reached).
    Outputs (under ``output_dir``)
        ``log.jsonl`` (one line per step: loss, gc, mlm, bsr, pda, lr, logit scales,
        seconds; validation lines carry ``"split": "valid"``), ``checkpoints/step-N/``
        every ``save_every`` steps (last ``keep_checkpoints`` kept) plus one at the end,
        ``best/`` (lowest validation loss, model only), ``summary.json``.
    ``cache_text``: keep the frozen text encoder's token states in memory (bf16) so
    later epochs skip the text encoder; ``text_cache_file``: also fill the cache
    for every train/valid/retrieval text before training and save it there, so
    several runs (ablations) share one pass of the text encoder.
    ``protein_cache_dir``: a folder for the frozen protein encoder's clean states
    (:mod:`protbench.protclip.protein_cache`; needs ``states_cacheable``, e.g. UniRep with
    ``unirep_train="projections"``): before training, the (cropped) train / valid and retrieval
    sequences are computed once (batched, resumable after a kill), then GC, PDA and the clean unimodal
    term read them in every step, epoch and run; BSR still runs the encoder on its masked ids.
    ``protein_cache_dtype``: the compute precision of that pass (``"float32"`` gives the uncached
    losses to float rounding; ``"bfloat16"``: bf16 recurrent matmuls, UniRep only).
    ``leakage_tasks``: task ids whose evaluation sequences are checked against the training corpus
    before training (:mod:`protbench.protclip.leakage`; exact copies always, ≥ ``leakage_identity``
    identity when MMseqs2 is installed); the report is written to ``leakage.json``.
    ``go_obo``: the go-basic OBO file whose ``"name: definition"`` texts form the vocabulary of the GO-term
    objective (``loss_weights["terms"]``; :mod:`protbench.protclip.terms`); needed only with it.
    ``resume``: ``"auto"`` continues from the latest checkpoint in ``output_dir``
    when one exists; a folder path resumes from it; ``None`` starts fresh.
    """

    train_data: str
    output_dir: str
    model: Any = "tiny"
    model_overrides: dict[str, Any] = field(default_factory=dict)
    valid_data: str | None = None
    valid_fraction: float = 0.05
    max_valid: int = 256
    retrieval_data: str | None = None
    max_retrieval: int = 500
    recipe: str | None = None
    batch_size: int | None = None
    grad_accum: int | None = None
    token_loss_mean: str = "device"
    lr: float | None = None
    weight_decay: float | None = None
    betas: tuple[float, float] | None = None
    warmup_fraction: float | None = None
    max_steps: int | None = None
    epochs: int | None = None
    time_budget_s: float | None = None
    stop_after_steps: int | None = None
    max_grad_norm: float | None = 1.0
    eval_every: int | None = None
    patience: int = 4
    save_every: int | None = None
    keep_checkpoints: int = 2
    save_best: bool = True
    precision: str = "auto"
    bf16: bool = False
    zero1: bool | None = None
    gradient_checkpointing: bool | None = None
    cache_text: bool = False
    text_cache_file: str | None = None
    protein_cache_dir: str | None = None
    protein_cache_dtype: str = "float32"
    leakage_tasks: list[str] | None = None
    leakage_identity: float = 0.5
    go_obo: str | None = None
    device: str = "cpu"
    seed: int = 0
    threads: int | None = None
    progress: bool | None = None
    resume: str | None = "auto"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        if isinstance(self.model, ProtCLIPConfig):
            d["model"] = self.model.to_dict()
        return d


def model_config(cfg: PretrainConfig) -> ProtCLIPConfig:
    m = cfg.model
    if isinstance(m, ProtCLIPConfig):
        base = m.to_dict()
    elif isinstance(m, dict):
        base = dict(m)
    elif isinstance(m, str) and (m.endswith(".json") or os.path.sep in m):
        base = ProtCLIPConfig.load(m).to_dict()
    else:
        over = dict(cfg.model_overrides)
        over.setdefault("seed", cfg.seed)
        return named_config(str(m), **over)
    base.update(cfg.model_overrides)
    return ProtCLIPConfig.from_dict(base)


# The recipes (module docstring). "epoch": once per epoch.
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def cpu_has_native_bf16() -> bool:
    """Whether oneDNN runs bf16 natively on this CPU (AVX512-BF16 / AMX); bf16 autocast is emulated otherwise."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:       # pragma: no cover - private op missing in some builds
        return False


def auto_precision(device: str) -> str:
    """The paper recipe's precision on ``device``: fp16 on CUDA (the paper's), bf16 on CPUs with native
    bf16 (a ProtCLIP-8m step measured 0.6–0.9× the fp32 time on such a CPU), else fp32."""
    if device.startswith("cuda"):
        return "fp16"
    return "bf16" if cpu_has_native_bf16() else "fp32"


def recipe_name(cfg: PretrainConfig, mcfg: ProtCLIPConfig) -> str:
    if cfg.recipe is not None:
        if cfg.recipe not in RECIPES:
            raise ValueError(f"unknown recipe {cfg.recipe!r}; choose one of {sorted(RECIPES)}")
        return cfg.recipe
    return "paper" if mcfg.protein_size in PAPER_SIZES or mcfg.protein_size == "custom" else "demo"


def resolve(cfg: PretrainConfig, mcfg: ProtCLIPConfig, world_size: int) -> PretrainConfig:
    """``cfg`` with every recipe field filled in (``eval_every`` / ``save_every`` may stay ``"epoch"``)."""
    name = recipe_name(cfg, mcfg)
    r = RECIPES[name]
    out = dataclasses.replace(cfg, recipe=name)
    for k in ("lr", "betas", "weight_decay", "warmup_fraction", "batch_size", "epochs", "eval_every", "save_every",
              "zero1", "gradient_checkpointing"):
        if getattr(out, k) is None:
            setattr(out, k, r[k])
    out.betas = tuple(out.betas)
    if out.grad_accum is None:
        per = r["per_process_batch"]
        accum = max(1, out.batch_size // (world_size * per)) if per else 1
        while accum > 1 and out.batch_size % (world_size * accum):
            accum -= 1
        out.grad_accum = accum
    if out.precision not in PRECISIONS:
        raise ValueError(f"precision={out.precision!r}; choose one of {PRECISIONS}")
    if out.bf16:
        out.precision = "bf16"
    elif out.precision == "auto":
        out.precision = auto_precision(out.device) if r["precision"] == "auto" else r["precision"]
    if out.token_loss_mean not in ("device", "global"):
        raise ValueError(f"token_loss_mean={out.token_loss_mean!r}; choose 'device' (official) or 'global'")
    return out


def lr_lambda(warmup: int, total: int):
    """Multiplier of the peak LR at scheduler step ``s`` (transformers' linear schedule with warmup, as the
    official HF Trainer used): ``s / warmup`` for ``s < warmup``, then linear 1→0 at ``total``."""
    def f(s: int) -> float:
        if warmup > 0 and s < warmup:
            return s / warmup
        return max(0.0, (total - s) / max(1, total - warmup))
    return f


def step_seed(seed: int, step: int) -> int:
    return int(np.random.SeedSequence([seed, step]).generate_state(1, dtype=np.uint64)[0] >> 1)


def _split_valid(records: list[ProtAnnoRecord], cfg: PretrainConfig) -> tuple[list, list]:
    if cfg.valid_data:
        return records, read_protanno(cfg.valid_data)[: cfg.max_valid]
    n_valid = min(cfg.max_valid, int(round(len(records) * cfg.valid_fraction)))
    if n_valid == 0:
        return records, []
    perm = np.random.default_rng([cfg.seed, 999]).permutation(len(records))
    valid = set(perm[:n_valid].tolist())
    return [r for i, r in enumerate(records) if i not in valid], [records[i] for i in sorted(valid)]


class Trainer:
    """State of one run; :func:`pretrain` drives it."""

    def __init__(self, cfg: PretrainConfig):
        from .model import ProtCLIP

        self.world = dist_utils.init(cfg.device)
        self.mcfg = model_config(cfg)
        self.cfg = cfg = resolve(cfg, self.mcfg, self.world.size)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        if cfg.batch_size % (self.world.size * cfg.grad_accum):
            raise ValueError(f"batch_size {cfg.batch_size} must be divisible by processes ({self.world.size}) × "
                             f"grad_accum ({cfg.grad_accum})")
        self.micro = cfg.batch_size // (self.world.size * cfg.grad_accum)
        if cfg.precision == "fp16" and not cfg.device.startswith(("cuda", "cpu")):
            raise ValueError(f"precision fp16 needs a CUDA or CPU device, not {cfg.device}")
        self.out = Path(cfg.output_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        records = read_protanno(cfg.train_data)
        self.train_records, self.valid_records = _split_valid(records, cfg)
        self.steps_per_epoch = len(self.train_records) // cfg.batch_size
        if self.steps_per_epoch == 0:
            raise ValueError(f"{cfg.train_data}: {len(self.train_records)} training records, fewer than one "
                             f"global batch of {cfg.batch_size}; lower batch_size or add data")
        for k in ("eval_every", "save_every"):
            if getattr(cfg, k) == "epoch":
                setattr(cfg, k, self.steps_per_epoch)
        self.max_steps = cfg.max_steps or cfg.epochs * self.steps_per_epoch
        self.model = ProtCLIP(self.mcfg).to(cfg.device)
        self.terms = None                  # the GO-term objective's vocabulary (protclip/terms.py)
        if self.mcfg.enabled("terms"):
            from .terms import build_vocabulary

            if not cfg.go_obo:
                raise ValueError("the GO-term objective (loss_weights terms) needs go_obo: the go-basic OBO file "
                                 "of its term texts (--go-obo PATH)")
            self.terms = build_vocabulary(self.train_records, cfg.go_obo)
            self.term_index = self.terms.index()
            self.term_aspect = self.terms.aspect_tensor()
        if cfg.gradient_checkpointing:
            self.model.protein_encoder.enable_gradient_checkpointing()
        if cfg.cache_text or cfg.text_cache_file:
            if self.model.text_dropout_active():
                raise ValueError("the text-state cache (cache_text / text_cache_file) stores deterministic states, but "
                                 "with freeze_text_mode='train' (official) the frozen text encoder applies dropout "
                                 "while training; add --model-set freeze_text_mode=eval to train with cached states")
            self.model.text_cache = load_text_cache(cfg.text_cache_file, self.model)
        if cfg.protein_cache_dir:
            from .protein_cache import ProteinStateCache

            self.model.protein_cache = ProteinStateCache(cfg.protein_cache_dir, self.model.protein_encoder,
                                                         cfg.protein_cache_dtype)
        params = [p for p in self.model.parameters() if p.requires_grad]
        adam = {"lr": cfg.lr, "betas": tuple(cfg.betas), "eps": 1e-8, "weight_decay": cfg.weight_decay}
        self.zero = bool(cfg.zero1) and self.world.size > 1
        if self.zero:
            from torch.distributed.optim import ZeroRedundancyOptimizer

            self.optimizer = ZeroRedundancyOptimizer(params, optimizer_class=torch.optim.AdamW, **adam)
        else:
            self.optimizer = torch.optim.AdamW(params, **adam)
        warmup = int(math.ceil(cfg.warmup_fraction * self.max_steps))
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda(warmup, self.max_steps))
        # fp16: dynamic loss scaling (the official DeepSpeed config: initial scale 2^16, window 1000)
        self.scaler = (torch.amp.GradScaler(cfg.device.split(":")[0], init_scale=2.0 ** 16, growth_interval=1000)
                       if cfg.precision == "fp16" else None)
        self.net = self.model
        if self.world.size > 1:
            from torch.nn.parallel import DistributedDataParallel

            self.net = DistributedDataParallel(self.model, find_unused_parameters=False)
        self.step = 0
        self.best_val = float("inf")
        self.bad_evals = 0
        self.log_path = self.out / "log.jsonl"
        # what the summary reports about the whole run; saved in every checkpoint so a resumed run reports it too
        self.history: dict[str, Any] = {"train": [], "valid": [], "retrieval_init": None}
        self._fingerprint: dict[str, Any] | None = None

    def fingerprint(self) -> dict[str, Any]:
        """What a resumed run must share with the run it continues: the data (content hashes) and the batches."""
        if self._fingerprint is None:
            c = self.cfg
            self._fingerprint = {
                "train_data sha256": _sha256(c.train_data),
                "valid_data sha256": _sha256(c.valid_data) if c.valid_data else None,
                "batch_size": c.batch_size, "grad_accum": c.grad_accum, "processes": self.world.size,
                "micro_batch_per_process": self.micro, "seed": c.seed, "valid_fraction": c.valid_fraction,
                "max_valid": c.max_valid, "token_loss_mean": c.token_loss_mean}
            if self.terms is not None:
                self._fingerprint["term vocabulary sha256"] = self.terms.sha256()
            self._fingerprint["recipe"] = self.recipe()
        return self._fingerprint

    def recipe(self) -> dict[str, Any]:
        """What shapes the weights besides the data: the optimisation settings and the model configuration
        (objectives and their weights, architecture, initialisation; paths left out, the weights' sha256 kept),
        as JSON values. Operational settings (threads, checkpoint cadence, time budgets) are not in it."""
        c = self.cfg
        rec = {k: getattr(c, k) for k in RECIPE_FIELDS}
        rec.update({f"model.{k}": v for k, v in self.mcfg.to_dict().items() if k not in MODEL_PATH_FIELDS})
        return json.loads(json.dumps(rec, sort_keys=True, default=str))

    # -- data -----------------------------------------------------------------------------------
    def batch_records(self, step: int) -> list[ProtAnnoRecord]:
        epoch, pos = divmod(step, self.steps_per_epoch)
        perm = np.random.default_rng([self.cfg.seed, epoch]).permutation(len(self.train_records))
        idx = perm[pos * self.cfg.batch_size:(pos + 1) * self.cfg.batch_size]
        return [self.train_records[i] for i in idx]

    def autocast(self):
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.cfg.precision)
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.cfg.device.split(":")[0], dtype=dtype)

    def run_batch(self, records: list[ProtAnnoRecord], seed: int, train: bool) -> dict[str, float]:
        """Forward (and backward when ``train``) over one global batch; returns global per-term values.

        ``records`` (all processes' rows) are split into micro-batches of ``self.micro``
        rows per process; each micro-batch is one forward (GC negatives: its rows on every
        process). Token-level terms are means over each process's micro-batch
        (``token_loss_mean="device"``, official) or over the whole batch (``"global"``).
        """
        gen = torch.Generator().manual_seed(seed)
        gb = collate(records, self.mcfg, gen)
        if self.terms is not None:
            from .objectives import term_rows
            from .terms import term_targets

            gb["term_targets"] = term_targets(records, self.terms, self.term_index)
            gb["denominators"]["terms"] = term_rows(self.term_aspect, gb["term_targets"])
        W, b = self.world.size, self.micro
        A = len(records) // (W * b)
        device_mean = self.cfg.token_loss_mean == "device"
        sums = {k: 0.0 for k in ("loss",) + ALL_OBJECTIVES}
        for m in range(A):
            lo = (m * W + self.world.rank) * b
            local = slice_batch(gb, lo, lo + b, self.cfg.device)
            if device_mean:       # per-process means; DDP averages processes, 1/A averages micro-batches
                local["denominators"] = denominators(local["mlm_labels"], local["bsr_labels"], local["present"],
                                                     self.mcfg)
                if self.terms is not None:
                    from .objectives import term_rows

                    local["denominators"]["terms"] = term_rows(self.term_aspect, local["term_targets"])
                local["scale"] = 1.0 / A
            else:                 # shares of the global mean, times W to undo DDP's averaging
                local["scale"] = float(W)
            local["gc_weight"] = 1.0 / A
            sync = self.net.no_sync() if (train and W > 1 and m < A - 1) else contextlib.nullcontext()
            with sync:                    # forward and backward inside no_sync (DDP)
                with self.autocast(), torch.set_grad_enabled(train):
                    terms = self.net(local)
                if train:
                    (self.scaler.scale(terms["loss"]) if self.scaler else terms["loss"]).backward()
            for k, v in terms.items():
                v = float(v.detach())
                # gc is identical on every rank (already / A); token terms: local means or local shares
                sums[k] += v / W if k == "gc" else (v / (W * A) if device_mean else v)
        vec = dist_utils.all_reduce_sum(torch.tensor([sums[k] for k in ("loss",) + ALL_OBJECTIVES],
                                                     dtype=torch.float64))
        out = dict(zip(("loss",) + ALL_OBJECTIVES, vec.tolist()))
        w = self.mcfg.loss_weights
        out["loss"] = sum(w[k] * out[k] for k in ALL_OBJECTIVES if self.mcfg.enabled(k))
        return {k: v for k, v in out.items() if k == "loss" or self.mcfg.enabled(k)}

    def optimizer_step(self) -> bool:
        """Unscale (fp16), clip, step, clamp logit scales, advance the LR; False when the fp16 loss scaler skipped
        the step (inf/NaN gradients). A skipped step leaves the LR schedule where it was, as the official recipe's
        DeepSpeed engine does (``DeepSpeedEngine._take_model_step``: on overflow it counts a skipped step and does
        not step the LR scheduler)."""
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if self.cfg.max_grad_norm:
            torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad],
                                           self.cfg.max_grad_norm)
        applied = True
        if self.scaler is not None:
            scale = self.scaler.get_scale()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            applied = self.scaler.get_scale() >= scale      # the scaler backs its scale off exactly when it skips
        else:
            self.optimizer.step()
        self.model.clamp_logit_scales()
        if applied:
            self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return applied

    @torch.no_grad()
    def validate(self) -> dict[str, float] | None:
        """Mean per-term loss over the validation records, one micro-batch (``micro`` rows per process) at a time."""
        if not self.valid_records:
            return None
        self.net.eval()
        B = self.world.size * self.micro
        totals: dict[str, float] = {}
        n = 0
        for i in range(0, len(self.valid_records) - B + 1, B):
            terms = self.run_batch(self.valid_records[i:i + B], step_seed(self.cfg.seed + 7919, i), train=False)
            for k, v in terms.items():
                totals[k] = totals.get(k, 0.0) + v
            n += 1
        self.net.train()
        return {k: v / n for k, v in totals.items()} if n else None

    # -- checkpoints -----------------------------------------------------------------------------
    def save(self) -> Path | None:
        folder = self.out / "checkpoints" / f"step-{self.step:06d}"
        if self.zero:                     # every rank sends its optimizer shard to rank 0
            self.optimizer.consolidate_state_dict(to=0)
        if self.world.main:
            extra = {"best_val": self.best_val, "bad_evals": self.bad_evals, "pretrain_config": self.cfg.to_dict(),
                     "fingerprint": self.fingerprint(), "history": _encode_history(self.history)}
            if self.scaler is not None:
                extra["scaler"] = self.scaler.state_dict()
            ckpt.save_checkpoint(folder, self.model, self.optimizer, self.scheduler, self.step, extra,
                                 self.provenance())
            ckpt.prune_checkpoints(self.out, self.cfg.keep_checkpoints)
        dist_utils.barrier()
        return folder

    def provenance(self) -> dict[str, Any]:
        """``training.json`` of a checkpoint: how far these weights were trained, on what and where."""
        c = self.cfg
        return {"by": "protbench pretrain", "steps": self.step,
                "train_seconds": round(sum(h.get("seconds", 0.0) for h in self.history["train"]), 1),
                "device": str(c.device), "processes": self.world.size, "batch_size": c.batch_size,
                "precision": c.precision, "train_records": len(self.train_records),
                "train_data_sha256": self.fingerprint()["train_data sha256"], "seed": c.seed,
                "loss_weights": dict(self.mcfg.loss_weights), "platform": dict(_platform())}

    def restore(self, folder: Path) -> None:
        from safetensors.torch import load_file

        st = ckpt.load_training_state(folder)
        saved = st.get("fingerprint")
        if not isinstance(saved, dict) or "history" not in st:
            raise ValueError(f"cannot resume from {folder}: its training state has no data/batch fingerprint "
                             "(written by an older protbench); start over with --fresh")
        for key, now in self.fingerprint().items():
            if key == "recipe" and isinstance(saved.get(key), dict) and saved[key] != now:
                was = saved[key]
                diff = ", ".join(f"{k} {was.get(k)!r} in the checkpoint, {now.get(k)!r} now"
                                 for k in sorted(set(was) | set(now)) if was.get(k) != now.get(k))
                raise ValueError(
                    f"cannot resume from {folder}: the recipe changed ({diff}). A resumed run must train the "
                    f"same model the same way as the run it continues; restore the original settings, or start "
                    f"over with --fresh (or another --output-dir)")
            if saved.get(key) != now:
                raise ValueError(
                    f"cannot resume from {folder}: {key} changed ({saved.get(key)!r} in the checkpoint, {now!r} "
                    f"now). A resumed run must see the same data and the same global batches as the run it "
                    f"continues; restore the original, or start over with --fresh (or another --output-dir)")
        ckpt.load_state_into(self.model, load_file(str(folder / ckpt.MODEL_FILE)), str(folder), allow_missing=())
        self.optimizer.load_state_dict(st["optimizer"])
        self.scheduler.load_state_dict(st["scheduler"])
        if self.scaler is not None and "scaler" in st:
            self.scaler.load_state_dict(st["scaler"])
        self.step, self.best_val, self.bad_evals = st["step"], st["best_val"], st["bad_evals"]
        self.history = _decode_history(st["history"])
        ckpt.set_rng_state(st["rng"])
        if self.world.main and self.log_path.exists():     # drop log lines written after the checkpoint
            keep = [ln for ln in self.log_path.read_text().splitlines()
                    if ln.strip() and json.loads(ln).get("step", 0) <= self.step]
            self.log_path.write_text("".join(ln + "\n" for ln in keep))

    def log(self, rec: dict[str, Any]) -> None:
        if self.world.main:
            with open(self.log_path, "a") as fh:
                fh.write(json.dumps(rec) + "\n")


def _sha256(path: str | Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _encode_history(h: dict[str, Any]) -> dict[str, Any]:
    """Per-step training records as one float64 tensor (compact, ``weights_only``-loadable); the rest as is."""
    train = h["train"]
    keys = list(train[0]) if train else []
    values = torch.tensor([[float(r[k]) for k in keys] for r in train], dtype=torch.float64).reshape(len(train),
                                                                                                    len(keys))
    return {"train_keys": keys, "train": values, "valid": h["valid"], "retrieval_init": h["retrieval_init"]}


INT_RECORD_KEYS = ("step", "skipped")     # per-step record fields that are whole numbers (the rest are floats)


def _decode_history(d: dict[str, Any]) -> dict[str, Any]:
    keys = d["train_keys"]
    train = [{k: (int(v) if k in INT_RECORD_KEYS else float(v)) for k, v in zip(keys, row)}
             for row in d["train"].tolist()]
    return {"train": train, "valid": list(d["valid"]), "retrieval_init": d["retrieval_init"]}


def load_text_cache(path: str | None, model) -> dict:
    """The text-state cache from ``path`` (checked against the text encoder's config), or an empty one.

    The file is read with ``torch.load(weights_only=True)`` (tensors and plain data
    only; see :func:`protbench.protclip.checkpoint.safe_torch_load`), so a planted
    cache file cannot run code: it is refused with an error naming it.
    """
    if path and Path(path).is_file():
        fix = (f"It is only a cache: delete {path} (it is rebuilt from the text encoder) or set text_cache_file to "
               "a path inside your own output folder.")
        blob = ckpt.safe_torch_load(path, "text cache", fix)
        if not (isinstance(blob, dict) and isinstance(blob.get("states"), dict)
                and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in blob["states"].items())):
            raise ckpt.UnsafeFileError(f"{path}: not a protbench text cache (expected a dict with 'text_config' "
                                       f"and 'states': text -> tensor). {fix}")
        if blob.get("text_config") != _text_config(model):
            raise ValueError(f"text cache {path} was made with another text encoder; delete it or change "
                             "text_cache_file")
        return blob["states"]
    return {}


def _text_config(model) -> dict:
    """What a cache file records to detect another text encoder: its config as JSON data, without
    ``_name_or_path`` (where it was installed: the same weights read from another virtual environment are the
    same encoder), and the fingerprint of its weights (two checkpoints of one architecture share a config)."""
    from protbench.models.esm import state_fingerprint

    conf = {k: v for k, v in model.text_model.config.to_dict().items() if k != "_name_or_path"}
    return {"config": json.loads(json.dumps(conf, sort_keys=True, default=str)),
            "weights": state_fingerprint(model.text_model, {"kind": "text"})}


def fill_text_cache(tr: "Trainer", records: list[ProtAnnoRecord], batch_size: int = 64,
                    texts: Sequence[str] = ()) -> int:
    """Compute (once) the text and subtext states of ``records``, and of ``texts`` (at ``max_text_length``: the
    GO-term vocabulary), into the model's cache; returns new entries."""
    from .data import pda_subtexts

    m, c = tr.model, tr.mcfg
    before = len(m.text_cache)
    texts = sorted({r.text for r in records} | set(texts), key=lambda t: (len(t), t))   # similar lengths batch
    subs = sorted({s for r in records for s in pda_subtexts(r.text, c.pda_subtext_headers)},
                  key=lambda t: (len(t), t))
    with torch.no_grad():
        for items, L in ((texts, c.max_text_length), (subs, c.max_subtext_length)):
            todo = [t for t in items if f"{L}\t{t}" not in m.text_cache]
            for i in range(0, len(todo), batch_size):
                m.text_states(todo[i:i + batch_size], L)
    return len(m.text_cache) - before


def fill_protein_cache(tr: "Trainer", records: list[ProtAnnoRecord], full: list[ProtAnnoRecord] = ()) -> int:
    """Compute (once) the frozen encoder's states of ``records`` as training crops them (the deterministic window:
    ``protein_crop="first"``) and of ``full`` uncropped (retrieval embeds whole sequences); the main process
    fills, the others wait. Returns how many proteins were computed."""
    from .data import crop

    c, cache = tr.mcfg, tr.model.protein_cache
    added = 0
    if tr.world.main:
        seqs = [crop(r.seq, c.max_protein_length, None, c.protein_crop) for r in records] + [r.seq for r in full]
        added = cache.fill(seqs)
    dist_utils.barrier()
    return added


def _retrieval(trainer: Trainer, records: list[ProtAnnoRecord]) -> dict[str, Any] | None:
    if not records or not trainer.world.main:
        return None
    from .evaluate import zero_shot_retrieval

    return zero_shot_retrieval(trainer.model, [r.seq for r in records], [r.text for r in records])


def pretrain(cfg: PretrainConfig) -> dict[str, Any]:
    """Run (or resume) pretraining; returns the summary also written to ``output_dir/summary.json``.

    Summary keys: ``steps``, ``seconds``, ``stopped`` (``"max_steps"``,
    ``"time_budget"``, ``"early_stopping"``), ``first`` / ``final`` (per-term
    training losses of the first / last step), ``mean_first`` /
    ``mean_last`` (means over the first / last 10% of steps), ``valid``
    (first / best / last validation terms), ``retrieval`` (``init`` / ``final``
    zero-shot metrics when ``retrieval_data`` is set), ``checkpoint`` (final
    folder), ``best`` (best-validation folder), ``log``, ``world_size``, ``model``,
    ``training`` (the resolved recipe). ``first``, ``mean_*``, ``valid`` and
    ``retrieval.init`` cover the whole run: their history is saved in every
    checkpoint, so a resumed run reports the same as an uninterrupted one.

    Resuming refuses (``ValueError`` naming the field) a checkpoint whose training
    data (SHA-256 of the file), validation data, batch configuration (``batch_size``,
    ``grad_accum``, processes, micro-batch), seed, validation split or recipe (optimisation
    settings and model configuration: :data:`RECIPE_FIELDS`, objectives and their weights) differ
    from now. Starting fresh (``resume=None``) removes what an earlier run left in ``output_dir``
    (checkpoints, ``best/``, ``summary.json``), so nothing of it is taken for this run's.
    """
    t0 = time.time()
    tr = Trainer(cfg)
    cfg = tr.cfg                          # recipe defaults filled in
    resumed_from = None
    if tr.world.main:
        ckpt.recover_folder(tr.out / "best")      # a kill while the best model was being replaced
    if cfg.resume:
        folder = ckpt.latest_checkpoint(cfg.output_dir) if cfg.resume == "auto" else Path(cfg.resume)
        if folder is not None:
            tr.restore(folder)
            resumed_from = str(folder)
    elif tr.world.main:
        ckpt.clear_run(tr.out)                    # an earlier run's checkpoints would be taken for this one's
    if tr.world.main:
        ckpt.write_json(tr.out / "pretrain_config.json", cfg.to_dict())
    retrieval_records = read_protanno(cfg.retrieval_data)[: cfg.max_retrieval] if cfg.retrieval_data else []
    if cfg.text_cache_file:
        t1 = time.time()
        added = fill_text_cache(tr, tr.train_records + tr.valid_records + retrieval_records,
                                texts=tr.terms.texts if tr.terms is not None else ())
        if added and tr.world.main:
            tmp = Path(f"{cfg.text_cache_file}.tmp{os.getpid()}")      # a kill mid-write leaves the old cache
            torch.save({"text_config": _text_config(tr.model), "states": tr.model.text_cache}, tmp)
            os.replace(tmp, cfg.text_cache_file)
        tr.log({"step": tr.step, "event": "text_cache", "added": added, "seconds": time.time() - t1})
    if tr.terms is not None:          # the frozen text encoder's pooled term texts, once per run
        t1 = time.time()
        tr.model.term_bank = (tr.model.pooled_texts(list(tr.terms.texts)).to(cfg.device), tr.term_aspect)
        tr.log({"step": tr.step, "event": "term_bank", "terms": len(tr.terms), "seconds": time.time() - t1})
    if tr.model.protein_cache is not None:
        t1 = time.time()
        added = fill_protein_cache(tr, tr.train_records + tr.valid_records, retrieval_records)
        tr.log({"step": tr.step, "event": "protein_cache", "added": added, "seconds": time.time() - t1})
    leakage = None
    if cfg.leakage_tasks and tr.world.main:
        from .leakage import run_leakage_check, summary_line

        rep = run_leakage_check(cfg.leakage_tasks, [r.seq for r in tr.train_records + tr.valid_records],
                                tr.out / "leakage.json", identity=cfg.leakage_identity, threads=cfg.threads or 1)
        leakage = {"report": str(tr.out / "leakage.json"), "summary": summary_line(rep),
                   "unavailable": sorted(rep["unavailable"])}
        tr.log({"step": tr.step, "event": "leakage", **leakage})
    training = {"recipe": cfg.recipe, "precision": cfg.precision, "zero1": tr.zero, "batch_size": cfg.batch_size,
                "grad_accum": cfg.grad_accum, "micro_batch_per_process": tr.micro,
                "gc_negatives": tr.micro * tr.world.size, "token_loss_mean": cfg.token_loss_mean,
                "lr": cfg.lr, "betas": list(cfg.betas), "weight_decay": cfg.weight_decay}
    summary: dict[str, Any] = {"world_size": tr.world.size, "model": tr.mcfg.to_dict(), "resumed_from": resumed_from,
                               "training": training,
                               "train_records": len(tr.train_records), "valid_records": len(tr.valid_records),
                               "max_steps": tr.max_steps, "retrieval": {}}
    if tr.terms is not None:
        from .terms import ASPECTS

        summary["term_vocabulary"] = {"go_obo": cfg.go_obo, "sha256": tr.terms.sha256(),
                                      **{a: tr.terms.aspect.count(k) for k, a in enumerate(ASPECTS)}}
    if retrieval_records and tr.step == 0:
        tr.history["retrieval_init"] = _retrieval(tr, retrieval_records)
    if tr.history["retrieval_init"] is not None:          # measured at step 0, also when this run resumed
        summary["retrieval"]["init"] = tr.history["retrieval_init"]
    valid_hist: list[dict[str, Any]] = tr.history["valid"]      # whole run, resumed ones included
    if tr.step == 0:
        v = tr.validate()
        if v:
            valid_hist.append({"step": 0, **v})
            tr.log({"split": "valid", "step": 0, **v})
    show = cfg.progress if cfg.progress is not None else sys.stderr.isatty()
    bar = None
    if show and tr.world.main:
        from tqdm import tqdm

        bar = tqdm(total=tr.max_steps, initial=tr.step, desc="pretrain", dynamic_ncols=True)
    stopped = "max_steps"
    t_loop = time.time()
    train_hist: list[dict[str, float]] = tr.history["train"]
    tr.net.train()
    while tr.step < tr.max_steps:
        ts = time.time()
        terms = tr.run_batch(tr.batch_records(tr.step), step_seed(cfg.seed, tr.step), train=True)
        lr = tr.optimizer.param_groups[0]["lr"]
        applied = tr.optimizer_step()
        tr.step += 1
        rec = {"step": tr.step, **terms, "lr": lr, "logit_scale": float(tr.model.logit_scale.detach().exp()),
               "local_logit_scale": float(tr.model.local_logit_scale.detach().exp()), "seconds": time.time() - ts}
        if tr.scaler is not None:          # fp16: whether the loss scaler applied this step, and its scale after it
            rec.update(skipped=int(not applied), loss_scale=float(tr.scaler.get_scale()))
        train_hist.append(rec)
        tr.log(rec)
        if bar is not None:
            bar.update(1)
            bar.set_postfix({k: f"{terms[k]:.3f}" for k in terms})
        if cfg.eval_every and tr.step % cfg.eval_every == 0:
            v = tr.validate()
            if v:
                valid_hist.append({"step": tr.step, **v})
                tr.log({"split": "valid", "step": tr.step, **v})
                if v["loss"] < tr.best_val - 1e-6:
                    tr.best_val, tr.bad_evals = v["loss"], 0
                    if cfg.save_best and tr.world.main:
                        ckpt.save_best(tr.model, tr.out / "best", tr.provenance())
                else:
                    tr.bad_evals += 1
                    if tr.bad_evals >= cfg.patience:
                        stopped = "early_stopping"
        if cfg.save_every and tr.step % cfg.save_every == 0:
            tr.save()
        if stopped == "early_stopping":
            break
        if cfg.stop_after_steps and tr.step >= cfg.stop_after_steps and tr.step < tr.max_steps:
            stopped = "stop_after_steps"
            break
        if cfg.time_budget_s and time.time() - t_loop > cfg.time_budget_s and tr.step < tr.max_steps:
            stopped = "time_budget"
            break
    if bar is not None:
        bar.close()
    final_folder = tr.save()
    v = tr.validate()
    if v and (not valid_hist or valid_hist[-1]["step"] != tr.step):
        valid_hist.append({"step": tr.step, **v})
        tr.log({"split": "valid", "step": tr.step, **v})
    if retrieval_records:
        summary["retrieval"]["final"] = _retrieval(tr, retrieval_records)
    k = max(1, len(train_hist) // 10)
    keys = [x for x in ("loss",) + ALL_OBJECTIVES if train_hist and x in train_hist[0]]
    summary.update({
        "steps": tr.step, "seconds": time.time() - t0, "stopped": stopped,
        "first": train_hist[0] if train_hist else None, "final": train_hist[-1] if train_hist else None,
        "mean_first": {x: float(np.mean([h[x] for h in train_hist[:k]])) for x in keys},
        "mean_last": {x: float(np.mean([h[x] for h in train_hist[-k:]])) for x in keys},
        **({"skipped_steps": sum(h["skipped"] for h in train_hist)} if tr.scaler is not None else {}),
        "valid": {"first": valid_hist[0] if valid_hist else None,
                  "best": min(valid_hist, key=lambda h: h["loss"]) if valid_hist else None,
                  "last": valid_hist[-1] if valid_hist else None},
        "checkpoint": str(final_folder), "best": str(tr.out / "best") if (tr.out / "best").exists() else None,
        "log": str(tr.log_path),
    })
    if tr.model.protein_cache is not None:
        summary["protein_cache"] = tr.model.protein_cache.describe()
    if leakage is not None:
        summary["leakage"] = leakage
    if tr.world.main:
        ckpt.write_json(tr.out / "summary.json", summary)
    return summary


@functools.lru_cache(maxsize=1)
def _platform() -> dict[str, Any]:
    """Which CPU trained the weights (its kernels decide the last digits, AMX or not decides bf16's speed)."""
    from protbench.results import numeric_platform
    p = numeric_platform()
    return {k: p.get(k) for k in ("cpu_model", "cpu", "isa", "torch_cpu_capability")}
