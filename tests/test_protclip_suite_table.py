"""The pretraining table's paired test on retrieval: per test pair 1/rank, same resamples for both models."""
import numpy as np

from protbench.leaderboard.collect import Cell
from protbench.protclip.suite_table import _paired, _paired_ranks, _reciprocal_ranks


def _cell(tmp_path, name, ranks_by_seed, mrr):
    path = tmp_path / f"{name}.predictions.npz"
    np.savez(path, **{f"{s}/test.ranks": r for s, r in ranks_by_seed.items()})
    cell = Cell(model=name, task="t", profile="real", kind="measured", status="ok", family="cross-modal",
                main_metric="mrr", predictions=[path])
    from protbench.leaderboard.collect import Stat

    cell.stats = {"mrr": Stat(mean=mrr, std=0.0, n=len(ranks_by_seed))}
    return cell


def test_reciprocal_ranks_average_seeds_and_give_the_mrr(tmp_path):
    c = _cell(tmp_path, "a", {"0": np.array([1, 2, 4]), "1": np.array([1, 4, 4])}, 0.0)
    rr = _reciprocal_ranks(c)
    np.testing.assert_allclose(rr, [1.0, 0.375, 0.25])


def test_paired_rank_test_separates_a_clear_difference_and_not_noise(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.integers(1, 50, size=400)
    better = _cell(tmp_path, "better", {"0": np.maximum(1, base // 4)}, float(np.mean(1 / np.maximum(1, base // 4))))
    same = _cell(tmp_path, "same", {"0": base}, float(np.mean(1 / base)))
    twin = _cell(tmp_path, "twin", {"0": rng.permutation(base)}, float(np.mean(1 / base)))
    delta, p = _paired_ranks(better, same)
    assert delta > 0 and p < 0.01
    _, p_noise = _paired_ranks(twin, same)
    assert p_noise > 0.01
    assert "p = " in _paired(better, same)
