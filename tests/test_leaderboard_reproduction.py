"""The reproduction appendix (measured vs published, within-2σ verdicts) and the PPI protocol readings (selected
vs last epoch, BS/ES/NS), on result files shaped like committed ones with planted numbers."""
from __future__ import annotations

import copy
import json
import re
import statistics
from pathlib import Path

import pytest
from scipy import stats

from protbench.leaderboard.collect import collect
from protbench.leaderboard.render import appendix_markdown, protocol_effects_markdown
from protbench.leaderboard.reported import write_reported
from protbench.leaderboard.reproduction import LAST_EPOCH, paired_interval, ppi_readings, protocol_effects, reproductions

TEMPLATE = Path(__file__).resolve().parents[1] / "results" / "aac" / "shs27k.json"


def write_measured(root: Path, model: str, task: str, preset: str | None, selected: list[float],
                   last: list[float]) -> None:
    """A ppi result for ``task`` (the committed aac SHS27k file's layout) with planted per-seed scores."""
    res = json.loads(TEMPLATE.read_text())
    res["model"]["name"] = model
    res["task"]["id"] = task
    res["protocol"]["preset"] = preset
    seed0 = res["seeds"]["0"]
    res["seeds"] = {}
    for i, (s, t) in enumerate(zip(selected, last)):
        seed = copy.deepcopy(seed0)
        seed["scores"]["test"]["micro_f1"] = s
        seed["info"]["test_last_epoch"]["micro_f1"] = t
        seed["info"]["test_subsets"]["both"] = {"n": 10 + i, "micro_f1": s + 0.1}
        res["seeds"][str(i)] = seed
    res["summary"]["test"]["micro_f1"] = {"mean": statistics.mean(selected), "std": statistics.stdev(selected),
                                          "n": len(selected)}
    (root / model).mkdir(parents=True, exist_ok=True)
    (root / model / f"{task}.json").write_text(json.dumps(res))


@pytest.fixture()
def board(tmp_path):
    write_reported(tmp_path)     # GNN-PPI published: SHS27k BFS 63.81 ± 1.79, DFS 74.72 ± 5.26
    write_measured(tmp_path, "gnn-ppi", "shs27k", "gnn-ppi", [0.60, 0.63, 0.66, 0.62, 0.64],
                   [0.55, 0.60, 0.61, 0.58, 0.56])
    write_measured(tmp_path, "gnn-ppi", "shs27k-dfs", "gnn-ppi", [0.50, 0.52, 0.51], [0.50, 0.50, 0.50])
    write_measured(tmp_path, "gnn-ppi", "shs27k-random", None, [0.88, 0.88], [0.88, 0.88])
    return collect([tmp_path / "gnn-ppi", tmp_path / "reported"])


def test_verdicts_follow_the_published_spread_and_protocol(board):
    rows = {r.task: r for r in reproductions(board)}
    assert set(rows) == {"shs27k", "shs27k-dfs", "shs27k-random"}      # no measured SHS148k/STRING cells
    bfs = rows["shs27k"]
    assert bfs.delta == pytest.approx(0.63 - 0.6381) and bfs.sigmas == pytest.approx(0.0081 / 0.0179)
    assert bfs.verdict == "within 2σ"
    dfs = rows["shs27k-dfs"]     # 0.51 vs 0.7472 ± 0.0526: 4.5σ
    assert dfs.sigmas == pytest.approx(0.2372 / 0.0526) and dfs.verdict == "outside 2σ"
    assert rows["shs27k-random"].verdict.startswith("other protocol (measured with the default protocol")
    text = appendix_markdown(board)
    assert "## Appendix: reproductions" in text
    header = next(line for line in text.splitlines() if line.startswith("| model | task | metric"))
    assert len(re.findall(r"(?<!\\)\|", header)) == 9     # 8 columns: |Δ| is escaped, not a column break
    assert "| gnn-ppi | shs27k | micro\\_f1 | 0.630 ± 0.022 (5, preset gnn-ppi) | 0.638 ± 0.018 | -0.008 | 0.45 " \
           "| within 2σ |" in text


def test_ppi_readings_pair_selected_and_last_epoch_over_seeds(board):
    got = {r.task: r for r in ppi_readings(board)}
    bfs = got["shs27k"]
    assert bfs.selected == [0.60, 0.63, 0.66, 0.62, 0.64] and bfs.last == [0.55, 0.60, 0.61, 0.58, 0.56]
    assert bfs.subsets["both"] == pytest.approx([0.70, 0.73, 0.76, 0.72, 0.74])
    d = [-0.05, -0.03, -0.05, -0.04, -0.08]
    mean, lo, hi = paired_interval(bfs.selected, bfs.last)
    half = stats.t.ppf(0.975, 4) * statistics.stdev(d) / 5 ** 0.5
    assert mean == pytest.approx(statistics.mean(d)) and (lo, hi) == pytest.approx((mean - half, mean + half))
    assert paired_interval([0.5], [0.4]) is None
    text = appendix_markdown(board)
    assert "## Appendix: PPI protocol readings" in text and "| gnn-ppi | shs27k | train, valid | 5 |" in text


