"""Ranking metrics of bootstrap resamples served from one sort equal the direct computation bit for bit."""
import numpy as np
import pytest
from protbench.metrics import classification as C
from protbench.metrics import regression as R
from protbench.metrics.resampled import AverageRanks, MultilabelRanking, resampler
from scipy.stats import rankdata


def _same(a: float, b: float) -> bool:
    return a == b or (np.isnan(a) and np.isnan(b))


@pytest.mark.parametrize("ties", ["none", "coarse", "three-levels"])
def test_multilabel_resamples_equal_direct_metrics(ties):
    rng = np.random.default_rng({"none": 0, "coarse": 1, "three-levels": 2}[ties])
    for _ in range(12):
        n, c = int(rng.integers(2, 50)), int(rng.integers(1, 10))
        t = (rng.random((n, c)) < 0.3).astype(np.uint8)
        s = rng.random((n, c))
        s = {"none": s, "coarse": np.round(s, 1), "three-levels": np.round(s * 2) / 2}[ties]
        ranking = MultilabelRanking(t, s)
        for _ in range(25):
            idx = rng.integers(0, n, size=n)
            assert _same(ranking.fmax(idx), C.fmax(t[idx], s[idx]))
            assert _same(ranking.micro_aupr(idx), C.micro_aupr(t[idx], s[idx]))


def test_tied_block_follows_the_resample_positions():
    """Equal scores in different rows: the running precision sum must follow the resample's order."""
    t = np.array([[1, 0], [0, 1], [1, 1]], dtype=np.uint8)
    s = np.array([[0.5, 0.5], [0.5, 0.2], [0.9, 0.5]])
    ranking = MultilabelRanking(t, s)
    for idx in ([2, 0, 1], [1, 1, 0], [0, 2, 2], [2, 1, 0]):
        idx = np.array(idx)
        assert ranking.fmax(idx) == C.fmax(t[idx], s[idx])
        assert np.array_equal(ranking.scores[ranking.expand(idx)], np.sort(s[idx].ravel())[::-1])


def test_average_ranks_equal_scipy():
    rng = np.random.default_rng(5)
    y = np.round(rng.normal(size=200), 1)
    ranks = AverageRanks(y)
    for _ in range(20):
        idx = rng.integers(0, len(y), size=len(y))
        assert np.array_equal(ranks(idx), rankdata(y[idx]))


def test_spearman_resamples_equal_direct_including_constant_resamples():
    rng = np.random.default_rng(6)
    y, p = np.round(rng.normal(size=30)), np.round(rng.normal(size=30), 1)
    fast = resampler(R.spearman, y, p)
    for _ in range(50):
        idx = rng.integers(0, len(y), size=len(y))
        assert _same(fast(idx), R.spearman(y[idx], p[idx]))
    assert np.isnan(fast(np.zeros(30, dtype=int)))          # one item repeated: undefined, as directly


def test_other_metrics_have_no_fast_path():
    assert resampler(R.pearson, [1.0, 2.0], [2.0, 1.0]) is None
    assert resampler(C.macro_aupr, [[1]], [[0.5]]) is None


def test_mean_ci_equals_the_direct_resampling():
    """The seed-mean interval of the result summary: fast path vs metric calls on indexed arrays."""
    from protbench import stages as S

    rng = np.random.default_rng(7)
    t = (rng.random((40, 6)) < 0.3).astype(np.uint8)
    preds = {str(k): {"test.y_true": t, "test.y_score": np.round(rng.random((40, 6)), 1)} for k in range(3)}
    fast = S.mean_ci(preds, "fmax", n_boot=60)
    original = S._fast_metric
    try:
        S._fast_metric = lambda fn, arrays: None
        direct = S.mean_ci(preds, "fmax", n_boot=60)
    finally:
        S._fast_metric = original
    assert fast == direct
