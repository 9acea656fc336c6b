"""Issue 12.2/12.3: a number in a table means what the table says.

Results measured under a setting other than the published one (``--limit``, fewer seeds, random-init
weights, a protocol preset or changed settings) are marked § with their reasons under the table and never
enter family means or MRR; plugin tasks sit apart under "additional tasks".
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from protbench.leaderboard import render
from protbench.leaderboard.collect import PUBLISHED_SEEDS, collect
from protbench.leaderboard.report import build_report
from protbench.leaderboard.tables import ADDITIONAL, MARK_CAVEAT, family_table, task_table
from protbench.registry import load_registries


def write(root: Path, model: str, task: str, family: str, metric: str, values: list[float], **extra) -> None:
    mean = sum(values) / len(values)
    res = {"schema_version": 1, "kind": "measured", "status": "ok", "created": "2026-01-01T00:00:00+00:00",
           "task": {"id": task, "family": family, "main_metric": metric, "higher_is_better": True},
           "model": {"name": model}, "profile": "real",
           "seeds": {str(i): {"scores": {"test": {metric: v}}} for i, v in enumerate(values)},
           "summary": {"test": {metric: {"mean": mean, "std": 0.0, "n": len(values)}}},
           "dataset": {"fingerprint": "fp", "limit": extra.pop("limit", None)}}
    for k, v in extra.items():
        res[k] = v
    (root / model).mkdir(parents=True, exist_ok=True)
    (root / model / f"{task}.json").write_text(json.dumps(res))


@pytest.fixture
def board_root(tmp_path) -> Path:
    r = tmp_path / "results"
    full = [0.5, 0.5, 0.5]
    write(r, "good", "subloc", "function", "accuracy", full)
    write(r, "good", "beta-lactamase", "mutation", "spearman", full)
    write(r, "limited", "subloc", "function", "accuracy", [0.9, 0.9, 0.9], limit=500)
    write(r, "oneseed", "subloc", "function", "accuracy", [0.9])
    write(r, "esm2-650m@random-init", "subloc", "function", "accuracy", [0.9, 0.9, 0.9],
          identity={"weights": "random-init"})
    write(r, "preset", "subloc", "function", "accuracy", [0.9, 0.9, 0.9],
          protocol={"name": "probe", "preset": "quick", "config": {}})
    write(r, "params", "subloc", "function", "accuracy", [0.9, 0.9, 0.9],
          protocol={"name": "probe", "preset": None, "params": {"heads": "mlp"}})
    write(r, "good", "my-plugin-task", "mutation", "spearman", [0.99, 0.99, 0.99])
    write(r, "zs", "simsem-mf", "similarity", "spearman", [0.3], protocol={"name": "semsim"})
    return r


def test_published_seeds_default():
    assert PUBLISHED_SEEDS == 3


def test_each_kind_of_incomparable_result_is_named(board_root):
    board = collect(board_root)
    reasons = {c.model: board.caveats(c) for c in board.cells.values() if c.task == "subloc"}
    assert reasons["good"] == []
    assert reasons["limited"] == ["--limit 500 (not the full data)"]
    assert reasons["oneseed"] == ["1 of 3 published seeds"]
    assert reasons["esm2-650m@random-init"] == ["random-init weights"]
    assert reasons["preset"] == ["protocol preset 'quick'"]
    assert reasons["params"] == ["protocol settings changed (heads=mlp)"]
    # a protocol without randomness needs one seed
    assert board.caveats(board.get("zs", "simsem-mf", "real")) == []


def test_a_protocol_other_than_the_tasks_default_is_named(board_root):
    """`--protocol finetune` on a probe task (or zero-shot on a bridge task) is another benchmark setting: the
    registry's default protocol decides; without a registry the default is unknown and nothing is claimed."""
    write(board_root, "finetuned", "subloc", "function", "accuracy", [0.9, 0.9, 0.9], protocol={"name": "finetune"})
    write(board_root, "probed", "subloc", "function", "accuracy", [0.9, 0.9, 0.9], protocol={"name": "probe"})
    board = collect(board_root, registry=load_registries(), tasks=["subloc"])
    assert board.tasks["subloc"].protocol == "probe"
    assert board.caveats(board.get("finetuned", "subloc", "real")) == [
        "protocol 'finetune', not the task's default 'probe'"]
    assert not board.comparable(board.get("finetuned", "subloc", "real"))
    assert board.comparable(board.get("probed", "subloc", "real"))
    assert collect(board_root).caveats(collect(board_root).get("finetuned", "subloc", "real")) == []


