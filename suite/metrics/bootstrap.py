"""Percentile bootstrap confidence intervals over test items (not a metric; used by tasks).

Items (rows of ``y_true`` / ``y_score``) are resampled with replacement
``n_resamples`` times from a seeded generator; the interval is the
``(alpha/2, 1 - alpha/2)`` percentile of the metric over the resamples
(resamples where the metric is undefined, NaN, are left out).
"""
from __future__ import annotations

from typing import Callable

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
