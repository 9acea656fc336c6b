"""Shared by the supervised protocols (probe, finetune, alignment-knn): labels in, scores and intervals out.

A supervised task offers ``task_type`` (``regression``, ``classification`` or ``multilabel``) and
``outputs(data)`` (number of classes/labels). Each protocol predicts ``valid`` and ``test`` scores of
the shape the task's metrics expect — ``(n,)`` regression values, ``(n, C)`` class probabilities or
``(n, C)`` multi-label probabilities — and :func:`finish` scores them, with percentile bootstrap
intervals over test items.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from protbench.metrics import LOWER_IS_BETTER, METRICS
from protbench.metrics.bootstrap import bootstrap_cis
from protbench.spec import SeedResult, TaskData

from .context import ProtocolContext
from .settings import setting

SPLITS = ("train", "valid", "test")
# bootstrap resamples of the test split per task type (multi-label metrics sort n*C scores: fewer)
CI_RESAMPLES = {"regression": 1000, "classification": 1000, "multilabel": 200}


class LabelError(ValueError):
    """A label outside the task's label space."""


@dataclass(frozen=True)
class ScoringConfig:
    """Fields every supervised protocol config has. ``ci_resamples``: bootstrap resamples of the test
    split (None: 1,000, or 200 for multi-label; 0: no intervals)."""

    ci_resamples: int | None = setting(None, low=0)


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


@dataclass
class Labels:
    """A supervised task's labels per split and how validation selects (``select(y, scores)``)."""

    task_type: str
    n_outputs: int | None
    ys: dict[str, np.ndarray]
    select: Callable[[np.ndarray, np.ndarray], float]
    higher_is_better: bool

    def sequences(self, data: TaskData, split: str) -> list[str]:
        return [r.sequence for r in data.splits[split]]


def labels(ctx: ProtocolContext) -> Labels:
    task, spec = ctx.task, ctx.task.spec
    n_out = task.outputs(ctx.data)
    ys = {s: labels_of(ctx.data, s, task.task_type, n_out) for s in SPLITS}
    return Labels(task.task_type, n_out, ys, METRICS[spec.main_metric], spec.main_metric not in LOWER_IS_BETTER)


def score_all(metrics: tuple[str, ...], y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
    return {m: float(METRICS[m](y_true, y_score)) for m in metrics}


def finish(ctx: ProtocolContext, lab: Labels, preds: dict[str, np.ndarray], info: dict[str, Any]) -> SeedResult:
    """Score ``preds["valid"]``/``preds["test"]`` with every task metric; bootstrap intervals on test."""
    metrics = ctx.spec.metrics
    scores = {s: score_all(metrics, lab.ys[s], preds[s]) for s in ("valid", "test")}
    n_boot = ctx.config.ci_resamples
    n_boot = CI_RESAMPLES[lab.task_type] if n_boot is None else int(n_boot)
    ci = {"test": bootstrap_cis({m: METRICS[m] for m in metrics}, lab.ys["test"], preds["test"],
                                n_resamples=n_boot, seed=ctx.seed)} if n_boot > 0 else {}
    info = {**info, "ci": {"method": "percentile bootstrap over test items", "resamples": n_boot, "level": 0.95,
                           "seed": ctx.seed}}
    return SeedResult(scores=scores, ci=ci, info=info,
                      predictions={"test": {"y_true": lab.ys["test"], "y_score": preds["test"]}})
