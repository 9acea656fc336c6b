"""Issue 12.7: exact-sequence overlap between splits is recorded in results and shown by the leaderboard."""
from __future__ import annotations

import json

from protbench.leaderboard.collect import collect
from protbench.leaderboard.report import build_report
from protbench.overlap import split_overlap
from protbench.spec import Record, TaskData


def toy() -> TaskData:
    train = [Record("tr1", "AAAA", 1.0), Record("tr2", "CCCC", 2.0), Record("tr3", "DDDD", 3.0)]
    valid = [Record("va1", "CCCC", 2.0), Record("va2", "EEEE", 0.0)]
    test = [Record("te1", "AAAA", 5.0), Record("te2", "DDDD", 3.0), Record("te3", "EEEE", 1.0),
            Record("te4", "FFFF", 1.0)]
    return TaskData(splits={"train": train, "valid": valid, "test": test})


def test_overlap_counts_examples_and_label_disagreements():
    ov = split_overlap(toy())
    assert ov["test&train"] == {"count": 2, "different_label": 1, "examples": ["te1", "te2"]}
    assert ov["valid&train"] == {"count": 1, "different_label": 0, "examples": ["va1"]}
    assert ov["test&valid"] == {"count": 1, "different_label": 1, "examples": ["te3"]}


def test_examples_are_capped_and_missing_splits_skipped():
    data = TaskData(splits={"train": [Record(f"a{i}", "AC", 0) for i in range(9)],
                            "test": [Record(f"t{i}", "AC", 0) for i in range(9)]})
    ov = split_overlap(data)
    assert set(ov) == {"test&train"} and ov["test&train"]["count"] == 9 and len(ov["test&train"]["examples"]) == 5


def test_a_run_records_overlap(tmp_path):
    from protbench import results as R
    from protbench.fetch import Fetcher
    from protbench.registry import load_registries
    from protbench.runner import RunConfig, Runner

    cfg = RunConfig(model="aac", output_dir=tmp_path / "results", profile="smoke", quick=True,
                    fetcher=Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=True))
    out = Runner(cfg, load_registries(entry_points=False)).run_task("beta-lactamase")
    assert out.status == "ok", out.message
    ov = R.read_result(out.path)["dataset"]["stats"]["overlap"]
    assert set(ov) == {"test&train", "valid&train", "test&valid"}
    assert all(isinstance(v["count"], int) for v in ov.values())


def test_leaderboard_appendix_shows_overlap_per_task(tmp_path):
    res = {"schema_version": 1, "kind": "measured", "status": "ok", "created": "2026-01-01T00:00:00+00:00",
           "task": {"id": "stability", "family": "mutation", "main_metric": "spearman"},
           "model": {"name": "m"}, "profile": "real", "seeds": {"0": {"scores": {"test": {"spearman": 0.5}}}},
           "summary": {"test": {"spearman": {"mean": 0.5, "std": 0.0, "n": 1}}},
           "dataset": {"stats": {"overlap": {"test&train": {"count": 26, "different_label": 26,
                                                             "examples": ["test/1", "test/2"]}}}}}
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "stability.json").write_text(json.dumps(res))
    board = collect(tmp_path)
    assert board.overlap["stability"]["test&train"]["count"] == 26
    rep = build_report(tmp_path, out_dir=tmp_path / "out", formats=["md", "html"], figures=False)
    md = rep.files["md"].read_text()
    assert "split overlap" in md and "26" in md and "test/1" in md
    assert "split overlap" in rep.files["html"].read_text()
