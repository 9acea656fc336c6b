"""Multi-label PPI metrics at a fixed threshold (GNN-PPI): micro-F1 (main) and macro-F1.

Inputs: ``y_true`` ``(n, C)`` 0/1 and ``y_score`` ``(n, C)`` probabilities; a (pair, type)
decision is positive when its score is strictly above 0.5 (GNN-PPI: ``sigmoid(logit) > 0.5``).
"""
from __future__ import annotations

import numpy as np

THRESHOLD = 0.5


def _counts(y_true, y_score, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    if t.shape != s.shape or t.ndim != 2:
        raise ValueError(f"expected y_true and y_score of the same shape (n, C), got {t.shape} and {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("y_score holds NaN or infinite values")
    t = t.astype(bool)
    p = s > threshold
    tp = (t & p).sum(axis=0)
    fp = (~t & p).sum(axis=0)
    fn = (t & ~p).sum(axis=0)
    return tp, fp, fn


def micro_f1(y_true, y_score, threshold: float = THRESHOLD) -> float:
    """F1 over all (pair, type) decisions pooled: 2TP / (2TP + FP + FN); 0.0 when there is nothing to count."""
    tp, fp, fn = (int(x.sum()) for x in _counts(y_true, y_score, threshold))
    denom = 2 * tp + fp + fn
    return 2 * tp / denom if denom else 0.0


def macro_f1(y_true, y_score, threshold: float = THRESHOLD) -> float:
    """Mean of per-type F1 over the types that occur in ``y_true`` or in the predictions.

    A type with no true and no predicted positives has an undefined F1 and is left out of the
    mean (NaN when that holds for every type).
    """
    tp, fp, fn = _counts(y_true, y_score, threshold)
    denom = 2 * tp + fp + fn
    keep = denom > 0
    if not keep.any():
        return float("nan")
    return float(np.mean(2 * tp[keep] / denom[keep]))


METRICS = {"micro_f1": micro_f1, "macro_f1": macro_f1}
