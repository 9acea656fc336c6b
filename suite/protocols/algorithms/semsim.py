"""Semantic-similarity inference protocol (PROBE): frozen embeddings, no training.

For a protein set with a GO similarity matrix ``S`` ``(n, n)`` and embeddings
``X`` ``(n, d)``, report Spearman's rho between each embedding similarity
(Manhattan-normalised, cosine, Euclidean-normalised; see
:mod:`protbench.metrics.similarity`) and ``S`` over all pairs ``i < j``, or over
given ``pairs`` (PROBE's "Sparse" set). Memory: ``O(n²/2)`` float32 values per
similarity kind, never a full float64 ``n × n`` matrix.
"""
from __future__ import annotations

import numpy as np
from protbench.metrics.similarity import KINDS, pair_similarity, spearman, upper_triangle, upper_triangle_similarity


def semsim_scores(go_sim: np.ndarray, x: np.ndarray, pairs: np.ndarray | None = None) -> dict[str, float]:
    """``{"spearman-<kind>": rho}`` for every similarity kind."""
    go_sim = np.asarray(go_sim, dtype=np.float32)
    x = np.asarray(x, dtype=np.float32)
    if go_sim.shape != (len(x), len(x)):
        raise ValueError(f"GO similarity {go_sim.shape} does not match {len(x)} embeddings")
    if pairs is None:
        truth = upper_triangle(go_sim)
        return {f"spearman-{k}": spearman(upper_triangle_similarity(x, k), truth) for k in KINDS}
    pairs = np.asarray(pairs, dtype=np.int64)
    truth = go_sim[pairs[:, 0], pairs[:, 1]]
    return {f"spearman-{k}": spearman(pair_similarity(x, pairs, k), truth) for k in KINDS}
