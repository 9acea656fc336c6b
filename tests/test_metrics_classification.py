"""Classification metrics against hand-worked examples, a brute-force Fmax and scikit-learn."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, average_precision_score

from protbench.metrics import METRICS
from protbench.metrics.bootstrap import bootstrap_ci
from protbench.metrics.classification import accuracy, fmax, macro_aupr, micro_aupr

Y = np.array([[1, 0, 1], [0, 1, 0]])
S = np.array([[0.9, 0.8, 0.3], [0.2, 0.7, 0.1]])


def brute_fmax(y, s):
    """CAFA definition read literally: loop over every distinct score as threshold."""
    best = 0.0
    for t in np.unique(s):
        pred = s >= t
        has = pred.sum(1) > 0
        if not has.any():
            continue
        prec = np.mean([(pred[i] & (y[i] == 1)).sum() / pred[i].sum() for i in np.flatnonzero(has)])
        rec = np.mean([(pred[i] & (y[i] == 1)).sum() / y[i].sum() if y[i].sum() else 0.0 for i in range(len(y))])
        if prec + rec > 0:
            best = max(best, 2 * prec * rec / (prec + rec))
    return best


def test_fmax_hand_worked():
    # t=0.3: protein 1 predicts all 3 terms (precision 2/3, recall 1), protein 2 predicts term 1 (1, 1)
    # P = 5/6, R = 1 -> F = 10/11, the maximum over thresholds (0.9: 0.4, 0.7: 0.75, 0.2: 14/19)
    assert fmax(Y, S) == pytest.approx(10 / 11)


def test_micro_aupr_hand_worked():
    # flattened ranking: 1 0 1 1 0 0 -> AP = (1 + 2/3 + 3/4) / 3
    assert micro_aupr(Y, S) == pytest.approx(29 / 36)


def test_fmax_only_ranking_matters():
    assert fmax(Y, S) == pytest.approx(fmax(Y, np.log(S) * 3 + 7))


def test_fmax_protein_without_true_terms_counts_in_recall():
    y = np.array([[1, 0], [0, 0]])
    s = np.array([[0.9, 0.1], [0.2, 0.3]])
    # t=0.9: P=1 (protein 1 only), R=(1+0)/2 -> F=2/3
    assert fmax(y, s) == pytest.approx(2 / 3)


@pytest.mark.parametrize("seed", range(8))
def test_fmax_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, c = rng.integers(2, 25), rng.integers(2, 12)
    y = (rng.random((n, c)) < 0.3).astype(int)
    y[0, 0] = 1
    s = rng.random((n, c))
    if seed % 2:   # many ties
        s = np.round(s, 1)
    assert fmax(y, s) == pytest.approx(brute_fmax(y, s), abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_micro_aupr_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random((30, 7)) < 0.2).astype(int)
    y[0, 0] = 1
    s = rng.random((30, 7))
    if seed % 2:
        s = np.round(s, 1)
    assert micro_aupr(y, s) == pytest.approx(average_precision_score(y.ravel(), s.ravel()), abs=1e-12)
    cols = [j for j in range(7) if y[:, j].any()]
    expect = np.mean([average_precision_score(y[:, j], s[:, j]) for j in cols])
    assert macro_aupr(y, s) == pytest.approx(expect, abs=1e-12)


def test_accuracy_matches_sklearn_and_hand():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1], [0.2, 0.5, 0.3]])
    y = np.array([0, 2, 1, 1])
    assert accuracy(y, probs) == pytest.approx(0.75)
    assert accuracy(y, probs) == pytest.approx(accuracy_score(y, probs.argmax(1)))
    with pytest.raises(ValueError, match="class ids"):
        accuracy(np.array([0, 5, 1, 1]), probs)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="NaN"):
        fmax(Y, np.array([[np.nan, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match="shape"):
        micro_aupr(Y, S[:, :2])
    with pytest.raises(ValueError, match="0/1"):
        fmax(Y * 2, S)


def test_registered():
    for name in ("accuracy", "fmax", "micro_aupr", "macro_aupr"):
        assert name in METRICS


def test_bootstrap_ci_seeded_and_contains_estimate():
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    p = y + rng.normal(scale=0.5, size=300)
    spearman = METRICS["spearman"]
    lo, hi = bootstrap_ci(spearman, y, p, n_resamples=200, seed=1)
    assert lo < spearman(y, p) < hi and hi - lo < 0.2
    assert (lo, hi) == bootstrap_ci(spearman, y, p, n_resamples=200, seed=1)
    lo2, hi2 = bootstrap_ci(lambda a, b: 0.5, y, p, n_resamples=10)
    assert lo2 == hi2 == 0.5
