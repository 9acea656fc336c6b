"""Issue 13 E2: --limit subsets the ground truth indexed by record (GO similarity matrices, sparse pairs)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from protbench.cli import main
from protbench.spec import Record, TaskData
from protbench.stages import limit_splits

SIMILARITY = ["simsem-mf", "simsem-bp", "simsem-cc", "simsem-mf-human", "simsem-bp-human", "simsem-cc-human"]


def test_limit_subsets_square_matrix_and_pairs():
    n = 10
    recs = [Record(id=f"p{i}", sequence="MKV") for i in range(n)]
    sim = np.arange(n * n, dtype=float).reshape(n, n)
    pairs = np.array([[0, 1], [2, 3], [4, 9], [5, 6]])
    data = TaskData(splits={"test": recs, "200": recs[:4]},
                    extra={"go_similarity": {"test": sim, "200": sim[:4, :4]}, "pairs": {"sparse": pairs},
                           "record_indexed": {"go_similarity": "square", "pairs": "pairs:test"}})
    out = limit_splits(data, 5, seed=3)
    kept = [int(r.id[1:]) for r in out.splits["test"]]
    assert len(kept) == 5
    assert np.array_equal(out.extra["go_similarity"]["test"], sim[np.ix_(kept, kept)])
    assert np.array_equal(out.extra["go_similarity"]["200"], sim[:4, :4])       # split under the limit untouched
    pos = {k: j for j, k in enumerate(kept)}
    expected = [[pos[a], pos[b]] for a, b in pairs if a in pos and b in pos]
    assert out.extra["pairs"]["sparse"].tolist() == expected
    assert data.extra["go_similarity"]["test"].shape == (n, n)                  # input not modified


@pytest.mark.parametrize("task", SIMILARITY)
def test_limit_runs_similarity_tasks(tmp_path, task, capsys):
    rc = main(["run", "--model", "aac", "--tasks", task, "--profile", "smoke", "--limit", "7",
               "--cache-dir", str(tmp_path / "c"), "--output-dir", str(tmp_path / "o")])
    assert rc == 0, capsys.readouterr().err
    res = json.loads((tmp_path / "o" / "aac" / "smoke" / f"{task}.json").read_text())
    assert res["status"] == "ok" and res["dataset"]["split_sizes"]["test"] == 7
