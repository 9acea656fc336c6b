"""Issue 12.4: the interval beside a mean over seeds is an interval of that mean."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from protbench import stages as S
from protbench.leaderboard.collect import collect
from protbench.metrics import METRICS

RESULTS = Path(__file__).resolve().parent.parent / "results"


def seeds_and_predictions(n_seeds=3, n=150, shift=0.0):
    rng = np.random.default_rng(7)
    y = rng.normal(size=n)
    seeds, preds = {}, {}
    for s in range(n_seeds):
        score = y + rng.normal(scale=1.0 + s + shift, size=n)
        seeds[str(s)] = {"scores": {"test": {"spearman": METRICS["spearman"](y, score)}},
                         "ci": {"test": {"spearman": [0.0, 0.01]}}}      # a seed's own interval, kept apart
        preds[str(s)] = {"test.y_true": y, "test.y_score": score}
    return seeds, preds


def test_mean_lies_inside_its_interval_and_seed_intervals_stay_per_seed():
    seeds, preds = seeds_and_predictions()
    summary = S.summarize(seeds, preds, n_boot=300)
    st = summary["test"]["spearman"]
    assert st["ci_of"] == S.CI_OF_MEAN and st["n"] == 3
    lo, hi = st["ci"]
    assert lo <= st["mean"] <= hi
    assert [lo, hi] != seeds["0"]["ci"]["test"]["spearman"]      # not seed 0's interval copied
    assert seeds["0"]["ci"]["test"]["spearman"] == [0.0, 0.01]


def test_same_indices_for_every_seed():
    # two identical seeds: the mean's interval equals the interval of one seed alone
    seeds, preds = seeds_and_predictions(n_seeds=1)
    twice = {"0": seeds["0"], "1": seeds["0"]}
    twice_preds = {"0": preds["0"], "1": preds["0"]}
    one = S.summarize(seeds, preds, n_boot=200)["test"]["spearman"]["ci"]
    two = S.summarize(twice, twice_preds, n_boot=200)["test"]["spearman"]["ci"]
    assert one == pytest.approx(two)


def test_retrieval_ranks_give_an_interval():
    rng = np.random.default_rng(1)
    seeds, preds = {}, {}
    for s in range(3):
        ranks = rng.integers(1, 50, size=120)
        seeds[str(s)] = {"scores": {"test": {"mrr": float(np.mean(1.0 / ranks)),
                                             "hits@10": float(np.mean(ranks <= 10))}}}
        preds[str(s)] = {"test.ranks": ranks}
    summary = S.summarize(seeds, preds, n_boot=200)
    for m in ("mrr", "hits@10"):
        st = summary["test"][m]
        assert st["ci_of"] == S.CI_OF_MEAN and st["ci"][0] <= st["mean"] <= st["ci"][1]


def test_no_interval_without_every_seeds_predictions():
    seeds, preds = seeds_and_predictions()
    del preds["2"]
    assert "ci" not in S.summarize(seeds, preds, n_boot=50)["test"]["spearman"]


def test_leaderboard_ignores_an_unmarked_summary_interval(tmp_path):
    seeds, _ = seeds_and_predictions()
    res = {"schema_version": 1, "kind": "measured", "status": "ok", "created": "2026-01-01T00:00:00+00:00",
           "task": {"id": "beta-lactamase", "family": "mutation", "main_metric": "spearman"},
           "model": {"name": "m"}, "profile": "real", "seeds": seeds,
           "summary": {"test": {"spearman": {"mean": 0.5, "std": 0.1, "n": 3, "ci": [0.0, 0.01]}}}}
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "beta-lactamase.json").write_text(json.dumps(res))
    assert collect(tmp_path).get("m", "beta-lactamase", "real").stat().ci is None
    res["summary"]["test"]["spearman"].update(ci=[0.45, 0.55], ci_of=S.CI_OF_MEAN)
    (tmp_path / "m" / "beta-lactamase.json").write_text(json.dumps(res))
    assert collect(tmp_path).get("m", "beta-lactamase", "real").stat().ci == (0.45, 0.55)


def committed_results():
    for path in sorted(RESULTS.rglob("*.json")):
        if "smoke" in path.relative_to(RESULTS).parts or path.name.startswith("."):
            continue
        try:
            res = json.loads(path.read_text())
        except ValueError:
            continue
        if isinstance(res, dict) and res.get("status") == "ok" and len(res.get("seeds") or {}) >= 2 and any(
                "ci" in st for st in ((res.get("summary") or {}).get("test") or {}).values()):
            yield path, res            # deterministic protocols (semantic similarity) carry no interval at all


@pytest.mark.parametrize("path,res", list(committed_results()) or [pytest.param(None, None, marks=pytest.mark.skip)],
                         ids=lambda x: str(x.relative_to(RESULTS)) if isinstance(x, Path) else "")
def test_committed_multi_seed_means_lie_inside_their_intervals(path, res):
    checked = 0
    for metric, st in (res.get("summary") or {}).get("test", {}).items():
        if st.get("ci_of") != S.CI_OF_MEAN or st.get("mean") is None:
            continue          # older results: seed 0's interval, not the mean's (the leaderboard ignores it)
        lo, hi = st["ci"]
        assert lo - 1e-9 <= st["mean"] <= hi + 1e-9, f"{path}: {metric} mean {st['mean']} outside [{lo}, {hi}]"
        checked += 1
    if not checked:
        pytest.skip("no interval of the mean in this result (produced before it was computed)")


def test_a_run_records_the_interval_of_the_mean(tmp_path):
    from protbench import results as R
    from protbench.fetch import Fetcher
    from protbench.registry import load_registries
    from protbench.runner import RunConfig, Runner

    cfg = RunConfig(model="aac", seeds=[0, 1, 2], output_dir=tmp_path / "results", profile="smoke", quick=True,
                    fetcher=Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=True))
    out = Runner(cfg, load_registries(entry_points=False)).run_task("beta-lactamase")
    assert out.status == "ok", out.message
    res = R.read_result(out.path)
    st = res["summary"]["test"]["spearman"]
    assert st["ci_of"] == S.CI_OF_MEAN and st["n"] == 3
    assert st["ci"][0] <= st["mean"] <= st["ci"][1]
    assert all("spearman" in s["ci"]["test"] for s in res["seeds"].values())   # per-seed intervals stay


def test_interval_of_the_mean_without_a_predictions_file(tmp_path):
    from protbench import results as R
    from protbench.fetch import Fetcher
    from protbench.registry import load_registries
    from protbench.runner import RunConfig, Runner

    cfg = RunConfig(model="aac", seeds=[0, 1], output_dir=tmp_path / "results", profile="smoke", quick=True,
                    fetcher=Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=True), save_predictions=False)
    out = Runner(cfg, load_registries(entry_points=False)).run_task("beta-lactamase")
    res = R.read_result(out.path)
    assert "predictions_file" not in res and not list(out.path.parent.glob("*.npz"))
    assert res["summary"]["test"]["spearman"]["ci_of"] == S.CI_OF_MEAN


def test_bootstrap_cis_equals_one_call_per_metric():
    """The shared-resample path gives each metric exactly what bootstrap_ci gives it alone (same seed)."""
    from protbench.metrics import METRICS
    from protbench.metrics.bootstrap import bootstrap_ci, bootstrap_cis

    rng = np.random.default_rng(4)
    t = (rng.random((60, 9)) < 0.2).astype(int)
    s = np.round(rng.random((60, 9)), 1)                      # many ties
    names = ("fmax", "micro_aupr", "macro_aupr")
    many = bootstrap_cis({m: METRICS[m] for m in names}, t, s, n_resamples=50, seed=3)
    for m in names:
        assert np.array_equal(bootstrap_ci(METRICS[m], t, s, n_resamples=50, seed=3), many[m], equal_nan=True)
    y, p = rng.normal(size=40), rng.normal(size=40)
    reg = bootstrap_cis({"spearman": METRICS["spearman"], "mae": METRICS["mae"]}, y, p, n_resamples=40, seed=1)
    assert reg["mae"] == bootstrap_ci(METRICS["mae"], y, p, n_resamples=40, seed=1)
