"""The pretraining table's paired test on retrieval: per test pair 1/rank, same resamples for both models."""
import numpy as np
import pytest

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
    assert "(p ≤ 0.001)" in _paired(better, same)        # no resample crossed 0: the bootstrap's resolution


def test_runs_with_several_training_seeds_pool_their_resamples(tmp_path):
    """A run trained with 3 seeds: mean ± std over the runs, and a Δ whose paired interval averages the runs
    resample by resample; a one-seed run keeps the plain layout."""
    from protbench.protclip.suite_table import _fmt_group, _paired_groups

    rng = np.random.default_rng(1)
    base = rng.integers(1, 50, size=300)
    better = [_cell(tmp_path, f"b{s}", {"0": np.maximum(1, base // (3 + s))}, float(np.mean(1 / np.maximum(1, base // (3 + s)))))
              for s in range(3)]
    plain = [_cell(tmp_path, f"p{s}", {"0": rng.permutation(base)}, float(np.mean(1 / base))) for s in range(3)]
    means = [c.stat().mean for c in better]
    assert _fmt_group(better) == f"{np.mean(means):.3f} ± {np.std(means, ddof=1):.3f}"
    assert _fmt_group([better[0], None, better[2]]).endswith("(2 of 3 runs)")
    text = _paired_groups(better, plain)
    delta = float(text.split()[0])
    low, high = (float(x.strip("[],")) for x in text.split()[1:3])
    assert delta == pytest.approx(np.mean(means) - float(np.mean(1 / base)), abs=5e-4)
    assert 0 < low < delta < high and "(p ≤ 0.001)" in text
    lo_runs, hi_runs = (float(x) for x in text.split("; runs [")[1].rstrip("]").split(", "))
    assert lo_runs < delta < hi_runs
    assert _paired_groups(better[:1], plain[:1]) == _paired(better[0], plain[0])
    assert _paired_groups(better, [plain[0], None, plain[2]]) == "–"


def test_column_titles_name_what_each_run_trained():
    from protbench.protclip.suite_table import table

    head = table([], {"full": "m0", "gc": "m1"}, None, {"full": "ProtCLIP + GO-term objective"}).splitlines()[0]
    assert "| ProtCLIP + GO-term objective | GC only (CLIP) |" in head
    assert "ProtCLIP (4 objectives)" in table([], {"full": "m0"}, None).splitlines()[0]


def test_a_pair_adds_its_own_delta_column(tmp_path, monkeypatch):
    """``--pair no-terms=clip``: Δ no-terms − clip beside the Δ full − each run, computed from those two runs."""
    from protbench.protclip import suite_table

    rng = np.random.default_rng(2)
    base = rng.integers(1, 50, size=200)
    runs = {"full": _cell(tmp_path, "f", {"0": base}, float(np.mean(1 / base))),
            "no-terms": _cell(tmp_path, "n", {"0": np.maximum(1, base // 3)}, float(np.mean(1 / np.maximum(1, base // 3)))),
            "clip": _cell(tmp_path, "c", {"0": rng.permutation(base)}, float(np.mean(1 / base)))}
    by_model = {c.model: c for c in runs.values()}          # every row reads these cells (no result folders)
    monkeypatch.setattr(suite_table, "_group", lambda boards, names, *row: [by_model[n] for n in names])
    text = suite_table.table([], {k: c.model for k, c in runs.items()}, None, pairs=[("no-terms", "clip")])
    head, _, first = text.splitlines()[:3]
    assert head.count("Δ ") == 3 and head.split("|")[-2].strip().startswith("Δ no-terms − clip")
    assert first.split("|")[-2].strip() == suite_table._paired(runs["no-terms"], runs["clip"])
    with pytest.raises(ValueError, match="pair names \\['gc'\\]"):
        suite_table.table([], {"full": "f", "clip": "c"}, None, pairs=[("gc", "clip")])


def test_zero_shot_mrr_is_also_given_as_a_multiple_of_chance(tmp_path):
    """Chance MRR is H_N / N (a uniformly random rank among N candidates: mean of 1/r), checked by simulation;
    the zero-shot cell reads N from its result file."""
    import json

    from protbench.protclip.suite_table import _times_chance, chance_mrr

    assert chance_mrr(1) == 1.0 and chance_mrr(2) == pytest.approx(0.75)
    ranks = np.random.default_rng(3).integers(1, 101, size=200_000)
    assert chance_mrr(100) == pytest.approx(np.mean(1.0 / ranks), rel=0.02)
    c = _cell(tmp_path, "z", {"0": np.array([1, 2])}, 20 * chance_mrr(1000))
    assert _times_chance([c]) == ""                       # no result file: no candidate count, no claim
    (tmp_path / "z.json").write_text(json.dumps({"dataset": {"stats": {"candidates": 1000}}}))
    c.files = [tmp_path / "z.json"]
    assert _times_chance([c, None]) == " (20× chance)"


def test_runs_interval_is_welchs_t_interval_over_training_runs():
    """By hand: Welch's standard error and Welch-Satterthwaite degrees of freedom, t quantile 0.975."""
    from scipy.stats import t

    from protbench.protclip.suite_table import runs_interval

    a, b = [0.835, 0.841, 0.829], [0.810, 0.823, 0.797, 0.815]
    va, vb = np.var(a, ddof=1) / 3, np.var(b, ddof=1) / 4
    df = (va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 3)
    half = t.ppf(0.975, df) * np.sqrt(va + vb)
    delta = np.mean(a) - np.mean(b)
    np.testing.assert_allclose(runs_interval(a, b), (delta - half, delta + half), rtol=1e-10)
    assert runs_interval(a, b[:1]) is None                 # one run on a side: no spread to measure
    assert runs_interval([0.2, 0.2], [0.1, 0.1]) is None   # no spread at all: no interval claimed
    wide = runs_interval([0.5, 0.9, 0.1], [0.4, 0.6, 0.5])
    assert wide[0] < 0 < wide[1]                           # seeds that disagree: the interval covers 0
