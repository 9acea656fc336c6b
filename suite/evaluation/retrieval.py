"""Cosine retrieval of tail nodes for query nodes, with filtered ranks (cross-modal tasks).

Used by both cross-modal protocols: *zero-shot* (query and candidate vectors
from one shared protein–text space, no training) and *bridge* (query vectors
transformed into the candidates' space first, see :mod:`protbench.evaluation.bridge`).

Scores are cosine similarities computed in float32 blocks of ``block`` queries
against all candidates, so memory is ``block × n_candidates × 4`` bytes plus the
L2-normalised candidate matrix, whatever the number of queries. Ranks follow
:mod:`protbench.metrics.ranking` (filtered: the query's other true tails are
removed; ties pessimistic).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from protbench.metrics.ranking import filtered_ranks_row, summarize_ranks


def l2_normalize(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), float32."""
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(n, eps)


def cosine_ranks(queries: np.ndarray, candidates: np.ndarray, positives: Sequence[np.ndarray],
                 block: int = 256) -> np.ndarray:
    """Filtered ranks of every true tail, queries in order → ``(sum len(positives),)`` int64.

    ``queries`` ``(n_q, d)``, ``candidates`` ``(n_c, d)``; ``positives[i]``: candidate
    indices of query i's true tails.
    """
    if len(queries) != len(positives):
        raise ValueError(f"{len(queries)} queries but {len(positives)} positive lists")
    if queries.shape[1] != candidates.shape[1]:
        raise ValueError(f"query dim {queries.shape[1]} != candidate dim {candidates.shape[1]}: the two sides "
                         f"are not in one space (zero-shot needs a shared-space model; otherwise use the bridge)")
    c = l2_normalize(candidates)
    out = []
    for start in range(0, len(queries), block):
        q = l2_normalize(queries[start:start + block])
        scores = q @ c.T
        for i in range(len(q)):
            out.append(filtered_ranks_row(scores[i], positives[start + i]))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def retrieval_scores(queries: np.ndarray, candidates: np.ndarray, positives: Sequence[np.ndarray],
                     block: int = 256) -> tuple[dict[str, float], np.ndarray]:
    """``({"mrr", "hits@1", "hits@3", "hits@10"}, ranks)``."""
    ranks = cosine_ranks(queries, candidates, positives, block)
    return summarize_ranks(ranks), ranks