def test_task_table_marks_cells_and_lists_reasons(board_root):
    board = collect(board_root)
    t = task_table(board, "real")
    cols = [h.label for h in t.columns]
    row = next(r for r in t.rows if r.label.startswith("subloc"))
    cell = dict(zip(cols, row.entries))
    assert MARK_CAVEAT in render.entry_text(cell["limited"])
    assert MARK_CAVEAT not in render.entry_text(cell["good"])
    notes = "\n".join(t.notes)
    for text in ("limited × subloc: --limit 500", "oneseed × subloc: 1 of 3 published seeds",
                 "esm2-650m@random-init × subloc: random-init weights", "preset × subloc: protocol preset"):
        assert text in notes


def test_family_means_and_mrr_use_only_comparable_results(board_root):
    board = collect(board_root)
    fam = family_table(board, "real")
    cols = [h.label for h in fam.columns]
    rows = {r.model: dict(zip(cols, r.entries)) for r in fam.rows}
    assert rows["good"]["function"].stat.mean == pytest.approx(0.5)
    notes = "\n".join(fam.notes)
    unranked = next(n for n in fam.notes if n.startswith("rows left out")).split("): ", 1)[1].split(", ")
    for m in ("limited", "oneseed", "esm2-650m@random-init", "preset", "params"):
        assert m not in rows and m in unranked                   # 0.9 never enters a mean or an MRR
    # "good" ranks first on subloc although others show 0.9 there
    assert rows["good"]["MRR"].stat.mean == pytest.approx(2 / len(board.task_ids(profile="real", core_only=True)))
    # the plugin task's 0.99 never changes the mutation mean
    assert rows["good"]["mutation"].stat.mean == pytest.approx(0.5)
    assert "left out of family means and MRR" in notes and "limited × subloc" in notes
    assert "my-plugin-task" in notes


def test_plugin_tasks_are_additional_and_legend_explains_marks(board_root, tmp_path):
    board = collect(board_root, registry=load_registries(entry_points=False))
    assert not board.tasks["my-plugin-task"].builtin and board.tasks["subloc"].builtin
    t = task_table(board, "real")
    groups = {r.label.split(" (")[0]: r.group for r in t.rows}
    assert groups["my-plugin-task"] == ADDITIONAL and groups["subloc"] == "function"
    assert [r.group for r in t.rows][-1] == ADDITIONAL                 # after every paper task
    rep = build_report(board_root, out_dir=tmp_path / "out", formats=["md", "csv"], figures=False,
                       registry=load_registries(entry_points=False))
    md = rep.files["md"].read_text()
    assert f"{MARK_CAVEAT} measured under a setting not comparable" in md
    assert "random-init weights" in rep.files["csv"].read_text()
    paper = {t.key: t for t in rep.all_tables()}["paper-localization-mutation-real"]
    row = next(r for r in paper.rows if r.model == "limited")
    assert row.entries[0].caveats and MARK_CAVEAT in render.entry_text(row.entries[0])
    assert any("limited × subloc" in n for n in paper.notes)


def test_results_of_different_settings_are_not_merged(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, "m", "subloc", "function", "accuracy", [0.5, 0.5, 0.5])
    write(b, "m", "subloc", "function", "accuracy", [0.9, 0.9, 0.9],
          protocol={"name": "", "preset": "quick"})
    board = collect([a, b])
    assert board.get("m", "subloc", "real").stat().n == 3
    assert any("different preset" in n for n in board.notes)


def test_model_built_without_weights_is_marked_random_init(tmp_path):
    """esm2-tiny and other architectures run without weights record revision 'random-init seed N': their cells are
    marked and kept out of the aggregates even though the name carries no @random-init."""
    from protbench.leaderboard.collect import _cell_from_result

    res = {"schema_version": 1, "kind": "measured", "status": "ok", "profile": "real", "created": "",
           "task": {"id": "binloc", "family": "function", "main_metric": "accuracy"},
           "model": {"name": "esm2-tiny", "revision": "random-init seed 0"},
           "seeds": {s: {"scores": {"test": {"accuracy": 0.7}}} for s in "012"},
           "summary": {"test": {"accuracy": {"mean": 0.7, "std": 0.0, "n": 3}}}}
    cell = _cell_from_result(tmp_path / "r.json", res, "test")
    assert cell.random_init and "random-init weights" in cell.caveats()
    res["model"]["revision"] = "/weights/esm2_t6"
    assert not _cell_from_result(tmp_path / "r.json", res, "test").caveats()
