"""Leaderboard tables on a fixed, hand-written results folder (tests/fixtures/results), checked against golden files.

Regenerate the golden files after an intended change with
``PROTBENCH_UPDATE_GOLDEN=1 pytest tests/test_leaderboard_tables.py`` and review the diff.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from protbench.leaderboard import render
from protbench.leaderboard.collect import collect
from protbench.leaderboard.layouts import PAPER_LAYOUTS
from protbench.leaderboard.report import build_report
from protbench.spec import Family, TaskSpec

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "results"
GOLDEN = HERE / "golden"
UPDATE = os.environ.get("PROTBENCH_UPDATE_GOLDEN") == "1"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"golden file {path} missing; run with PROTBENCH_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.fixture(scope="module")
def report():
    return build_report(FIXTURE, out_dir=None, reference="aac", n_boot=200)


TABLE_KEYS = ["families-real", "tasks-real", "families-smoke", "tasks-smoke"] + \
    [f"{lay.key}-{p}" for p in ("real", "smoke") for lay in PAPER_LAYOUTS]


@pytest.mark.parametrize("key", TABLE_KEYS)
def test_markdown_tables_match_golden(report, key):
    table = {t.key: t for t in report.all_tables()}[key]
    check_golden(f"{key}.md", render.markdown(table, ci=True))


def test_latex_and_csv_match_golden(report):
    check_golden("leaderboard.tex", "\n".join(render.latex(t) for t in report.all_tables()))
    check_golden("leaderboard.csv", render.to_csv(report.all_tables()))


def test_every_paper_layout_and_profile_is_built(report):
    keys = {t.key for t in report.all_tables()}
    assert set(TABLE_KEYS) <= keys
    assert [t.profile for t in report.all_tables()][:1] == ["real"]   # real data first, smoke apart


def entries(report, key):
    t = {t.key: t for t in report.all_tables()}[key]
    out = {}
    for r in t.rows:
        for h, e in zip(t.columns, r.entries):
            if key.startswith("tasks-"):                 # tasks as rows: key (model column, task id)
                out[(h.label, e.task)] = e
            else:
                out.setdefault((r.label, h.label), e)    # first column of a repeated header (EC before GO)
    return out


def test_seeds_are_aggregated_as_mean_and_sample_std(report):
    e = entries(report, "tasks-real")[("aac (ref)", "subloc")]
    assert e.stat.mean == pytest.approx(0.42)
    assert e.stat.std == pytest.approx(0.02)   # sample std of 0.40, 0.42, 0.44
    assert e.stat.n == 3
    assert e.stat.ci == (0.39, 0.45)           # the result's own CI is kept


def test_reported_cells_are_marked_and_never_enter_measured_means(report):
    es = entries(report, "tasks-real")
    rep = es[("protclip †", "ec")]
    assert rep.kind == "reported" and render.MARK_REPORTED in render.entry_text(rep)
    fam = entries(report, "families-real")
    # esm2-650m measured function mean uses its measured tasks only: (0.55 + 0.81 + 0.86) / 3
    assert fam[("esm2-650m", "function")].stat.mean == pytest.approx((0.55 + 0.81 + 0.86) / 3)
    assert fam[("esm2-650m", "function")].coverage == (3, 3)
    # the reported row is aggregated on its own and says how little it covers
    assert fam[("esm2-650m †", "function")].stat.mean == pytest.approx(0.874)
    assert fam[("esm2-650m †", "function")].coverage == (1, 3)


def test_measured_minus_reported_only_where_the_measured_run_used_the_papers_protocol(report, tmp_path):
    # the fixture's esm2-650m × ec: measured with the task's default protocol, published after ProtST's
    # fine-tuning, which no protbench preset runs: no Δ (a difference of protocols, not of models)
    e = entries(report, "tasks-real")[("esm2-650m", "ec")]
    assert e.stat.mean == pytest.approx(0.86) and e.delta is None and "Δ" not in render.entry_text(e)
    # the same numbers where the reported file names the preset that runs its paper's protocol and the
    # measured run used it
    root = tmp_path / "r"
    shutil.copytree(FIXTURE, root)
    for path, edit in ((root / "reported" / "esm2-650m" / "ec.json", lambda r: r["source"].update(preset="peer")),
                       (root / "esm2-650m" / "ec.json",
                        lambda r: r.update(protocol={"name": "probe", "preset": "peer"}))):
        res = json.loads(path.read_text())
        edit(res)
        path.write_text(json.dumps(res))
    same = build_report(root, out_dir=None, reference="aac", n_boot=20)
    e = entries(same, "tasks-real")[("esm2-650m", "ec")]
    assert e.delta == pytest.approx(0.86 - 0.874)
    assert "Δ -0.014" in render.entry_text(e)
    f = entries(same, "paper-function-real")
    assert f[("esm2-650m", "Fmax")].delta == pytest.approx(-0.014)
    assert f[("esm2-650m", "AUPR")].delta is None    # no reported AUPR for ESM-2


def test_failed_skipped_missing_and_partial_cells_say_why(report):
    es = entries(report, "tasks-real")
    assert es[("aac (ref)", "ec")].status == "failed"
    assert es[("aac (ref)", "prot2bp")].status == "skipped"
    assert es[("esm2-650m", "shs27k")].status == "missing"
    t = {t.key: t for t in report.all_tables()}["tasks-real"]
    notes = "\n".join(t.notes)
    assert "aac × ec: failed: FetchError" in notes
    assert "lacks capabilities ['text']" in notes
    assert "esm2-650m: no result for go-mf-partial, shs27k" in notes
    fn = {t.key: t for t in report.all_tables()}["paper-function-real"]
    assert any("go-mf-partial: variant" in n for n in fn.notes)
    e = entries(report, "paper-function-real")[("aac (ref)", "Fmax")]
    assert e.status == "failed"                       # ec column: aac failed
    t = {t.key: t for t in report.all_tables()}["paper-function-real"]
    gomf = [e for r in t.rows if r.label == "aac (ref)" for e in r.entries if e.partial]
    assert {e.metric for e in gomf} == {"fmax", "aupr"}   # the GO-MF columns come from the partial variant
    layout = {t.key: t for t in report.all_tables()}["paper-localization-mutation-real"]
    assert layout.notes[0] == "no results at all for: AAV, Thermo, Flu, Sta"


def test_overall_and_mean_reciprocal_rank(report):
    fam = entries(report, "families-real")
    # aac: function (0.42 + 0.70)/2, mutation 0.32, similarity 0.12, ppi 0.55 -> 4 of 5 families
    aac_fams = [(0.42 + 0.70) / 2, 0.32, 0.12, 0.55]
    assert fam[("aac", "overall")].stat.mean == pytest.approx(sum(aac_fams) / 4)
    assert fam[("aac", "overall")].coverage == (4, 5)
    # ranks among measured rows over the 7 full tasks: aac wins shs27k only, is 2nd on 4, absent on 2
    assert fam[("aac", "MRR")].stat.mean == pytest.approx((1 + 4 * 0.5) / 7)
    assert fam[("esm2-650m", "MRR")].stat.mean == pytest.approx((4 * 1 + 1 + 1) / 7)


def test_smoke_results_are_marked_and_kept_apart(report):
    smoke = [t for t in report.all_tables() if t.profile == "smoke"]
    assert smoke and all("SMOKE PROFILE" in t.caption for t in smoke)
    # the smoke tables hold the smoke numbers only (aac beta-lactamase 0.63, not the real 0.32)
    es = entries(report, "tasks-smoke")
    assert es[("aac (ref)", "beta-lactamase")].stat.mean == pytest.approx(0.63)
    assert not any(r.kind == "reported" for t in smoke for r in t.rows)
    real = entries(report, "tasks-real")
    assert real[("aac (ref)", "beta-lactamase")].stat.mean == pytest.approx(0.32)


def test_strings_from_results_are_escaped_in_every_format(report):
    smoke = [t for t in report.all_tables() if t.profile == "smoke"]
    md = "\n".join(render.markdown(t) for t in smoke)
    tex = "\n".join(render.latex(t) for t in smoke)
    assert r"\<script\>" in md and "<script>" not in md and r"\$x\_1\$" in md
    assert r"\textless{}script\textgreater{}" in tex and r"\$x\_1\$ \& 100\%" in tex
    assert render.csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and render.csv_safe("-0.5") == "-0.5"
    assert render.plain("a\x1b[31mred") == "a[31mred"


def test_missing_registered_tasks_are_listed(tmp_path):
    spec = TaskSpec(id="stability", family=Family.MUTATION, description="x", main_metric="spearman",
                    metrics=("spearman",), protocol="probe")
    registry = SimpleNamespace(tasks={"stability": SimpleNamespace(spec=spec)})
    registry.tasks = type("T", (dict,), {"get": dict.__getitem__})(registry.tasks)
    rep = build_report(FIXTURE, out_dir=None, registry=registry, n_boot=50)
    t = {t.key: t for t in rep.all_tables()}["tasks-real"]
    assert "stability (spearman)" in [r.label for r in t.rows]
    assert any("no result for" in n and "stability" in n for n in t.notes)
    # the registered task also appears (as missing) in the smoke table
    assert "stability (spearman)" in [r.label for r in {t.key: t for t in rep.all_tables()}["tasks-smoke"].rows]


def test_invalid_and_hidden_files_do_not_stop_rendering(tmp_path):
    root = tmp_path / "results"
    shutil.copytree(FIXTURE, root)
    (root / "aac" / "broken.json").write_text("{not json")
    (root / "aac" / "bad-schema.json").write_text(json.dumps({"schema_version": 1, "kind": "measured"}))
    partial = root / "aac" / ".partial" / "subloc"
    partial.mkdir(parents=True)
    (partial / "seed0.json").write_text(json.dumps({"dataset": "x", "result": {}}))
    rep = build_report(root, out_dir=tmp_path / "out", n_boot=50, figures=False)
    assert len(rep.board.problems) == 2
    assert any("broken.json: not valid JSON" in p for p in rep.board.problems)
    assert any("bad-schema.json" in p and "required" in p for p in rep.board.problems)
    md = (tmp_path / "out" / "leaderboard.md").read_text()
    assert "broken.json" in md and "## Notes" in md
    assert set(rep.files) == {"md", "latex", "csv", "html"}


def test_collect_merges_seeds_across_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root, seeds, created in ((a, {"0": 0.5, "1": 0.6}, "2026-01-01"), (b, {"2": 0.7}, "2026-01-02")):
        d = json.loads((FIXTURE / "aac" / "binloc.json").read_text())
        d["seeds"] = {s: {"scores": {"test": {"accuracy": v}}} for s, v in seeds.items()}
        d["summary"] = {"test": {"accuracy": {"mean": sum(seeds.values()) / len(seeds), "n": len(seeds)}}}
        d["created"] = created
        d["dataset"] = {"fingerprint": "same"}
        (root / "aac").mkdir(parents=True)
        (root / "aac" / "binloc.json").write_text(json.dumps(d))
    board = collect([a, b])
    st = board.get("aac", "binloc", "real").stat()
    assert st.mean == pytest.approx(0.6) and st.std == pytest.approx(0.1) and st.n == 3
    # different test data: not merged, the newest kept, and the board says so
    d = json.loads((b / "aac" / "binloc.json").read_text())
    d["dataset"] = {"fingerprint": "other"}
    (b / "aac" / "binloc.json").write_text(json.dumps(d))
    board = collect([a, b])
    assert board.get("aac", "binloc", "real").stat().mean == pytest.approx(0.7)
    assert any("different test data" in n for n in board.notes)
    # same data, other protocol: not merged either
    d.update(dataset={"fingerprint": "same"}, protocol={"name": "finetune"})
    (b / "aac" / "binloc.json").write_text(json.dumps(d))
    board = collect([a, b])
    assert board.get("aac", "binloc", "real").stat().n == 1
    assert any("different protocols (? vs finetune)" in n for n in board.notes)


def test_a_result_with_seeds_run_elsewhere_is_named_in_the_notes(tmp_path):
    d = json.loads((FIXTURE / "aac" / "binloc.json").read_text())
    (tmp_path / "aac").mkdir()
    (tmp_path / "aac" / "binloc.json").write_text(json.dumps(d))
    assert not any("seeds_run_elsewhere" in n for n in collect([tmp_path]).notes)
    d["seeds_run_elsewhere"] = {"1": {"git": "0" * 40}, "0": "not recorded"}
    (tmp_path / "aac" / "binloc.json").write_text(json.dumps(d))
    notes = [n for n in collect([tmp_path]).notes if "seeds_run_elsewhere" in n]
    assert len(notes) == 1 and "binloc.json: seeds 0, 1 ran at another revision" in notes[0]


def test_cli_writes_all_formats(tmp_path, capsys):
    from protbench.cli import main

    rc = main(["leaderboard", str(FIXTURE), "--out", str(tmp_path), "--no-registry", "--bootstrap", "50",
               "--no-figures"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "Family and overall scores (real data)" in out and "SMOKE PROFILE" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leaderboard.csv", "leaderboard.html", "leaderboard.md",
                                                           "leaderboard.tex"]


def test_derived_tasks_are_told_apart_from_the_benchmarks():
    from protbench.leaderboard.collect import is_derived

    assert not is_derived("shs27k") and not is_derived("my-plugin-task")
    assert is_derived("shs27k-dfs") and is_derived("simsem-mf-human") and is_derived("prot2bp-goa")
    assert is_derived("ec", variant="partial: test chains only")


def test_latex_tables_are_well_formed_booktabs_and_per_family(tmp_path):
    """Every tabular: booktabs rules, each row with as many cells as its column spec; the per-task table comes as
    one table per family holding only the models with a result there."""
    import re

    rep = build_report(FIXTURE, out_dir=tmp_path, formats=["latex"], n_boot=50, reference="aac")
    tex = rep.files["latex"].read_text()
    assert tex.count(r"\begin{table}") == tex.count(r"\end{table}") > 0
    blocks = re.findall(r"\\begin\{tabular\}\{(lc*)\}(.*?)\\end\{tabular\}", tex, flags=re.S)
    assert len(blocks) >= 5
    for block in blocks:
        spec, body = block
        assert r"\toprule" in body and r"\midrule" in body and r"\bottomrule" in body
        for line in body.splitlines():
            if line.endswith(r"\\") and r"\multicolumn" not in line:
                assert line.count(" & ") == len(spec) - 1, line
    labels = re.findall(r"\\label\{tab:(tasks-real-[a-z-]+)\}", tex)
    assert "tasks-real-function" in labels and "tasks-real-mutation" in labels
    mutation = tex[tex.index("tab:tasks-real-mutation"):]
    mutation = mutation[:mutation.index(r"\end{table}")]
    assert "protclip" not in mutation          # no column of a model without results in that family
