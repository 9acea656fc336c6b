"""Classification metrics for function tasks: accuracy, protein-centric Fmax, micro/macro AUPR.

Shapes: ``y_true`` is ``(n,)`` int class ids (accuracy) or an ``(n, C)`` 0/1
matrix (multi-label); ``y_score`` is ``(n, C)`` scores (probabilities or any
monotone transform: only the ranking matters for Fmax and AUPR).

Definitions (docs/BENCHMARKS.md):

* **Fmax** (CAFA, torchdrug ``f1_max``): for a threshold ``t`` a protein
  predicts every term with score ``>= t``. Precision is averaged over the
  proteins with at least one prediction ``>= t``; recall over *all* proteins
  (a protein without true terms contributes recall 0, as in torchdrug). Fmax is
  the maximum over ``t`` of ``2PR / (P + R)``. Every distinct score value is a
  threshold (exact, no grid); tied scores enter together, so the result is
  independent of the order of tied pairs. torchdrug steps through tied pairs
  one by one in sort order; without ties both give the same value.
* **micro-AUPR**: average precision over all flattened (protein, term) pairs,
  ``sum_k (R_k - R_{k-1}) P_k`` over distinct thresholds (= scikit-learn's
  ``average_precision_score`` on the flattened arrays; torchdrug's
  ``area_under_prc`` equals it when there are no ties).
"""
from __future__ import annotations

import numpy as np


def _matrix_pair(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    if t.ndim != 2 or s.shape != t.shape:
        raise ValueError(f"multi-label metrics need y_true and y_score of equal shape (n, C); got {t.shape} and {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("y_score holds NaN or infinite values")
    if not np.isin(t, (0, 1)).all():
        raise ValueError("y_true must be a 0/1 matrix")
    return t.astype(bool), s


def accuracy(y_true, y_score) -> float:
    """Fraction of items whose arg-max score (``(n, C)``) or predicted id (``(n,)``) equals the true class id."""
    t = np.asarray(y_true).ravel()
    s = np.asarray(y_score)
    pred = s.argmax(axis=1) if s.ndim == 2 else s.ravel()
    if pred.shape != t.shape:
        raise ValueError(f"y_true has {t.size} items, predictions {pred.size}")
    if s.dtype.kind in "fc" and not np.all(np.isfinite(s)):
        raise ValueError("y_score holds NaN or infinite values")
    if t.size == 0:
        return float("nan")
    if s.ndim == 2 and (t.min() < 0 or t.max() >= s.shape[1]):
        raise ValueError(f"class ids outside 0..{s.shape[1] - 1}")
    return float(np.mean(pred == t))


def _group_order(groups: np.ndarray) -> np.ndarray:
    """``np.argsort(groups, kind="stable")`` for non-negative ints; the smallest integer dtype that holds them
    lets numpy pick radix sort (≤ 16 bits), same permutation (a stable sort is unique)."""
    top = int(groups.max()) if groups.size else 0
    dtype = np.uint8 if top < 2 ** 8 else np.uint16 if top < 2 ** 16 else groups.dtype
    return np.argsort(groups.astype(dtype, copy=False), kind="stable")


def _within_group_cumsum(groups: np.ndarray, values: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Running sum of ``values`` restricted to equal ``groups`` entries, in array order (inclusive);
    ``order``: :func:`_group_order` of ``groups`` when already known."""
    order = _group_order(groups) if order is None else order
    v = values[order].astype(np.float64)
    g = groups[order]
    c = np.cumsum(v)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    base = np.repeat(np.r_[0.0, c][starts], np.diff(np.r_[starts, len(g)]))
    out = np.empty_like(c)
    out[order] = c - base
    return out


def descending_order(y_score: np.ndarray) -> np.ndarray:
    """``np.argsort(-y_score.ravel(), kind="stable")``: the ranking every multi-label metric starts from
    (computed once per resample by :func:`protbench.metrics.bootstrap.bootstrap_cis` and shared)."""
    return np.argsort(-np.asarray(y_score, dtype=np.float64).ravel(), kind="stable")


def fmax_curve(y_true, y_score, order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thresholds (distinct scores, descending) with the protein-centric precision and recall at each;
    ``order``: :func:`descending_order` of ``y_score`` when already known."""
    t, s = _matrix_pair(y_true, y_score)
    n, c = t.shape
    if n == 0 or c == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    flat = s.ravel()
    order = descending_order(s) if order is None else order
    rows = order // c
    truth = t.ravel()[order].astype(np.float64)
    by_row = _group_order(rows)
    k = _within_group_cumsum(rows, np.ones_like(truth), by_row)  # predictions of this protein so far (incl.)
    tp = _within_group_cumsum(rows, truth, by_row)               # true positives so far (incl.)
    prec_now = tp / k
    prec_before = np.where(k > 1, (tp - truth) / np.maximum(k - 1, 1), 0.0)
    started = np.cumsum(k == 1)
    psum = np.cumsum(prec_now - prec_before)
    npos = t.sum(axis=1).astype(np.float64)
    rec_step = np.where(npos[rows] > 0, truth / np.maximum(npos[rows], 1), 0.0)
    recall = np.cumsum(rec_step) / n
    sorted_scores = flat[order]
    ends = np.flatnonzero(np.r_[sorted_scores[1:] != sorted_scores[:-1], True])
    precision = psum[ends] / started[ends]
    return sorted_scores[ends], precision, recall[ends]


def fmax(y_true, y_score, order: np.ndarray | None = None) -> float:
    """Protein-centric maximum F-measure (CAFA / torchdrug ``f1_max``); see module docstring."""
    _, p, r = fmax_curve(y_true, y_score, order)
    if p.size == 0:
        return float("nan")
    denom = p + r
    f = np.where(denom > 0, 2 * p * r / np.where(denom > 0, denom, 1), 0.0)
    return float(f.max())


def average_precision(y_true, y_score, order: np.ndarray | None = None) -> float:
    """Average precision of a binary ranking, ties handled as one threshold (``(m,)`` arrays); ``order``:
    :func:`descending_order` of ``y_score`` when already known."""
    t = np.asarray(y_true).ravel().astype(bool)
    s = np.asarray(y_score, dtype=np.float64).ravel()
    if t.shape != s.shape:
        raise ValueError(f"y_true has {t.size} values, y_score {s.size}")
    npos = t.sum()
    if npos == 0:
        return float("nan")
    order = descending_order(s) if order is None else order
    s, t = s[order], t[order]
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    tp = np.cumsum(t)[ends].astype(np.float64)
    seen = (ends + 1).astype(np.float64)
    precision = tp / seen
    recall = tp / npos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def micro_aupr(y_true, y_score, order: np.ndarray | None = None) -> float:
    """Average precision over all flattened (protein, term) pairs."""
    t, s = _matrix_pair(y_true, y_score)
    return average_precision(t.ravel(), s.ravel(), order)


def macro_aupr(y_true, y_score) -> float:
    """Mean over terms with at least one positive of the per-term average precision."""
    t, s = _matrix_pair(y_true, y_score)
    aps = [average_precision(t[:, j], s[:, j]) for j in range(t.shape[1]) if t[:, j].any()]
    return float(np.mean(aps)) if aps else float("nan")


METRICS = {"accuracy": accuracy, "fmax": fmax, "micro_aupr": micro_aupr, "macro_aupr": macro_aupr}
LOWER_IS_BETTER: set[str] = set()
