"""Regression metrics against hand-worked values and scipy / scikit-learn."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_squared_error

from protbench.metrics.regression import mae, pearson, rmse, spearman


def test_spearman_average_ranks_for_ties_hand_worked():
    # ranks of y: 1, 2.5, 2.5, 4 ; ranks of p: 1, 2, 3, 4 -> Pearson of the ranks
    y = np.array([1.0, 2.0, 2.0, 3.0])
    p = np.array([0.1, 0.2, 0.3, 0.4])
    ry, rp = np.array([1, 2.5, 2.5, 4]), np.array([1, 2, 3, 4.0])
    expect = np.corrcoef(ry, rp)[0, 1]
    assert spearman(y, p) == pytest.approx(expect)
    assert spearman(y, p) == pytest.approx(stats.spearmanr(y, p).statistic)


def test_mae_rmse_hand_worked():
    y, p = np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 1.0])
    assert mae(y, p) == pytest.approx(4 / 3)
    assert rmse(y, p) == pytest.approx(np.sqrt(10 / 3))
    assert mae(y, p) == pytest.approx(mean_absolute_error(y, p))
    assert rmse(y, p) == pytest.approx(np.sqrt(mean_squared_error(y, p)))


def test_random_against_scipy():
    rng = np.random.default_rng(3)
    y, p = rng.normal(size=200), rng.normal(size=200)
    assert spearman(y, p) == pytest.approx(stats.spearmanr(y, p).statistic)
    assert pearson(y, p) == pytest.approx(stats.pearsonr(y, p).statistic)


def test_constant_prediction_is_nan_and_shape_mismatch_raises():
    assert np.isnan(spearman([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]))
    with pytest.raises(ValueError):
        mae([1.0, 2.0], [1.0])
