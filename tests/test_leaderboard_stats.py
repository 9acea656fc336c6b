"""Bootstrap CIs and the paired bootstrap test, on prediction sidecars written like the runner writes them."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from protbench import results as R
from protbench.leaderboard import render
from protbench.leaderboard.collect import collect
from protbench.leaderboard.report import build_report
from protbench.store import ResultStore
from protbench.leaderboard.stats import Distribution, paired_test, percentile_ci, resample_indices

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "results"


def write_cell(root: Path, model: str, y_true: np.ndarray, scores_by_seed: dict[str, np.ndarray],
               task: str = "beta-lactamase", metric: str = "spearman") -> None:
    """A measured result plus its predictions sidecar, in the runner's layout."""
    from protbench.metrics import METRICS

    seeds = {s: {"scores": {"test": {metric: float(METRICS[metric](y_true, p))}}} for s, p in scores_by_seed.items()}
    res = {"schema_version": 1, "kind": "measured", "status": "ok", "profile": "real",
           "task": {"id": task, "family": "mutation", "main_metric": metric, "higher_is_better": metric != "mae"},
           "model": {"name": model}, "created": "2026-01-01T00:00:00+00:00", "seeds": seeds,
           "summary": R.summarize(seeds), "predictions_file": f"{task}.predictions.npz",
           "dataset": {"fingerprint": "fp"}}
    ResultStore(root, model).write_result(task, res)
    ResultStore(root, model).write_predictions(task,
                       {s: {"test.y_true": y_true, "test.y_score": p} for s, p in scores_by_seed.items()})


def test_resample_indices_are_reproducible_and_shared():
    a, b = resample_indices(50, 20, seed=3), resample_indices(50, 20, seed=3)
    assert a.shape == (20, 50) and (a == b).all() and a.max() < 50
    assert not (resample_indices(50, 20, seed=4) == a).all()


def test_bootstrap_ci_of_mae_matches_the_normal_approximation(tmp_path):
    # MAE is a mean of |errors|: its bootstrap CI must approach mean ± 1.96·sd/√n (independent formula).
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.normal(size=n)
    pred = y + rng.normal(scale=0.5, size=n)
    write_cell(tmp_path, "m", y, {"0": pred}, metric="mae")
    rep = build_report(tmp_path, n_boot=1000, budget_s=60)
    st = rep.board.get("m", "beta-lactamase", "real").stat()
    err = np.abs(y - pred)
    half = 1.96 * err.std(ddof=1) / np.sqrt(n)
    assert st.ci[0] == pytest.approx(err.mean() - half, abs=0.15 * half)
    assert st.ci[1] == pytest.approx(err.mean() + half, abs=0.15 * half)


def test_percentile_ci_hand_example():
    assert percentile_ci(np.arange(101, dtype=float), alpha=0.1) == (5.0, 95.0)
    assert percentile_ci(np.array([1.0, np.nan] * 3)) is None       # too few finite values


def test_paired_p_value_formula_on_a_hand_distribution():
    ref = Distribution(values=np.zeros(99), n_items=10, point=0.5, key=b"k")
    # 9 of 99 resamples have the model worse or equal: p = (1 + 2*9) / 100
    vals = np.r_[np.full(90, 0.1), np.full(9, -0.1)]
    res = paired_test(Distribution(values=vals, n_items=10, point=0.6, key=b"k"), ref)
    assert res.p == pytest.approx(19 / 100)
    assert res.delta == pytest.approx(0.1)
    assert paired_test(Distribution(values=vals, n_items=10, point=0.6, key=b"other"), ref) is None
    # lower-is-better: the same numbers mean the model is worse
    assert paired_test(Distribution(values=vals, n_items=10, point=0.6, key=b"k"), ref,
                       higher_is_better=False).delta == pytest.approx(-0.1)


def test_paired_test_marks_a_clearly_better_model_and_not_an_identical_one(tmp_path):
    rng = np.random.default_rng(1)
    n = 300
    y = rng.normal(size=n)
    noisy = y + rng.normal(scale=2.0, size=n)
    good = y + rng.normal(scale=0.3, size=n)
    write_cell(tmp_path, "ref", y, {"0": noisy})
    write_cell(tmp_path, "good", y, {"0": good, "1": good + rng.normal(scale=0.05, size=n)})
    write_cell(tmp_path, "same", y, {"0": noisy})
    rep = build_report(tmp_path, reference="ref", n_boot=300)
    tests = rep.analysis.tests
    assert tests[("good", "beta-lactamase", "real")].p < 0.01
    assert tests[("good", "beta-lactamase", "real")].delta > 0.3
    assert tests[("same", "beta-lactamase", "real")].p == 1.0
    t = {t.key: t for t in rep.all_tables()}["tasks-real"]
    row = {h.label: e for h, e in zip(t.columns, t.rows[0].entries)}
    assert row["good"].sig == "better" and render.MARK_BETTER in render.entry_text(row["good"])
    assert row["same"].sig == ""
    assert "ref (ref)" in row
    # every measured cell got a CI from its predictions
    assert all(e.stat.ci is not None for e in row.values())


