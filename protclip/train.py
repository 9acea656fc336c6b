"""ProtCLIP pretraining: ``pretrain(PretrainConfig) -> summary dict`` (also ``protbench pretrain``).

Loop: AdamW, linear warmup then linear decay to 0 at ``max_steps``, gradient
accumulation, optional bf16 autocast and gradient checkpointing, gradient
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

Quick use (what the quickstart calls)::

    from protbench.protclip.train import PretrainConfig, pretrain
    summary = pretrain(PretrainConfig(train_data="corpus.jsonl", output_dir="runs/tiny",
                                      model="tiny", max_steps=200, time_budget_s=60))
    summary["final"]["loss"], summary["checkpoint"]   # a folder loadable as --weights for `protclip`
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import checkpoint as ckpt
from . import distributed as dist_utils
from .config import OBJECTIVES, ProtCLIPConfig, named_config
from .data import ProtAnnoRecord, collate, read_protanno, slice_batch


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
    Optimisation
        ``batch_size`` is the *global* batch (over processes × ``grad_accum``; must divide
        evenly). ``lr`` peak learning rate, ``warmup_fraction`` of ``max_steps``,
        then linear decay to 0. ``max_steps`` (None: ``epochs`` × steps per epoch).
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
    batch_size: int = 8
    grad_accum: int = 1
    lr: float = 5e-4
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.98)
    warmup_fraction: float = 0.03
    max_steps: int | None = None
    epochs: int = 1
    time_budget_s: float | None = None
    stop_after_steps: int | None = None
    max_grad_norm: float | None = 1.0
    eval_every: int = 50
    patience: int = 4
    save_every: int = 100
    keep_checkpoints: int = 2
    save_best: bool = True
    bf16: bool = False
    gradient_checkpointing: bool = False
    cache_text: bool = False
    text_cache_file: str | None = None
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


def lr_lambda(warmup: int, total: int):
    """Multiplier of the peak LR at scheduler step ``s``: linear 0→1 over ``warmup``, then linear 1→0 at ``total``."""
    def f(s: int) -> float:
        if warmup > 0 and s < warmup:
            return (s + 1) / warmup
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

        self.cfg = cfg
        self.world = dist_utils.init(cfg.device)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        if cfg.batch_size % (self.world.size * cfg.grad_accum):
            raise ValueError(f"batch_size {cfg.batch_size} must be divisible by processes ({self.world.size}) × "
                             f"grad_accum ({cfg.grad_accum})")
        self.micro = cfg.batch_size // (self.world.size * cfg.grad_accum)
        self.out = Path(cfg.output_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.mcfg = model_config(cfg)
        records = read_protanno(cfg.train_data)
        self.train_records, self.valid_records = _split_valid(records, cfg)
        self.steps_per_epoch = len(self.train_records) // cfg.batch_size
        if self.steps_per_epoch == 0:
            raise ValueError(f"{cfg.train_data}: {len(self.train_records)} training records, fewer than one "
                             f"global batch of {cfg.batch_size}; lower batch_size or add data")
        self.max_steps = cfg.max_steps or cfg.epochs * self.steps_per_epoch
        self.model = ProtCLIP(self.mcfg).to(cfg.device)
        if cfg.gradient_checkpointing:
            pm = self.model.protein_model
            (getattr(pm, "activation_checkpointing_enable", None) or pm.gradient_checkpointing_enable)()
        if cfg.cache_text or cfg.text_cache_file:
            if self.model.text_dropout_active():
                raise ValueError("the text-state cache (cache_text / text_cache_file) stores deterministic states, but "
                                 "with freeze_text_mode='train' (official) the frozen text encoder applies dropout "
                                 "while training; add --model-set freeze_text_mode=eval to train with cached states")
            self.model.text_cache = load_text_cache(cfg.text_cache_file, self.model)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay)
        warmup = int(math.ceil(cfg.warmup_fraction * self.max_steps))
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda(warmup, self.max_steps))
        self.net = self.model
        if self.world.size > 1:
            from torch.nn.parallel import DistributedDataParallel

            self.net = DistributedDataParallel(self.model, find_unused_parameters=False)
        self.step = 0
        self.best_val = float("inf")
        self.bad_evals = 0
        self.log_path = self.out / "log.jsonl"

    # -- data -----------------------------------------------------------------------------------
    def batch_records(self, step: int) -> list[ProtAnnoRecord]:
        epoch, pos = divmod(step, self.steps_per_epoch)
        perm = np.random.default_rng([self.cfg.seed, epoch]).permutation(len(self.train_records))
        idx = perm[pos * self.cfg.batch_size:(pos + 1) * self.cfg.batch_size]
        return [self.train_records[i] for i in idx]

    def autocast(self):
        if self.cfg.bf16:
            return torch.autocast(device_type=self.cfg.device.split(":")[0], dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def run_batch(self, records: list[ProtAnnoRecord], seed: int, train: bool) -> dict[str, float]:
        """Forward (and backward when ``train``) over one global batch; returns global per-term values."""
        gen = torch.Generator().manual_seed(seed)
        gb = collate(records, self.mcfg, gen)
        W, A, b = self.world.size, self.cfg.grad_accum if train else 1, len(records) // self.world.size
        if train:
            b = self.micro
        sums = {k: 0.0 for k in ("loss",) + OBJECTIVES}
        for m in range(A):
            lo = (m * W + self.world.rank) * b
            local = slice_batch(gb, lo, lo + b, self.cfg.device)
            local["scale"], local["gc_weight"] = float(W), 1.0 / A
            sync = self.net.no_sync() if (train and W > 1 and m < A - 1) else contextlib.nullcontext()
            with sync, self.autocast(), torch.set_grad_enabled(train):
                terms = self.net(local)
                if train:
                    terms["loss"].backward()
            for k, v in terms.items():
                v = float(v.detach())
                # gc is identical on every rank; token terms are local shares of the global mean
                sums[k] += v / W if k == "gc" else v
        vec = dist_utils.all_reduce_sum(torch.tensor([sums[k] for k in ("loss",) + OBJECTIVES], dtype=torch.float64))
        out = dict(zip(("loss",) + OBJECTIVES, vec.tolist()))
        w = self.mcfg.loss_weights
        out["loss"] = sum(w[k] * out[k] for k in OBJECTIVES if self.mcfg.enabled(k))
        return {k: v for k, v in out.items() if k == "loss" or self.mcfg.enabled(k)}

    @torch.no_grad()
    def validate(self) -> dict[str, float] | None:
        if not self.valid_records:
            return None
        self.net.eval()
        B = self.cfg.batch_size
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
        if self.world.main:
            ckpt.save_checkpoint(folder, self.model, self.optimizer, self.scheduler, self.step,
                                 {"best_val": self.best_val, "bad_evals": self.bad_evals,
                                  "pretrain_config": self.cfg.to_dict()})
            ckpt.prune_checkpoints(self.out, self.cfg.keep_checkpoints)
        dist_utils.barrier()
        return folder

    def restore(self, folder: Path) -> None:
        from safetensors.torch import load_file

        ckpt.load_state_into(self.model, load_file(str(folder / ckpt.MODEL_FILE)), str(folder), allow_missing=())
        st = ckpt.load_training_state(folder)
        self.optimizer.load_state_dict(st["optimizer"])
        self.scheduler.load_state_dict(st["scheduler"])
        self.step, self.best_val, self.bad_evals = st["step"], st["best_val"], st["bad_evals"]
        ckpt.set_rng_state(st["rng"])
        if self.world.main and self.log_path.exists():     # drop log lines written after the checkpoint
            keep = [ln for ln in self.log_path.read_text().splitlines()
                    if ln.strip() and json.loads(ln).get("step", 0) <= self.step]
            self.log_path.write_text("".join(ln + "\n" for ln in keep))

    def log(self, rec: dict[str, Any]) -> None:
        if self.world.main:
            with open(self.log_path, "a") as fh:
                fh.write(json.dumps(rec) + "\n")


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
    """The text encoder's config as JSON data (what a cache file records to detect another encoder)."""
    return json.loads(json.dumps(model.text_model.config.to_dict(), sort_keys=True, default=str))


