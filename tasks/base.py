"""The task class shared by the function and mutation families: a spec, a loader, smoke data, a probe.

A :class:`ProbeTask` evaluates with the ``probe`` protocol (frozen pooled
embeddings → head chosen on validation) or, for models with a trainable
encoder, ``finetune``. Scores are reported for the valid and test splits, with
percentile bootstrap intervals over test items (``SeedResult.ci``).

A task may accept a second input format: ``alternatives`` lists other source
sets (e.g. converted CSVs of the same records); :meth:`ProbeTask.select_sources`
uses the first set whose files are all available locally (cache or mirror)
when the canonical ``spec.sources`` are not, and otherwise the canonical set.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from protbench.evaluation.probe import ProbeConfig, fit_probe
from protbench.interfaces import Embeddings, EvalOptions
from protbench.metrics import LOWER_IS_BETTER, METRICS
from protbench.metrics.bootstrap import bootstrap_ci
from protbench.sequences import DropLog
from protbench.spec import DataSource, Record, SeedResult, TaskData, TaskSpec

# bootstrap resamples of the test split per task type (multi-label metrics sort n*C scores: fewer)
CI_RESAMPLES = {"regression": 1000, "classification": 1000, "multilabel": 200}


class LabelError(ValueError):
    """A label outside the task's label space."""


def labels_of(data: TaskData, split: str, task_type: str, n_outputs: int | None) -> np.ndarray:
    """Labels of a split as an array: floats ``(n,)``, class ids ``(n,)`` or a 0/1 matrix ``(n, C)``.

    A class id or label index outside ``0..n_outputs-1`` raises :class:`LabelError` naming the record.
    """
    recs = data.splits[split]
    if task_type == "regression":
        return np.array([float(r.label) for r in recs], dtype=np.float64)
    if task_type == "classification":
        y = np.array([int(r.label) for r in recs], dtype=np.int64)
        if n_outputs is not None and len(y) and (y.min() < 0 or y.max() >= n_outputs):
            i = int(np.flatnonzero((y < 0) | (y >= n_outputs))[0])
            raise LabelError(f"{split} record {recs[i].id}: class {y[i]} outside the label space 0..{n_outputs - 1}")
        return y
    y = np.zeros((len(recs), int(n_outputs)), dtype=np.float32)
    for i, r in enumerate(recs):
        idx = list(r.label)
        if any(k < 0 or k >= n_outputs for k in idx):
            raise LabelError(f"{split} record {r.id}: label index outside the label space 0..{n_outputs - 1}")
        y[i, idx] = 1.0
    return y


def check_label(label: int, n_classes: int, split: str, where: str, log: DropLog) -> bool:
    """True for a class id in ``0..n_classes-1``; otherwise log a counted drop ("label outside label space")."""
    if label is None or not (0 <= int(label) < n_classes):
        log.drop(split, "label outside label space", f"{where} (label {label!r})")
        return False
    return True


def dedup_within_split(records: list[Record], split: str, log: DropLog) -> list[Record]:
    """Keep the first record of each distinct sequence in a split; later copies are logged drops.

    torchdrug's documented split sizes count distinct sequences (e.g. TAPE stability train: 53,614 LMDB
    records, 53,571 distinct), so the tasks that document such sizes apply this.
    """
    seen: set[str] = set()
    out = []
    for r in records:
        if r.sequence in seen:
            log.drop(split, "duplicate sequence in split", r.id)
            continue
        seen.add(r.sequence)
        out.append(r)
    return out


