"""Percentile bootstrap confidence intervals over test items (not a metric; used by tasks).

Items (rows of ``y_true`` / ``y_score``) are resampled with replacement
``n_resamples`` times from a seeded generator; the interval is the
``(alpha/2, 1 - alpha/2)`` percentile of the metric over the resamples
(resamples where the metric is undefined, NaN, are left out).
"""
from __future__ import annotations

import inspect
from typing import Callable, Mapping

import numpy as np


def bootstrap_ci(metric: Callable[[np.ndarray, np.ndarray], float], y_true: np.ndarray, y_score: np.ndarray,
                 n_resamples: int = 1000, seed: int = 0, alpha: float = 0.05) -> tuple[float, float]:
    """``(low, high)`` percentile interval of ``metric`` over item resamples; NaNs if fewer than 2 items."""
    y_true, y_score = np.asarray(y_true), np.asarray(y_score)
    n = len(y_true)
    if len(y_score) != n:
        raise ValueError(f"y_true has {n} items, y_score {len(y_score)}")
    if n < 2 or n_resamples < 1:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = np.empty(n_resamples)
    for b in range(n_resamples):
        idx = rng.integers(0, n, size=n)
        values[b] = metric(y_true[idx], y_score[idx])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def _takes_order(fn: Callable) -> bool:
    try:
        return "order" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def bootstrap_cis(metrics: Mapping[str, Callable[[np.ndarray, np.ndarray], float]], y_true: np.ndarray,
                  y_score: np.ndarray, n_resamples: int = 1000, seed: int = 0,
                  alpha: float = 0.05) -> dict[str, tuple[float, float]]:
    """:func:`bootstrap_ci` of several metrics at once, equal to calling it per metric with the same ``seed``
    (the same resamples, so the same numbers bit for bit), with the work of one resample shared: ranking
    metrics are served from one sort of the full test set (:mod:`protbench.metrics.resampled`), other
    metrics that accept ``order`` get the score ranking computed once per resample."""
    from .classification import descending_order
    from .resampled import resamplers

    y_true, y_score = np.asarray(y_true), np.asarray(y_score)
    n = len(y_true)
    if len(y_score) != n:
        raise ValueError(f"y_true has {n} items, y_score {len(y_score)}")
    if n < 2 or n_resamples < 1:
        return {m: (float("nan"), float("nan")) for m in metrics}
    fast = resamplers(metrics, y_true, y_score)
    slow = {m: fn for m, fn in metrics.items() if fast[m] is None}
    ordered = {m for m, fn in slow.items() if _takes_order(fn)}
    rng = np.random.default_rng(seed)
    values = {m: np.empty(n_resamples) for m in metrics}
    for b in range(n_resamples):
        idx = rng.integers(0, n, size=n)
        for m, one in fast.items():
            if one is not None:
                values[m][b] = one(idx)
        if not slow:
            continue
        t, s = y_true[idx], y_score[idx]
        order = descending_order(s) if ordered and s.ndim == 2 else None
        for m, fn in slow.items():
            values[m][b] = fn(t, s, order=order) if m in ordered and order is not None else fn(t, s)
    out = {}
    for m, v in values.items():
        v = v[np.isfinite(v)]
        out[m] = (float("nan"), float("nan")) if v.size == 0 else tuple(
            float(x) for x in np.quantile(v, [alpha / 2, 1 - alpha / 2]))
    return out
