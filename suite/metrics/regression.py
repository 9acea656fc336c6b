"""Regression metrics for mutation-effect tasks: Spearman (main), Pearson, MAE, RMSE.

Inputs are 1-d arrays of equal length ``n``; outputs are floats (NaN where the
metric is undefined, e.g. a constant prediction for a correlation).
"""
from __future__ import annotations

import numpy as np
from scipy import stats


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} values, y_pred {p.size}")
    return t, p


def spearman(y_true, y_pred) -> float:
    """Spearman rank correlation; ties get average ranks (scipy.stats.spearmanr)."""
    t, p = _pair(y_true, y_pred)
    if t.size < 2 or np.all(p == p[0]) or np.all(t == t[0]):
        return float("nan")
    return float(stats.spearmanr(t, p).statistic)


def pearson(y_true, y_pred) -> float:
    """Pearson correlation coefficient."""
    t, p = _pair(y_true, y_pred)
    if t.size < 2 or np.all(p == p[0]) or np.all(t == t[0]):
        return float("nan")
    return float(stats.pearsonr(t, p).statistic)


def mae(y_true, y_pred) -> float:
    """Mean absolute error, in the target's units."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error, in the target's units."""
    t, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2)))


METRICS = {"spearman": spearman, "pearson": pearson, "mae": mae, "rmse": rmse}
LOWER_IS_BETTER = {"mae", "rmse"}
