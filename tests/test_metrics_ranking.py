"""Filtered ranks, MRR and Hits@k against hand-worked rankings."""
import numpy as np
import pytest

from protbench.metrics import METRICS
from protbench.metrics.ranking import filtered_ranks, filtered_ranks_row, mrr_from_ranks, summarize_ranks


def test_single_positive_rank_counts_higher_scores():
    # candidate scores: c0=0.9 c1=0.5 c2=0.7 c3=0.1 ; true tail c1 → above it: c0, c2 → rank 3
    assert filtered_ranks_row(np.array([0.9, 0.5, 0.7, 0.1]), np.array([1])).tolist() == [3]


def test_other_true_tails_are_filtered():
    # true tails c0 (0.9) and c2 (0.7); negatives c1 (0.5) c3 (0.1)
    # unfiltered c2 would be rank 2; filtered it is rank 1 (c0 removed)
    assert filtered_ranks_row(np.array([0.9, 0.5, 0.7, 0.1]), np.array([0, 2])).tolist() == [1, 1]


def test_ties_are_pessimistic():
    # true tail c0 ties with two negatives → rank 3 (both ties placed above)
    assert filtered_ranks_row(np.array([0.5, 0.5, 0.5, 0.2]), np.array([0])).tolist() == [3]
    # a constant scorer gets the worst rank
    assert filtered_ranks_row(np.zeros(10), np.array([4])).tolist() == [10]


def test_nan_scores_rank_last():
    assert filtered_ranks_row(np.array([np.nan, 0.1, 0.2]), np.array([0])).tolist() == [3]
    assert filtered_ranks_row(np.array([0.3, np.nan, 0.2]), np.array([2])).tolist() == [3]


def test_matrix_metrics_hand_computed():
    y_true = np.array([[1, 0, 0, 0],      # rank of c0: 1
                       [0, 1, 0, 1],      # c1 (0.2): negatives 0.9, 0.1, → above: 0.9 → rank 2; c3 (0.05) → rank 3
                       [0, 0, 1, 0]])     # c2 (0.3): ties with c0 (0.3) and below c1 (0.6) → rank 3
    y_score = np.array([[0.8, 0.1, 0.2, 0.3],
                        [0.9, 0.2, 0.1, 0.05],
                        [0.3, 0.6, 0.3, 0.0]])
    ranks = filtered_ranks(y_true, y_score)
    assert ranks.tolist() == [1, 2, 3, 3]
    expected_mrr = (1 + 1 / 2 + 1 / 3 + 1 / 3) / 4
    assert METRICS["mrr"](y_true, y_score) == pytest.approx(expected_mrr)
    assert METRICS["hits@1"](y_true, y_score) == pytest.approx(0.25)
    assert METRICS["hits@3"](y_true, y_score) == pytest.approx(1.0)
    assert summarize_ranks(ranks)["hits@10"] == 1.0


def test_against_brute_force_random():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(2, 30))
        s = rng.integers(0, 5, size=n).astype(float)   # many ties
        k = int(rng.integers(1, n))
        pos = rng.choice(n, size=k, replace=False)
        got = filtered_ranks_row(s, pos)
        negs = [c for c in range(n) if c not in set(pos)]
        want = [1 + sum(s[c] >= s[p] for c in negs) for p in pos]
        assert got.tolist() == want


def test_errors():
    with pytest.raises(ValueError, match="no true pairs"):
        mrr_from_ranks(np.array([]))
    with pytest.raises(ValueError, match="out of range"):
        filtered_ranks_row(np.zeros(3), np.array([3]))
    with pytest.raises(ValueError, match="duplicate"):
        filtered_ranks_row(np.zeros(3), np.array([1, 1]))


def test_filtered_ranks_row_counting_and_sorting_paths_agree_with_the_definition():
    """Few true tails (counting) and many (sorting), float32 and float64, ties and NaNs: the definition's integers."""
    from protbench.metrics.ranking import filtered_ranks_row

    rng = np.random.default_rng(11)
    for trial in range(60):
        n = int(rng.integers(2, 300))
        scores = np.round(rng.normal(size=n), 1).astype(np.float32 if trial % 2 else np.float64)
        scores[rng.random(n) < 0.05] = np.nan
        k = int(rng.integers(1, min(n, 40) + 1))
        pos = rng.choice(n, size=k, replace=False)
        neg = np.setdiff1d(np.arange(n), pos)
        expect = [1 + len(neg) if np.isnan(scores[p]) else
                  1 + int(np.sum((scores[neg] >= scores[p]) | np.isnan(scores[neg]))) for p in pos]
        assert filtered_ranks_row(scores, pos).tolist() == expect
