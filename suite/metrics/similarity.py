"""Embedding-vs-GO semantic-similarity agreement (PROBE-style similarity tasks).

For ``n`` proteins with embeddings ``X`` ``(n, d)`` and a reference similarity
matrix ``S`` ``(n, n)`` (GO semantic similarity), the score is Spearman's rho
(average ranks for ties, as scipy) between the embedding similarity of each
protein pair and ``S``, over the **upper triangle** ``i < j`` (the diagonal and
the mirrored half excluded).

Embedding similarities, computed in row chunks in float32 (only the
``n(n-1)/2`` upper-triangle values are kept, never a full float64 n×n matrix):

* Manhattan (docs/BENCHMARKS.md / PROBE): ``1 - ||a-b||_1 / (||a||_1 + ||b||_1)``
  (1 for identical vectors; two zero vectors give 1);
* cosine: ``a·b / (|a| |b|)`` (a zero vector gives 0);
* Euclidean (PROBE's normalised form): ``1 - ||a-b||_2 / (||a||_2 + ||b||_2)``
  (two zero vectors give 1).

All three follow PROBE (Unsal et al. 2022, ``semantic_similarity_infer.py``).

Registry functions take ``y_true`` = ``S`` ``(n, n)`` and ``y_score`` = ``X`` ``(n, d)``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.spatial.distance import cdist
from scipy.stats import spearmanr

KINDS = ("manhattan", "cosine", "euclidean")


def _pairwise_block(kind: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Similarity of each row of ``a`` ``(m, d)`` with each row of ``b`` ``(k, d)`` → ``(m, k)`` float32."""
    if kind == "manhattan":
        dist = cdist(a, b, "cityblock")
        denom = np.abs(a).sum(1)[:, None] + np.abs(b).sum(1)[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = 1.0 - dist / denom
        return np.where(denom > 0, sim, 1.0).astype(np.float32)
    if kind == "cosine":
        na = np.linalg.norm(a, axis=1)[:, None]
        nb = np.linalg.norm(b, axis=1)[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = (a @ b.T) / (na * nb)
        return np.where((na > 0) & (nb > 0), sim, 0.0).astype(np.float32)
    if kind == "euclidean":
        dist = cdist(a, b, "euclidean")
        denom = np.linalg.norm(a, axis=1)[:, None] + np.linalg.norm(b, axis=1)[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = 1.0 - dist / denom
        return np.where(denom > 0, sim, 1.0).astype(np.float32)
    raise ValueError(f"unknown similarity {kind!r}; choose one of {KINDS}")


def upper_triangle_similarity(x: np.ndarray, kind: str = "manhattan", block_bytes: int = 64 << 20) -> np.ndarray:
    """Embedding similarity of all pairs ``i < j`` in row-major order, ``(n(n-1)/2,)`` float32.

    Rows are processed in blocks so a block's ``(rows, n)`` float64 distances
    stay under ``block_bytes``.
    """
    x = np.asarray(x, dtype=np.float32)
    n, d = x.shape
    out = np.empty(n * (n - 1) // 2, dtype=np.float32)
    per_row = max(1, n * 8)
    rows = max(1, int(block_bytes // per_row))
    pos = 0
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        block = _pairwise_block(kind, x[start:stop], x)
        for i in range(start, stop):
            vals = block[i - start, i + 1:]
            out[pos:pos + len(vals)] = vals
            pos += len(vals)
    return out


def upper_triangle(matrix: np.ndarray) -> np.ndarray:
    """Values ``matrix[i, j]`` for ``i < j`` in row-major order (float32)."""
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {m.shape}")
    return m[np.triu_indices(m.shape[0], k=1)].astype(np.float32)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho with average ranks for ties; NaN when either side is constant."""
    if len(a) < 2:
        raise ValueError("need at least two pairs")
    if np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan")
    return float(spearmanr(a, b).statistic)


def semsim_spearman(go_sim: np.ndarray, x: np.ndarray, kind: str = "manhattan") -> float:
    """Spearman between embedding similarity of ``x`` rows and ``go_sim`` over the upper triangle."""
    go_sim = np.asarray(go_sim)
    if go_sim.shape[0] != len(x):
        raise ValueError(f"{len(x)} embeddings for a {go_sim.shape} similarity matrix")
    return spearman(upper_triangle_similarity(x, kind), upper_triangle(go_sim))


def pair_similarity(x: np.ndarray, pairs: np.ndarray, kind: str = "manhattan", chunk: int = 65536) -> np.ndarray:
    """Embedding similarity of selected pairs ``pairs`` ``(k, 2)`` of rows of ``x`` → ``(k,)`` float32."""
    x = np.asarray(x, dtype=np.float32)
    pairs = np.asarray(pairs, dtype=np.int64)
    out = np.empty(len(pairs), dtype=np.float32)
    for s in range(0, len(pairs), chunk):
        p = pairs[s:s + chunk]
        a, b = x[p[:, 0]], x[p[:, 1]]
        if kind == "manhattan":
            denom = np.abs(a).sum(1) + np.abs(b).sum(1)
            with np.errstate(invalid="ignore", divide="ignore"):
                v = 1.0 - np.abs(a - b).sum(1) / denom
            out[s:s + len(p)] = np.where(denom > 0, v, 1.0)
        elif kind == "cosine":
            na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                v = (a * b).sum(1) / (na * nb)
            out[s:s + len(p)] = np.where((na > 0) & (nb > 0), v, 0.0)
        elif kind == "euclidean":
            denom = np.linalg.norm(a, axis=1) + np.linalg.norm(b, axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                v = 1.0 - np.linalg.norm(a - b, axis=1) / denom
            out[s:s + len(p)] = np.where(denom > 0, v, 1.0)
        else:
            raise ValueError(f"unknown similarity {kind!r}; choose one of {KINDS}")
    return out


def _metric(kind: str) -> Callable[[np.ndarray, np.ndarray], float]:
    def fn(y_true: np.ndarray, y_score: np.ndarray) -> float:
        return semsim_spearman(y_true, y_score, kind)

    fn.__name__ = f"spearman_{kind}"
    fn.__doc__ = f"Spearman between {kind} embedding similarity and GO similarity over the upper triangle."
    return fn


METRICS = {f"spearman-{k}": _metric(k) for k in KINDS}
