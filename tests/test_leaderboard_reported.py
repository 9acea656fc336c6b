"""Reported numbers in results/reported: in sync with their source table, marked reported, with provenance."""
from __future__ import annotations

import json
from pathlib import Path

from protbench import results as R
from protbench.leaderboard.collect import collect
from protbench.leaderboard.layouts import PAPER_LAYOUTS, layout_table
from protbench.leaderboard.reported import REPORTED, write_reported

RESULTS = Path(__file__).resolve().parents[1] / "results"


def test_reported_files_match_the_table_in_code(tmp_path):
    written = write_reported(tmp_path)
    assert len(written) == len(REPORTED) == 31
    for path in written:
        rel = path.relative_to(tmp_path)
        committed = RESULTS / rel
        assert committed.is_file(), f"{committed} missing: run protbench.leaderboard.reported.write_reported('results')"
        assert json.loads(committed.read_text()) == json.loads(path.read_text()), f"{rel} out of date"


def test_reported_results_are_valid_marked_and_sourced():
    paths = sorted((RESULTS / "reported").rglob("*.json"))
    assert paths
    for p in paths:
        res = R.read_result(p)
        assert res["kind"] == "reported" and res["profile"] == "real"
        assert {"paper", "table", "protocol"} <= set(res["source"])
        assert "seeds" not in res      # nothing was run


def test_benchmarks_md_numbers_land_in_the_paper_tables():
    board = collect(RESULTS / "reported")
    tables = {lay.key: layout_table(board, lay, "real") for lay in PAPER_LAYOUTS}
    fn = tables["paper-function"]
    row = next(r for r in fn.rows if r.model == "protclip")
    # EC AUPR 0.906 / Fmax 0.908, GO-CC AUPR 0.582 / Fmax 0.541 (docs/BENCHMARKS.md)
    assert [e.stat.mean for e in row.entries] == [0.906, 0.908, 0.567, 0.574, 0.696, 0.691, 0.582, 0.541]
    assert all(e.kind == "reported" for e in row.entries) and row.label == "protclip †"
    cm = tables["paper-crossmodal"]
    bb = next(r for r in cm.rows if r.model == "biobridge")
    assert [e.stat.mean for e in bb.entries] == [0.136, 0.326, 0.319, 0.172, 0.084]
    esm = next(r for r in fn.rows if r.model == "esm2-650m")
    assert [e.stat.mean if e.stat else None for e in esm.entries] == [None, 0.874, None, 0.472, None, 0.662,
                                                                       None, 0.472]
