"""`protbench compare A B`: differences per task × metric, exit code by tolerance."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from protbench.cli import main
from protbench.leaderboard.compare import compare

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "results"


@pytest.fixture
def pair(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(FIXTURE, a)
    shutil.copytree(FIXTURE, b)
    path = b / "esm2-650m" / "beta-lactamase.json"
    d = json.loads(path.read_text())
    d["summary"]["test"]["spearman"]["mean"] -= 0.02     # 0.52 -> 0.50
    path.write_text(json.dumps(d))
    return a, b


def test_identical_folders_compare_clean(tmp_path):
    diffs, _, _ = compare(FIXTURE, FIXTURE, tolerance=0.0)
    assert diffs and not any(d.exceeded for d in diffs)
    assert main(["compare", str(FIXTURE), str(FIXTURE)]) == 0


def test_difference_beyond_tolerance_fails(pair, capsys):
    a, b = pair
    diffs, _, _ = compare(a, b, tolerance=0.01)
    bad = [d for d in diffs if d.exceeded]
    assert [(d.model, d.task, d.metric) for d in bad] == [("esm2-650m", "beta-lactamase", "spearman")]
    assert bad[0].delta == pytest.approx(-0.02) and bad[0].why == "worse"
    assert main(["compare", str(a), str(b), "--tolerance", "0.01"]) == 1
    assert "EXCEEDED" in capsys.readouterr().out
    assert main(["compare", str(a), str(b), "--tolerance", "0.05"]) == 0
    assert main(["compare", str(a), str(b), "--tolerance", "0.01", "--metric-tolerance", "spearman=0.03"]) == 0


def test_only_worse_ignores_improvements(pair):
    a, b = pair
    assert main(["compare", str(b), str(a), "--tolerance", "0.01", "--only-worse"]) == 0   # B better than A
    assert main(["compare", str(a), str(b), "--tolerance", "0.01", "--only-worse"]) == 1


def test_missing_results_and_status_changes_count(pair):
    a, b = pair
    (b / "aac" / "shs27k.json").unlink()
    diffs, _, _ = compare(a, a.parent / "b", tolerance=1.0)
    missing = [d for d in diffs if d.why == "no result in B"]
    # one-sided: listed as missing, not a violation (issue 12.5)
    assert [(d.model, d.task) for d in missing] == [("aac", "shs27k")] and not missing[0].exceeded
    assert main(["compare", str(a), str(b), "--tolerance", "1"]) == 0
    assert main(["compare", str(a), str(b), "--tolerance", "1", "--allow-missing"]) == 0
    # ok -> failed is a violation whatever the tolerance
    path = b / "aac" / "binloc.json"
    d = json.loads(path.read_text())
    d.update(status="failed", error="boom")
    path.write_text(json.dumps(d))
    diffs, _, _ = compare(a, b, tolerance=1.0, allow_missing=True)
    assert [d.why for d in diffs if d.exceeded] == ["status ok → failed"]


def test_missing_folder_is_a_usage_error(tmp_path):
    assert main(["compare", str(tmp_path / "nope"), str(FIXTURE)]) == 2
