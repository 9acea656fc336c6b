"""The task class shared by the function and mutation families: a spec, a loader, smoke data, a probe.

A :class:`ProbeTask` evaluates with the ``probe`` protocol (frozen pooled
embeddings → head chosen on validation) or, for models with a trainable
encoder, ``finetune``. Scores are reported for the valid and test splits.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from protbench.evaluation.probe import ProbeConfig, fit_probe
from protbench.interfaces import Embeddings, EvalOptions
from protbench.metrics import LOWER_IS_BETTER, METRICS
from protbench.spec import SeedResult, TaskData, TaskSpec


def labels_of(data: TaskData, split: str, task_type: str, n_outputs: int | None) -> np.ndarray:
    """Labels of a split as an array: floats ``(n,)``, class ids ``(n,)`` or a 0/1 matrix ``(n, C)``."""
    recs = data.splits[split]
    if task_type == "regression":
        return np.array([float(r.label) for r in recs], dtype=np.float64)
    if task_type == "classification":
        return np.array([int(r.label) for r in recs], dtype=np.int64)
    y = np.zeros((len(recs), int(n_outputs)), dtype=np.float32)
    for i, r in enumerate(recs):
        y[i, list(r.label)] = 1.0
    return y


def score_all(metrics: tuple[str, ...], y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
    return {m: float(METRICS[m](y_true, y_score)) for m in metrics}


@dataclass
class ProbeTask:
    """A supervised task on pooled protein embeddings.

    ``read(files) -> TaskData`` parses the fetched upstream files (keys are
    :attr:`DataSource.filename`; ``files.cache_dir`` is where archives unpack);
    ``smoke(folder) -> {filename: path}`` writes synthetic files in the same
    format. ``task_type`` is ``regression``, ``classification`` or ``multilabel``;
    ``n_outputs`` the number of classes/labels (None: taken from the data).
    """

    spec: TaskSpec
    task_type: str
    read: Callable[[Mapping[str, Path]], TaskData]
    smoke: Callable[[Path], dict[str, Path]]
    n_outputs: int | None = None

    def load(self, files: Mapping[str, Path]) -> TaskData:
        return self.read(files)

    def write_smoke(self, folder: Path) -> dict[str, Path]:
        return self.smoke(Path(folder))

    def outputs(self, data: TaskData) -> int | None:
        return self.n_outputs or data.extra.get("n_outputs")

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
        return SeedResult(scores=scores, info=info,
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
    fit = fit_probe(ctx.task_type, xs["train"], ctx.ys["train"], xs["valid"], ctx.ys["valid"], ctx.select,
                    seed=ctx.seed, n_outputs=ctx.n_outputs, config=config, higher_is_better=ctx.higher_is_better)
    return {s: fit.predict(xs[s]) for s in ("valid", "test")}, {"chosen": fit.chosen,
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
