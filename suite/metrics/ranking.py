"""Link-prediction ranking metrics: filtered rank, MRR, Hits@k (cross-modal tasks).

Conventions (BioBridge / knowledge-graph completion, "filtered" setting):

* every *true (query, tail) pair* is one evaluation query — a protein with five
  true GO terms contributes five ranks;
* the rank of a true tail ``t`` counts the candidates scored at least as high as
  ``t`` **after removing the query's other true tails** (so they never push
  ``t`` down): ``rank(t) = 1 + #{c : c not a true tail of the query, score(c) >= score(t)}``;
* ties are **pessimistic**: a negative with exactly the score of ``t`` is
  counted as ranked above ``t`` (a constant scorer gets the worst rank, never
  the best), so ties can only lower MRR;
* a non-finite score (NaN) of a true tail ranks it last; NaN negatives rank above it.

``MRR`` is the mean of ``1/rank`` over all true pairs; ``Hits@k`` the fraction
with ``rank <= k``.

The registry functions take ``y_true`` = a ``(n_queries, n_candidates)`` 0/1
relevance matrix and ``y_score`` = scores of the same shape. Large evaluations
compute ranks row by row with :func:`filtered_ranks_row` (see
``protbench.protocols.algorithms.retrieval``) and summarise with :func:`mrr_from_ranks`.
"""
from __future__ import annotations

import numpy as np


def filtered_ranks_row(scores: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """Filtered pessimistic ranks of the true tails of one query.

    ``scores``: ``(n_candidates,)``; ``positives``: int indices of the query's
    true tails (distinct). Returns ``(len(positives),)`` int64 ranks, 1 = best.
    A query with few true tails counts the candidates at or above each (``k`` passes over the row); one with
    many sorts its negatives once — the same integers either way.
    """
    scores = np.asarray(scores)
    if scores.dtype.kind != "f":
        scores = scores.astype(np.float64)
    pos = np.unique(np.asarray(positives, dtype=np.int64))
    if len(pos) != len(np.asarray(positives)):
        raise ValueError("positives contain duplicate candidate indices")
    if len(pos) == 0:
        return np.zeros(0, dtype=np.int64)
    if pos.min() < 0 or pos.max() >= len(scores):
        raise ValueError(f"positive index out of range for {len(scores)} candidates")
    s = scores[np.asarray(positives, dtype=np.int64)]
    nan_s = np.isnan(s)
    n_neg = len(scores) - len(s)
    n_nan = int(np.isnan(scores).sum() - nan_s.sum())               # NaN negatives: ranked above every tail
    if len(s) <= _COUNT_BELOW:
        # negatives with score >= s = all candidates >= s minus the true tails >= s (NaN compares False)
        at_or_above = (scores[None, :] >= s[:, None]).sum(axis=1) - (s[None, :] >= s[:, None]).sum(axis=1)
    else:
        neg_mask = np.ones(len(scores), dtype=bool)
        neg_mask[positives] = False
        neg = scores[neg_mask]
        neg = np.sort(neg[~np.isnan(neg)])
        at_or_above = len(neg) - np.searchsorted(neg, s, side="left")
    ranks = np.where(nan_s, 1 + n_neg, 1 + at_or_above + n_nan)
    return ranks.astype(np.int64)


_COUNT_BELOW = 16    # true tails per query up to which counting beats sorting the row


def filtered_ranks(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    """Ranks of every true (row, column) pair of a relevance matrix, rows in order, columns ascending."""
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score)
    if y_true.shape != y_score.shape or y_true.ndim != 2:
        raise ValueError(f"y_true {y_true.shape} and y_score {y_score.shape} must be equal 2-d shapes")
    out = [filtered_ranks_row(y_score[i], np.flatnonzero(y_true[i])) for i in range(len(y_true))]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def mrr_from_ranks(ranks: np.ndarray) -> float:
    ranks = np.asarray(ranks, dtype=np.float64)
    if len(ranks) == 0:
        raise ValueError("no true pairs to rank")
    return float(np.mean(1.0 / ranks))


def hits_from_ranks(ranks: np.ndarray, k: int) -> float:
    ranks = np.asarray(ranks)
    if len(ranks) == 0:
        raise ValueError("no true pairs to rank")
    return float(np.mean(ranks <= k))


def summarize_ranks(ranks: np.ndarray) -> dict[str, float]:
    """``{"mrr", "hits@1", "hits@3", "hits@10"}`` from filtered ranks."""
    return {"mrr": mrr_from_ranks(ranks), **{f"hits@{k}": hits_from_ranks(ranks, k) for k in (1, 3, 10)}}


def mrr(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Filtered MRR over all true pairs of a ``(queries, candidates)`` relevance matrix."""
    return mrr_from_ranks(filtered_ranks(y_true, y_score))


def _hits(k: int):
    def hits(y_true: np.ndarray, y_score: np.ndarray) -> float:
        return hits_from_ranks(filtered_ranks(y_true, y_score), k)

    hits.__name__ = f"hits_at_{k}"
    hits.__doc__ = f"Filtered Hits@{k} (pessimistic ties) over all true pairs."
    return hits


METRICS = {"mrr": mrr, "hits@1": _hits(1), "hits@3": _hits(3), "hits@10": _hits(10)}