def score_all(metrics: tuple[str, ...], y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
    return {m: float(METRICS[m](y_true, y_score)) for m in metrics}


@dataclass
class ProbeTask:
    """A supervised task on pooled protein embeddings.

    ``read(files) -> TaskData`` parses the fetched upstream files (keys are
    :attr:`DataSource.filename`; ``files.cache_dir`` is where archives unpack);
    ``smoke(folder) -> {filename: path}`` writes synthetic files in the same
    format. ``task_type`` is ``regression``, ``classification`` or ``multilabel``;
    ``n_outputs`` the number of classes/labels (None: taken from
    ``data.extra["n_outputs"]``). ``alternatives``: other accepted source sets.
    """

    spec: TaskSpec
    task_type: str
    read: Callable[[Mapping[str, Path]], TaskData]
    smoke: Callable[[Path], dict[str, Path]]
    n_outputs: int | None = None
    alternatives: tuple[tuple[DataSource, ...], ...] = ()

    def load(self, files: Mapping[str, Path]) -> TaskData:
        return self.read(files)

    def write_smoke(self, folder: Path) -> dict[str, Path]:
        return self.smoke(Path(folder))

    def outputs(self, data: TaskData) -> int | None:
        return data.extra.get("n_outputs") or self.n_outputs

    def select_sources(self, fetcher: Any) -> tuple[DataSource, ...]:
        """The canonical sources, unless only an alternative set is available locally (cache/mirror)."""
        def local(sources: Sequence[DataSource]) -> bool:
            return all(fetcher.locate(s) is not None for s in sources)

        if not self.alternatives or local(self.spec.sources):
            return self.spec.sources
        for alt in self.alternatives:
            if local(alt):
                return alt
        return self.spec.sources

    def evaluate(self, data: TaskData, emb: Embeddings, seed: int, options: EvalOptions) -> SeedResult:
        protocol = options.protocol or self.spec.protocol
        if protocol not in self.spec.protocols:
            raise ValueError(f"task {self.spec.id!r} has no protocol {protocol!r}; choose one of {self.spec.protocols}")
        n_out = self.outputs(data)
        ys = {s: labels_of(data, s, self.task_type, n_out) for s in ("train", "valid", "test")}
        ctx = ProtocolContext(task_type=self.task_type, data=data, ys=ys, emb=emb, seed=seed, n_outputs=n_out,
                              select=METRICS[self.spec.main_metric],
                              higher_is_better=self.spec.main_metric not in LOWER_IS_BETTER, options=options)
        preds, info = resolve_protocol(protocol)(ctx)
        scores = {s: score_all(self.spec.metrics, ys[s], preds[s]) for s in ("valid", "test")}
        n_boot = int(options.params.get("ci_resamples", CI_RESAMPLES[self.task_type]))
        ci = {"test": {m: bootstrap_ci(METRICS[m], ys["test"], preds["test"], n_resamples=n_boot, seed=seed)
                       for m in self.spec.metrics}} if n_boot > 0 else {}
        info = {**info, "ci": {"method": "percentile bootstrap over test items", "resamples": n_boot,
                               "level": 0.95, "seed": seed}}
        return SeedResult(scores=scores, ci=ci, info=info,
                          predictions={"test": {"y_true": ys["test"], "y_score": preds["test"]}})


@dataclass
class ProtocolContext:
    """Everything a supervised protocol needs; it returns ``({"valid": scores, "test": scores}, info)``.

    Scores have the shape the task's metrics expect: ``(n,)`` regression values,
    ``(n, C)`` class probabilities, or ``(n, C)`` multi-label probabilities.
    """

    task_type: str
    data: TaskData
    ys: dict[str, np.ndarray]
    emb: Embeddings
    seed: int
    n_outputs: int | None
    select: Callable[[np.ndarray, np.ndarray], float]
    higher_is_better: bool
    options: EvalOptions


def probe_protocol(ctx: ProtocolContext) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Frozen pooled embeddings → head chosen on validation (see :mod:`protbench.evaluation.probe`)."""
    xs = {s: ctx.emb.proteins([r.sequence for r in ctx.data.splits[s]]) for s in ("train", "valid", "test")}
    config = ProbeConfig.quick() if ctx.options.quick else ProbeConfig()
    config = config.with_overrides(ctx.options.params)
    fit = fit_probe(ctx.task_type, xs["train"], ctx.ys["train"], xs["valid"], ctx.ys["valid"], ctx.select,
                    seed=ctx.seed, n_outputs=ctx.n_outputs, config=config, higher_is_better=ctx.higher_is_better)
    return {s: fit.predict(xs[s]) for s in ("valid", "test")}, {"chosen": fit.chosen, "candidates": fit.candidates,
                                                                  "fit_seconds": round(fit.seconds, 3)}


# protocol name -> function or "module:function" (imported on first use)
PROTOCOLS: dict[str, Any] = {
    "probe": probe_protocol,
    "finetune": "protbench.evaluation.finetune:finetune_protocol",
    "alignment-knn": "protbench.evaluation.alignment_knn:knn_protocol",
}


def resolve_protocol(name: str) -> Callable[[ProtocolContext], tuple[dict[str, np.ndarray], dict[str, Any]]]:
    fn = PROTOCOLS.get(name)
    if fn is None:
        raise ValueError(f"unknown protocol {name!r}; known: {sorted(PROTOCOLS)}")
    if isinstance(fn, str):
        import importlib

        mod, attr = fn.split(":")
        fn = getattr(importlib.import_module(mod), attr)
    return fn