def test_paired_test_refuses_different_test_items(tmp_path):
    rng = np.random.default_rng(2)
    y = rng.normal(size=100)
    write_cell(tmp_path, "ref", y, {"0": y + rng.normal(size=100)})
    write_cell(tmp_path, "other", y[::-1].copy(), {"0": y[::-1] + rng.normal(size=100)})
    rep = build_report(tmp_path, reference="ref", n_boot=100)
    assert not rep.analysis.tests
    assert any("different test items" in n for n in rep.analysis.notes)


def test_budget_cuts_resamples_by_size_not_by_clock(tmp_path):
    """The resample count follows the cell's size: the same on every call (a clock-timed cut made intervals
    depend on the machine's load)."""
    from protbench.leaderboard.stats import SCORES_PER_S, bootstrap_distribution

    rng = np.random.default_rng(4)
    y = rng.normal(size=500)
    write_cell(tmp_path, "m", y, {"0": y + rng.normal(size=500), "1": y + rng.normal(size=500)})
    cell = collect(tmp_path).get("m", "beta-lactamase", "real")
    budget = 30 * 1000 / SCORES_PER_S             # room for 30 resamples of 2 seeds x 500 scores
    runs = [bootstrap_distribution(cell, "spearman", n_boot=1000, budget_s=budget, min_boot=10) for _ in range(2)]
    assert [r.values.size for r in runs] == [30, 30]
    np.testing.assert_array_equal(runs[0].values, runs[1].values)


def test_time_budget_cuts_resamples_but_keeps_a_minimum(tmp_path):
    rng = np.random.default_rng(3)
    y = rng.normal(size=200)
    write_cell(tmp_path, "m", y, {"0": y + rng.normal(size=200)})
    board = collect(tmp_path)
    from protbench.leaderboard.stats import bootstrap_distribution

    d = bootstrap_distribution(board.get("m", "beta-lactamase", "real"), "spearman", n_boot=5000, budget_s=0.0,
                               min_boot=100)
    assert d.values.size == 100


def test_fixture_without_predictions_keeps_result_cis(tmp_path):
    root = tmp_path / "r"
    shutil.copytree(FIXTURE, root)
    rep = build_report(root, reference="aac", n_boot=50)
    assert rep.analysis.tests == {}
    assert rep.board.get("esm2-650m", "beta-lactamase", "real").stat().ci == (0.41, 0.62)
    assert json.loads((root / "aac" / "subloc.json").read_text())["summary"]["test"]["accuracy"]["ci"] == [0.39, 0.45]


def test_per_seed_test_sets_are_resampled_separately_and_still_paired(tmp_path):
    # a task that draws its split per seed (e.g. PPI BFS splits): seeds have different, differently sized test sets
    rng = np.random.default_rng(4)
    ys = {"0": rng.normal(size=80), "1": rng.normal(size=95)}
    from protbench.metrics import METRICS

    for model, noise in (("ref", 2.0), ("good", 0.2)):
        scores = {s: y + rng.normal(scale=noise, size=y.size) for s, y in ys.items()}
        seeds = {s: {"scores": {"test": {"spearman": float(METRICS["spearman"](ys[s], p))}}} for s, p in scores.items()}
        res = {"schema_version": 1, "kind": "measured", "status": "ok", "profile": "real",
               "task": {"id": "beta-lactamase", "family": "mutation", "main_metric": "spearman"},
               "model": {"name": model}, "created": "2026-01-01T00:00:00+00:00", "seeds": seeds,
               "summary": R.summarize(seeds), "predictions_file": "beta-lactamase.predictions.npz"}
        ResultStore(tmp_path, model).write_result("beta-lactamase", res)
        ResultStore(tmp_path, model).write_predictions("beta-lactamase",
                            {s: {"test.y_true": ys[s], "test.y_score": p} for s, p in scores.items()})
    rep = build_report(tmp_path, reference="ref", n_boot=200)
    good = rep.board.get("good", "beta-lactamase", "real").stat()
    assert good.ci is not None and good.ci[0] < good.mean < good.ci[1]
    t = rep.analysis.tests[("good", "beta-lactamase", "real")]
    assert t.n_items == 80 + 95 and t.p < 0.01


@pytest.mark.parametrize("metric", ["spearman", "fmax", "micro_aupr", "mae"])
def test_bootstrap_values_equal_the_metric_on_each_resample(tmp_path, metric):
    """Every resample's value is the metric recomputed on that resample's items, averaged over seeds, bit for
    bit (ranking metrics are served from one sort of the test set; ties and repeated items included)."""
    from protbench.leaderboard.stats import bootstrap_distribution, test_set_id
    from protbench.metrics import METRICS

    rng = np.random.default_rng(7)
    if metric in ("fmax", "micro_aupr"):
        y = (rng.random((60, 9)) < 0.2).astype(np.int64)
        scores = {s: np.round(rng.random((60, 9)), 1) for s in ("0", "1")}      # rounded: many tied scores
    else:
        y = np.round(rng.normal(size=70), 1)
        scores = {s: np.round(y + rng.normal(size=70), 1) for s in ("0", "1")}
    write_cell(tmp_path, "m", y, scores, metric=metric)
    d = bootstrap_distribution(collect(tmp_path).get("m", "beta-lactamase", "real"), metric, n_boot=40)
    idx = resample_indices(len(y), 40, int(test_set_id(y)[:8], 16))
    fn = METRICS[metric]
    expected = [np.mean([fn(y[i], scores[s][i]) for s in ("0", "1")]) for i in idx]
    np.testing.assert_array_equal(d.values, np.array(expected))
