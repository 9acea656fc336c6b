"""Embedding-similarity kinds and the upper-triangle Spearman, checked by hand and against scipy."""
import numpy as np
import pytest
from scipy.spatial.distance import pdist
from scipy.stats import spearmanr

from protbench.metrics import METRICS
from protbench.metrics.similarity import (pair_similarity, semsim_spearman, upper_triangle,
                                          upper_triangle_similarity)


def test_manhattan_hand_worked():
    x = np.array([[1.0, 2.0], [3.0, 0.0], [1.0, 2.0]])
    # pair (0,1): |1-3|+|2-0| = 4 ; ||a||1+||b||1 = 3+3 → 1 - 4/6 = 1/3
    # pair (0,2): identical → 1 ; pair (1,2): same as (0,1) → 1/3
    np.testing.assert_allclose(upper_triangle_similarity(x, "manhattan"), [1 / 3, 1.0, 1 / 3], rtol=1e-6)


def test_cosine_and_euclidean_match_scipy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(37, 5)).astype(np.float32)
    np.testing.assert_allclose(upper_triangle_similarity(x, "cosine"), 1 - pdist(x, "cosine"), atol=1e-5)
    norms = np.linalg.norm(x, axis=1)
    denom = np.array([norms[i] + norms[j] for i in range(37) for j in range(i + 1, 37)])
    np.testing.assert_allclose(upper_triangle_similarity(x, "euclidean"), 1 - pdist(x, "euclidean") / denom,
                               atol=1e-5)
    # blocks of one row give the same values as one block
    np.testing.assert_allclose(upper_triangle_similarity(x, "manhattan", block_bytes=1),
                               upper_triangle_similarity(x, "manhattan"), atol=1e-6)


def test_pair_similarity_agrees_with_matrix():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(10, 4))
    iu = np.triu_indices(10, k=1)
    pairs = np.stack(iu, 1)
    for kind in ("manhattan", "cosine", "euclidean"):
        np.testing.assert_allclose(pair_similarity(x, pairs, kind), upper_triangle_similarity(x, kind), atol=1e-5)


def test_spearman_upper_triangle_only():
    x = np.array([[0.0], [1.0], [3.0], [6.0]])
    # cosine similarity of 1-d vectors: pairs with the zero vector → 0, others → 1 (many ties)
    # euclidean 1 - |a-b|/(|a|+|b|) of pairs (01,02,03,12,13,23) = (0, 0, 0, 1-2/4, 1-5/7, 1-3/9)
    go = np.zeros((4, 4))
    go[np.triu_indices(4, 1)] = [1, 1, 1, 3, 2, 4]        # same order as the euclidean similarity
    go[np.tril_indices(4, -1)] = 99                        # lower triangle must be ignored
    assert semsim_spearman(go, x, "euclidean") == pytest.approx(1.0)
    go[np.triu_indices(4, 1)] = [6, 4, 1, 5, 2, 4]
    want = spearmanr([0, 0, 0, 1 - 2 / 4, 1 - 5 / 7, 1 - 3 / 9], [6, 4, 1, 5, 2, 4]).statistic
    assert METRICS["spearman-euclidean"](go, x) == pytest.approx(want)


def test_upper_triangle_rejects_non_square():
    with pytest.raises(ValueError, match="square"):
        upper_triangle(np.zeros((2, 3)))
