"""Ranking metrics of bootstrap resamples from one sort of the full test set, bit for bit the direct values.

A bootstrap resample ``idx`` (``n`` item indices drawn with replacement) repeats items, so the ranking of
the resampled scores is the full set's ranking with each item repeated ``count[item]`` times. Every
function here sorts the full set once and then serves each resample in O(n·C) gathers and running sums
instead of an O(n·C log n·C) sort, and reproduces the direct computation's operations in the same order
(tied scores are put in the order a stable sort of the resample gives them), so the values are identical
to ``metric(y_true[idx], y_score[idx])``, not just close. Used by the bootstrap intervals
(:mod:`protbench.metrics.bootstrap`, ``protbench.stages.mean_ci``), where ranking every resample anew
dominated the evaluate stage (Fmax/AUPR over EC's 538 classes, Spearman over 12k stability variants).

``resamplers(metrics, y_true, y_score)`` returns, per metric, a function ``idx -> value`` where one exists
(Fmax, micro-AUPR, Spearman), else None.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import classification as C
from . import regression as R


class MultilabelRanking:
    """One descending sort of an ``(n, C)`` score matrix serving Fmax and micro-AUPR of any resample."""

    def __init__(self, y_true, y_score):
        t, s = C._matrix_pair(y_true, y_score)
        self.n, self.c = t.shape
        g = C.descending_order(s)                                  # flat r·C + j, by score desc, then r, j
        self.rows, self.cols = g // self.c, g % self.c
        self.scores = s.ravel()[g]
        truth = t.ravel()[g]
        self.truth_bool = truth
        truth = truth.astype(np.float64)
        # per sorted entry: the quantities fmax_curve computes, which depend on the entry's own row only
        k = C._within_group_cumsum(self.rows, np.ones_like(truth))  # the row's predictions so far (incl.)
        tp = C._within_group_cumsum(self.rows, truth)
        self.first = k == 1
        self.dprec = tp / k - np.where(k > 1, (tp - truth) / np.maximum(k - 1, 1), 0.0)
        npos = t.sum(axis=1).astype(np.float64)[self.rows]
        self.rec = np.where(npos > 0, truth / np.maximum(npos, 1), 0.0)
        new_value = np.r_[True, self.scores[1:] != self.scores[:-1]]
        self.block = np.cumsum(new_value) - 1
        size = np.bincount(self.block)
        self.tied = size[self.block] > 1
        self._last: tuple[int, np.ndarray] | None = None

    def expand(self, idx: np.ndarray) -> np.ndarray:
        """Indices into the full sorted entries, in the order of ``descending_order(y_score[idx])``."""
        if self._last is not None and self._last[0] is idx:
            return self._last[1]
        idx = np.asarray(idx)
        count = np.bincount(idx, minlength=self.n)
        per_entry = count[self.rows]
        rep = np.repeat(np.arange(len(self.rows)), per_entry)
        if self.tied.any():
            sub = np.flatnonzero(self.tied[rep])
            if sub.size:
                # inside a block of equal scores the resample's stable sort orders by position (i, j);
                # copy number m of row r sits at the m-th smallest i with idx[i] == r
                at = C._group_order(idx)                               # positions grouped by row, ascending
                start = np.cumsum(count) - count
                ends = np.cumsum(per_entry)
                copy = np.arange(len(rep)) - np.repeat(ends - per_entry, per_entry)
                e = rep[sub]
                pos = at[start[self.rows[e]] + copy[sub]]
                key = self.block[e].astype(np.int64) * (self.n * self.c) + pos * self.c + self.cols[e]
                rep[sub] = e[np.argsort(key)]
        self._last = (idx, rep)
        return rep

    def fmax(self, idx: np.ndarray) -> float:
        """``classification.fmax(y_true[idx], y_score[idx])``."""
        rep = self.expand(idx)
        if rep.size == 0:
            return float("nan")
        started = np.cumsum(self.first[rep])
        psum = np.cumsum(self.dprec[rep])
        recall = np.cumsum(self.rec[rep]) / len(idx)
        s = self.scores[rep]
        ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
        p, r = psum[ends] / started[ends], recall[ends]
        denom = p + r
        f = np.where(denom > 0, 2 * p * r / np.where(denom > 0, denom, 1), 0.0)
        return float(f.max())

    def micro_aupr(self, idx: np.ndarray) -> float:
        """``classification.micro_aupr(y_true[idx], y_score[idx])`` (the order of ties does not enter)."""
        rep = self.expand(idx)
        t = self.truth_bool[rep]
        npos = t.sum()
        if npos == 0:
            return float("nan")
        s = self.scores[rep]
        ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
        tp = np.cumsum(t)[ends].astype(np.float64)
        precision = tp / (ends + 1).astype(np.float64)
        recall = tp / npos
        return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


class AverageRanks:
    """``scipy.stats.rankdata(y[idx])`` (average ranks of ties) for any resample, from one ``np.unique``."""

    def __init__(self, y):
        self.values, self.code = np.unique(np.asarray(y, dtype=np.float64).ravel(), return_inverse=True)

    def __call__(self, idx: np.ndarray) -> np.ndarray:
        codes = self.code[idx]
        count = np.bincount(codes, minlength=len(self.values))
        below = np.cumsum(count) - count
        return (0.5 * (2 * below + count + 1).astype(np.float64))[codes]


def _spearman(y_true, y_score) -> Callable[[np.ndarray], float]:
    t, p = R._pair(y_true, y_score)
    rt, rp = AverageRanks(t), AverageRanks(p)

    def value(idx: np.ndarray) -> float:
        ct, cp = rt.code[idx], rp.code[idx]
        if t.size == 0 or len(idx) < 2 or (cp == cp[0]).all() or (ct == ct[0]).all():
            return float("nan")
        ranked = np.stack((rt(idx), rp(idx))).T    # spearmanr's (n, 2) ranks, in its memory layout
        return float(np.corrcoef(ranked, rowvar=False)[1, 0])
    return value


def resamplers(metrics: dict, y_true, y_score) -> dict[str, Callable[[np.ndarray], float] | None]:
    """Per named metric, ``idx -> metric(y_true[idx], y_score[idx])`` served from one sort, or None for metrics
    without such a path (Fmax and micro-AUPR share one sort and one expansion per resample; Spearman)."""
    out: dict[str, Callable[[np.ndarray], float] | None] = {}
    ranking = None
    for name, fn in metrics.items():
        if fn is C.fmax or fn is C.micro_aupr:
            ranking = ranking or MultilabelRanking(y_true, y_score)
            out[name] = ranking.fmax if fn is C.fmax else ranking.micro_aupr
        else:
            out[name] = _spearman(y_true, y_score) if fn is R.spearman else None
    return out


def resampler(metric: Callable, y_true, y_score) -> Callable[[np.ndarray], float] | None:
    """:func:`resamplers` of one metric."""
    return resamplers({"metric": metric}, y_true, y_score)["metric"]
