"""Metrics, one module per kind of prediction; ``METRICS`` maps a metric name to its function.

Every function takes ``(y_true, y_score)`` arrays and returns a float.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .regression import mae, pearson, rmse, spearman

METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "spearman": spearman,
    "pearson": pearson,
    "mae": mae,
    "rmse": rmse,
}

LOWER_IS_BETTER = {"mae", "rmse"}