def test_protocol_choices_pair_runs_by_seed_id(tmp_path, board):
    """A changed-choice folder that ran seeds 0, 2, 4 (one of them selecting its last epoch, so it kept no
    last-epoch state) is paired with the reference's seeds 0, 2, 4 — not its first three."""
    changed_root = tmp_path / "changed"
    write_measured(changed_root, "gnn-ppi", "shs27k", "gnn-ppi", [0.50, 0.55, 0.70], [0.40, 0.45, 0.60])
    path = changed_root / "gnn-ppi" / "shs27k.json"
    res = json.loads(path.read_text())
    res["seeds"] = {new: res["seeds"][old] for old, new in (("0", "0"), ("1", "2"), ("2", "4"))}
    del res["seeds"]["4"]["info"]["test_last_epoch"]
    res["seeds"]["4"]["info"]["fit"]["best_epoch"] = res["seeds"]["4"]["info"]["fit"]["epochs_run"] = 300
    path.write_text(json.dumps(res))
    effects = protocol_effects(board, {"graph: train": collect([changed_root / "gnn-ppi"])})
    bfs = [e for e in effects if e.task == "shs27k"]
    assert [e.choice for e in bfs] == [LAST_EPOCH, "graph: train"]
    assert bfs[0].seeds == ("0", "1", "2", "3", "4") and bfs[0].changed == (0.55, 0.60, 0.61, 0.58, 0.56)
    graph = bfs[1]
    assert graph.seeds == ("0", "2", "4")
    assert graph.reference == (0.60, 0.66, 0.64) and graph.changed == (0.50, 0.55, 0.70)
    d = [-0.10, -0.11, 0.06]
    mean, lo, hi = graph.difference
    half = stats.t.ppf(0.975, 2) * statistics.stdev(d) / 3 ** 0.5
    assert mean == pytest.approx(statistics.mean(d)) and (lo, hi) == pytest.approx((mean - half, mean + half))
    text = protocol_effects_markdown(board, {"graph: train": collect([changed_root / "gnn-ppi"])})
    assert "| graph: train | gnn-ppi | shs27k | 3 | 0.633 ± 0.031 | 0.583 ± 0.104 |" in text


def test_reproduce_gnn_ppi_table_only_writes_every_section(tmp_path):
    """``benchmarks/reproduce_gnn_ppi.py --table-only``: reproduction, protocol choices, readings of every folder
    and the encoders table from planted results; exit 2 naming the folder when there are none."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "reproduce_gnn_ppi", Path(__file__).resolve().parents[1] / "benchmarks" / "reproduce_gnn_ppi.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--table-only", "--out", str(tmp_path / "empty")]) == 2
    out = tmp_path / "gp"
    write_measured(out, "gnn-ppi", "shs27k", "gnn-ppi", [0.60, 0.63, 0.66], [0.55, 0.60, 0.61])
    write_measured(out / "graph-train", "gnn-ppi", "shs27k", "gnn-ppi", [0.40, 0.45, 0.50], [0.40, 0.40, 0.40])
    write_measured(out / "plm-ppi", "aac@plm-ppi", "shs27k", "plm-ppi", [0.30, 0.35, 0.40], [0.30, 0.30, 0.30])
    assert script.main(["--table-only", "--out", str(out)]) == 0
    text = (out / "table.md").read_text()
    for title in ("## reproductions", "## Protocol choices, measured", "## PPI protocol readings",
                  "## Encoders under one PPI protocol"):
        assert title in text
    assert "| graph: training pairs only (GCT), at training and test time | gnn-ppi | shs27k | 3 | 0.630 ± 0.030 " \
           "| 0.450 ± 0.050 | -0.180 " in text
    assert "| aac@plm-ppi | plm-ppi | 0.350 ± 0.050 (3) |" in text


def test_a_setting_changed_on_top_of_the_papers_preset_is_another_protocol(tmp_path):
    """GNN-PPI's preset with its message-passing graph cut to training pairs is not GNN-PPI's protocol: no
    verdict, and no Δ beside the published number in the tables."""
    from protbench.leaderboard.report import build_report

    write_reported(tmp_path)
    write_measured(tmp_path, "gnn-ppi", "shs27k", "gnn-ppi", [0.60, 0.63, 0.66, 0.62, 0.64],
                   [0.55, 0.60, 0.61, 0.58, 0.56])
    path = tmp_path / "gnn-ppi" / "shs27k.json"
    res = json.loads(path.read_text())
    res["protocol"]["params"] = {"graph": "train"}
    path.write_text(json.dumps(res))
    roots = [tmp_path / "gnn-ppi", tmp_path / "reported"]
    (row,) = [r for r in reproductions(collect(roots)) if r.task == "shs27k"]
    assert row.verdict == "other protocol (preset 'gnn-ppi' with settings changed: graph=train)"
    table = {t.key: t for t in build_report(roots, n_boot=10).all_tables()}["tasks-real"]
    (entry,) = [e for r in table.rows for h, e in zip(table.columns, r.entries)
                if h.label == "gnn-ppi" and e.task == "shs27k"]
    assert entry.stat.mean == pytest.approx(0.63) and entry.delta is None
    res["protocol"]["params"] = None        # the preset as published: Δ and a verdict again
    path.write_text(json.dumps(res))
    (row,) = [r for r in reproductions(collect(roots)) if r.task == "shs27k"]
    assert row.verdict == "within 2σ"
