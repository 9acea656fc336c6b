"""Cosine retrieval of tail nodes for query nodes, with filtered ranks (cross-modal tasks).

Used by both cross-modal protocols: *zero-shot* (query and candidate vectors
from one shared protein–text space, no training) and *bridge* (query vectors
transformed into the candidates' space first, see :mod:`protbench.protocols.algorithms.bridge`).

Scores are cosine similarities computed in float32 blocks of ``block`` queries
against all candidates, so memory is ``block × n_candidates × 4`` bytes plus the
L2-normalised candidate matrix, whatever the number of queries. Ranks follow
:mod:`protbench.metrics.ranking` (filtered: the query's other true tails are
removed; ties pessimistic).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from protbench.metrics.ranking import filtered_ranks_row, summarize_ranks
from protbench.spec import TaskData


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


@dataclass
class RetrievalInputs:
    """A head → tail task's candidates and true tails, as the cross-modal protocols see it.

    ``tail_ids``/``tail_items`` every candidate (sequence or text); ``positives[split][i]``: candidate
    indices of query i's true tails; ``head_items(split)``: the queries (sequences or texts).
    """

    data: TaskData
    tail_ids: list[str]
    tail_items: list[str]
    positives: dict[str, list[np.ndarray]]

    @property
    def head_kind(self) -> str:
        return self.data.extra["head_kind"]

    @property
    def tail_kind(self) -> str:
        return self.data.extra["tail_kind"]

    def head_items(self, split: str) -> list[str]:
        recs = self.data.splits[split]
        return [r.sequence for r in recs] if self.head_kind == "protein" else [r.text for r in recs]


def retrieval_inputs(data: TaskData, candidates: str = "annotated") -> RetrievalInputs:
    """Candidates of a retrieval task: its tails, or with ``candidates="all"`` every term of the aspect
    (``data.extra["all_aspect_terms"]``, the GO variants) appended in id order."""
    if candidates not in ("annotated", "all"):
        raise ValueError(f"candidates must be 'annotated' or 'all', not {candidates!r}")
    tail_ids, tail_items = list(data.extra["tail_ids"]), list(data.extra["tail_items"])
    if candidates == "all" and "all_aspect_terms" in data.extra:
        known = set(tail_ids)
        extra = {k: v for k, v in data.extra["all_aspect_terms"].items() if k not in known}
        tail_ids += sorted(extra)
        tail_items += [extra[k] for k in sorted(extra)]
    positives = {s: [np.asarray(r.label, dtype=np.int64) for r in data.splits[s]] for s in ("train", "valid", "test")}
    return RetrievalInputs(data, tail_ids, tail_items, positives)


def popularity_baseline(positives: Mapping[str, list[np.ndarray]], n_candidates: int) -> dict[str, dict[str, float]]:
    """Model-free reference: every query ranks the candidates by their number of training heads (same filtered,
    pessimistic ranking), so a score near it means the model adds little beyond tail popularity."""
    counts = np.bincount(np.concatenate(positives["train"]), minlength=n_candidates).astype(np.float64) \
        if positives["train"] else np.zeros(n_candidates)
    out = {}
    for s in ("valid", "test"):
        ranks = [filtered_ranks_row(counts, p) for p in positives[s]]
        out[s] = summarize_ranks(np.concatenate(ranks)) if ranks else {}
    return out