def fill_text_cache(tr: "Trainer", records: list[ProtAnnoRecord], batch_size: int = 64) -> int:
    """Compute (once) the text and subtext states of ``records`` into the model's cache; returns new entries."""
    from .data import pda_subtexts

    m, c = tr.model, tr.mcfg
    before = len(m.text_cache)
    texts = sorted({r.text for r in records}, key=lambda t: (len(t), t))       # similar lengths batch together
    subs = sorted({s for r in records for s in pda_subtexts(r.text, c.pda_subtext_headers)},
                  key=lambda t: (len(t), t))
    with torch.no_grad():
        for items, L in ((texts, c.max_text_length), (subs, c.max_subtext_length)):
            todo = [t for t in items if f"{L}\t{t}" not in m.text_cache]
            for i in range(0, len(todo), batch_size):
                m.text_states(todo[i:i + batch_size], L)
    return len(m.text_cache) - before


def _retrieval(trainer: Trainer, records: list[ProtAnnoRecord]) -> dict[str, Any] | None:
    if not records or not trainer.world.main:
        return None
    from .evaluate import zero_shot_retrieval

    return zero_shot_retrieval(trainer.model, [r.seq for r in records], [r.text for r in records])


def pretrain(cfg: PretrainConfig) -> dict[str, Any]:
    """Run (or resume) pretraining; returns the summary also written to ``output_dir/summary.json``.

    Summary keys: ``steps``, ``seconds``, ``stopped`` (``"max_steps"``,
    ``"time_budget"``, ``"early_stopping"``), ``first`` / ``final`` (per-term
    training losses of the first / last logged step), ``mean_first`` /
    ``mean_last`` (means over the first / last 10% of steps), ``valid``
    (first / best / last validation terms), ``retrieval`` (``init`` / ``final``
    zero-shot metrics when ``retrieval_data`` is set), ``checkpoint`` (final
    folder), ``best`` (best-validation folder), ``log``, ``world_size``, ``model``.
    """
    t0 = time.time()
    tr = Trainer(cfg)
    resumed_from = None
    if cfg.resume:
        folder = ckpt.latest_checkpoint(cfg.output_dir) if cfg.resume == "auto" else Path(cfg.resume)
        if folder is not None:
            tr.restore(folder)
            resumed_from = str(folder)
    elif tr.world.main and tr.log_path.exists():
        tr.log_path.unlink()
    if tr.world.main:
        ckpt.write_json(tr.out / "pretrain_config.json", cfg.to_dict())
    retrieval_records = read_protanno(cfg.retrieval_data)[: cfg.max_retrieval] if cfg.retrieval_data else []
    if cfg.text_cache_file:
        t1 = time.time()
        added = fill_text_cache(tr, tr.train_records + tr.valid_records + retrieval_records)
        if added and tr.world.main:
            torch.save({"text_config": _text_config(tr.model), "states": tr.model.text_cache}, cfg.text_cache_file)
        tr.log({"step": tr.step, "event": "text_cache", "added": added, "seconds": time.time() - t1})
    summary: dict[str, Any] = {"world_size": tr.world.size, "model": tr.mcfg.to_dict(), "resumed_from": resumed_from,
                               "train_records": len(tr.train_records), "valid_records": len(tr.valid_records),
                               "max_steps": tr.max_steps, "retrieval": {}}
    if retrieval_records and tr.step == 0:
        summary["retrieval"]["init"] = _retrieval(tr, retrieval_records)
    valid_hist: list[dict[str, Any]] = []
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
    train_hist: list[dict[str, float]] = []
    tr.net.train()
    while tr.step < tr.max_steps:
        ts = time.time()
        terms = tr.run_batch(tr.batch_records(tr.step), step_seed(cfg.seed, tr.step), train=True)
        if cfg.max_grad_norm:
            torch.nn.utils.clip_grad_norm_([p for p in tr.model.parameters() if p.requires_grad], cfg.max_grad_norm)
        lr = tr.optimizer.param_groups[0]["lr"]
        tr.optimizer.step()
        tr.model.clamp_logit_scales()
        tr.scheduler.step()
        tr.optimizer.zero_grad(set_to_none=True)
        tr.step += 1
        rec = {"step": tr.step, **terms, "lr": lr, "logit_scale": float(tr.model.logit_scale.detach().exp()),
               "local_logit_scale": float(tr.model.local_logit_scale.detach().exp()), "seconds": time.time() - ts}
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
                        ckpt.save_model(tr.model, tr.out / "best")
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
    keys = [x for x in ("loss",) + OBJECTIVES if train_hist and x in train_hist[0]]
    summary.update({
        "steps": tr.step, "seconds": time.time() - t0, "stopped": stopped,
        "first": train_hist[0] if train_hist else None, "final": train_hist[-1] if train_hist else None,
        "mean_first": {x: float(np.mean([h[x] for h in train_hist[:k]])) for x in keys},
        "mean_last": {x: float(np.mean([h[x] for h in train_hist[-k:]])) for x in keys},
        "valid": {"first": valid_hist[0] if valid_hist else None,
                  "best": min(valid_hist, key=lambda h: h["loss"]) if valid_hist else None,
                  "last": valid_hist[-1] if valid_hist else None},
        "checkpoint": str(final_folder), "best": str(tr.out / "best") if (tr.out / "best").exists() else None,
        "log": str(tr.log_path),
    })
    if tr.world.main:
        ckpt.write_json(tr.out / "summary.json", summary)
    return summary
