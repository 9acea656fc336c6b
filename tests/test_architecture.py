"""The layout's promises: lazy registry (no torch for listing), one --param dialect, layering, the result store."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from protbench import results as R
from protbench.cli import main
from protbench.fetch import Fetcher
from protbench.registry import load_registries
from protbench.runner import RunConfig, Runner
from protbench.store import ResultStore

REPO = Path(__file__).resolve().parents[1]


def test_listing_and_help_never_import_torch():
    code = ("import sys, contextlib, io\n"
            "from protbench.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['list', 'tasks']) == 0 and main(['list', 'models']) == 0\n"
            "    assert main(['show', 'shs27k']) == 0\n"
            "    try:\n        main(['run', '--help'])\n    except SystemExit:\n        pass\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    timing = subprocess.run([sys.executable, "-X", "importtime", "-c", "import protbench.cli"],
                            capture_output=True, text=True, timeout=120)
    assert " torch" not in timing.stderr


def test_suite_imports_no_higher_layer():
    """``suite/`` (the harness) never imports tasks, models, protclip or leaderboard code directly."""
    higher = ("protbench.tasks", "protbench.models", "protbench.protclip", "protbench.leaderboard")
    offenders = []
    for path in (REPO / "suite").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.relative_to(REPO)}:{node.lineno} {n}" for n in names if n.startswith(higher)]
    assert offenders == []


def test_unknown_protocol_field_is_a_usage_error_listing_the_fields(tmp_path, capsys):
    args = ["run", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke", "--output-dir",
            str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c")]
    assert main(args + ["--param", "probe.hedas=mlp"]) == 2
    err = capsys.readouterr().err
    assert "probe has no field 'hedas'" in err and "heads: tuple[str, ...] = ('linear', 'mlp')" in err
    assert main(args + ["--param", "hidden=3"]) == 2
    assert "name the protocol" in capsys.readouterr().err
    assert main(args + ["--preset", "nope"]) == 2
    assert not (tmp_path / "r").exists()           # refused before any work


def test_show_lists_every_protocol_config(capsys):
    assert main(["show", "prot2mf-goa"]) == 0
    out = capsys.readouterr().out
    assert "bridge:" in out and "negatives: str = 'batch'" in out and "zero-shot:" in out


def _config(tmp_path, **kw) -> RunConfig:
    fetcher = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=True)
    return RunConfig(model="aac", tasks=[], output_dir=tmp_path / "results", fetcher=fetcher, profile="smoke",
                     quick=True, **kw)


def test_result_is_kept_only_under_the_same_identity(tmp_path):
    reg = load_registries(entry_points=False)
    first = Runner(_config(tmp_path, seeds=[0]), reg).run_task("beta-lactamase")
    assert first.status == "ok"
    res = R.read_result(first.path)
    assert res["identity"]["protocol"]["config"]["hidden"] == 64 and len(res["identity"]["hash"]) == 16
    kept = Runner(_config(tmp_path, seeds=[0]), reg).run_task("beta-lactamase")
    assert kept.status == "kept" and kept.main == first.main
    changed = Runner(_config(tmp_path, seeds=[0], params={"probe.hidden": "32"}), reg).run_task("beta-lactamase")
    assert changed.status == "ok" and "protocol differs" in changed.message
    assert R.read_result(changed.path)["protocol"]["config"]["hidden"] == 32
    more = Runner(_config(tmp_path, seeds=[0, 1], params={"probe.hidden": "32"}), reg).run_task("beta-lactamase")
    assert more.status == "ok" and "seeds differ" in more.message


def test_a_new_protocol_revision_recomputes_stored_results(tmp_path, monkeypatch):
    """A protocol whose code now gives other numbers raises its revision: results and finished seeds of the
    earlier revision are recomputed, not kept; revision 1 stays out of the identity (older hashes hold)."""
    from dataclasses import replace

    from protbench.protocols import probe

    reg = load_registries(entry_points=False)
    first = Runner(_config(tmp_path, seeds=[0]), reg).run_task("beta-lactamase")
    assert "revision" not in R.read_result(first.path)["identity"]["protocol"]
    calls = []
    real = probe.PROTOCOL.run
    monkeypatch.setattr(probe, "PROTOCOL", replace(probe.PROTOCOL, revision=2,
                                                   run=lambda ctx: calls.append(ctx.seed) or real(ctx)))
    again = Runner(_config(tmp_path, seeds=[0]), reg).run_task("beta-lactamase")
    assert again.status == "ok" and "protocol differs" in again.message and calls == [0]
    assert R.read_result(again.path)["identity"]["protocol"]["revision"] == 2
    assert Runner(_config(tmp_path, seeds=[0]), reg).run_task("beta-lactamase").status == "kept"


def test_partial_seed_of_another_identity_is_not_reused(tmp_path, monkeypatch):
    reg = load_registries(entry_points=False)
    store = ResultStore(tmp_path / "results", "aac", "smoke")
    calls = []
    stop = {"at": 2}
    import protbench.protocols.probe as probe

    real = probe.PROTOCOL.run

    def counting(ctx):
        calls.append((ctx.seed, ctx.config.hidden))
        if len(calls) == stop["at"]:
            raise RuntimeError("killed")       # a KeyboardInterrupt here would stop pytest itself
        return real(ctx)

    from dataclasses import replace

    monkeypatch.setattr(probe, "PROTOCOL", replace(probe.PROTOCOL, run=counting))
    assert Runner(_config(tmp_path, seeds=[0, 1]), reg).run_task("beta-lactamase").status == "failed"
    assert (store.partial_dir("beta-lactamase") / "seed0.json").is_file()
    assert (store.partial_dir("beta-lactamase") / "seed0.npz").is_file()     # predictions kept with the seed
    calls.clear()
    stop["at"] = None
    out = Runner(_config(tmp_path, seeds=[0, 1], params={"probe.hidden": "32"}), reg).run_task("beta-lactamase")
    assert out.status == "ok" and [c[0] for c in calls] == [0, 1]          # seed 0 recomputed: other config


def test_corrupt_partial_is_reported_and_recomputed_and_predictions_cover_every_seed(tmp_path, caplog):
    reg = load_registries(entry_points=False)
    store = ResultStore(tmp_path / "results", "aac", "smoke")
    cfg = _config(tmp_path, seeds=[0, 1])
    clean = Runner(_config(tmp_path / "clean", seeds=[0, 1]), reg).run_task("beta-lactamase")
    good = R.read_result(clean.path)
    # a kill while writing seed 1: seed 0 finished, seed 1's file is empty
    d = store.partial_dir("beta-lactamase")
    import protbench.stages as S

    saved: dict = {}
    real_save = S.ResultStore.save_seed

    def save_then_die(self, task, seed, identity_hash, entry, predictions, origin=None):
        real_save(self, task, seed, identity_hash, entry, predictions, origin)
        saved[seed] = identity_hash
        if seed == 1:
            (self.partial_dir(task) / "seed1.json").write_text("")      # torn write
            raise KeyboardInterrupt   # a kill (SystemExit from plugin code is recorded as a failed task)

    S.ResultStore.save_seed = save_then_die
    try:
        with pytest.raises(KeyboardInterrupt):
            Runner(cfg, reg).run_task("beta-lactamase")
    finally:
        S.ResultStore.save_seed = real_save
    assert (d / "seed1.json").read_text() == ""
    with caplog.at_level("WARNING", logger="protbench"):
        again = Runner(cfg, reg).run_task("beta-lactamase")
    assert again.status == "ok"
    assert "seed1.json: unreadable partial result" in caplog.text
    res = R.read_result(again.path)
    for seed in ("0", "1"):                                                # same numbers, seed 0 from disk
        assert res["seeds"][seed]["scores"] == good["seeds"][seed]["scores"]
        assert res["seeds"][seed]["ci"] == good["seeds"][seed]["ci"]
    from protbench.store import load_arrays

    preds = load_arrays(again.path.with_name("beta-lactamase.predictions.npz"))
    assert set(preds) == {"0", "1"}


def test_a_seed_finished_on_another_platform_is_named_in_the_result(tmp_path, monkeypatch):
    """A killed run resumed elsewhere takes over its finished seeds; the result says which seeds ran where, and
    a resume on the same machine and code adds nothing."""
    import protbench.protocols.probe as probe
    from dataclasses import replace

    reg = load_registries(entry_points=False)
    store = ResultStore(tmp_path / "results", "aac", "smoke")
    real = probe.PROTOCOL.run

    def die_at_seed_1(ctx):
        if ctx.seed == 1:
            raise RuntimeError("killed")
        return real(ctx)

    def kill_after_seed_0():
        with monkeypatch.context() as m:
            m.setattr(probe, "PROTOCOL", replace(probe.PROTOCOL, run=die_at_seed_1))
            assert Runner(_config(tmp_path, seeds=[0, 1]), reg).run_task("beta-lactamase").status == "failed"
        return store.partial_dir("beta-lactamase") / "seed0.json"

    partial = kill_after_seed_0()
    here = json.loads(partial.read_text())["origin"]
    assert here["git"] == R.git_revision() and here["numeric_platform"] == R.numeric_platform()
    same = Runner(_config(tmp_path, seeds=[0, 1]), reg).run_task("beta-lactamase")
    assert same.status == "ok" and "seeds_run_elsewhere" not in R.read_result(same.path)

    for origin, expected in (
            ({**here, "numeric_platform": {**here["numeric_platform"], "cpu": {"vendor_id": "OtherCPU"}}}, None),
            ({**here, "git": "0" * 40}, None),
            ({**here, "torch_threads": (here["torch_threads"] or 1) + 7}, None),
            ({**here, "numeric_platform": 5}, None),      # malformed: named, not a crash
            (None, "not recorded (a partial written by an older protbench)")):
        store.result_path("beta-lactamase").unlink()
        partial = kill_after_seed_0()
        saved = json.loads(partial.read_text())
        partial.write_text(json.dumps({**saved, "origin": origin}))
        res = R.read_result(Runner(_config(tmp_path, seeds=[0, 1]), reg).run_task("beta-lactamase").path)
        assert res["seeds_run_elsewhere"] == {"0": expected or origin}, origin


def test_output_dir_that_is_a_file_fails_before_any_work(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    code = main(["run", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke", "--output-dir",
                 str(target), "--cache-dir", str(tmp_path / "c")])
    assert code == 1 and "is a file, not a folder" in capsys.readouterr().err
    assert not (tmp_path / "c" / "embeddings").exists()


@pytest.mark.realdata
def test_embed_uses_the_same_source_selection_as_run(tmp_path, mirror, capsys):
    """binloc is available as converted CSVs only: ``embed`` must pick them like ``run`` does."""
    code = main(["embed", "--model", "aac", "--tasks", "binloc", "--offline", "--mirror", str(mirror),
                 "--cache-dir", str(tmp_path / "c")])
    assert code == 0
    assert "distinct sequences, embedded" in capsys.readouterr().out


def test_results_identity_is_json(tmp_path):
    reg = load_registries(entry_points=False)
    out = Runner(_config(tmp_path, seeds=[0]), reg).run_task("simsem-mf")
    res = json.loads(out.path.read_text())
    assert res["identity"]["embedding"]["policy"] == "truncate" and res["identity"]["dataset"]


def test_more_seeds_reuse_the_stored_ones_and_say_so(tmp_path, monkeypatch):
    """Asking for more seeds computes only the new ones (the stored result's seeds, with their predictions, are
    the same identity's); the result records which seeds were reused and from when. A changed identity, or a
    stored result without predictions, recomputes every seed."""
    from dataclasses import replace

    import protbench.protocols.probe as probe

    reg = load_registries(entry_points=False)
    calls = []
    real = probe.PROTOCOL.run
    monkeypatch.setattr(probe, "PROTOCOL", replace(probe.PROTOCOL, run=lambda ctx: calls.append(ctx.seed) or real(ctx)))
    first = Runner(_config(tmp_path, seeds=[0, 1]), reg).run_task("beta-lactamase")
    assert calls == [0, 1]
    old = R.read_result(first.path)
    calls.clear()
    more = Runner(_config(tmp_path, seeds=[0, 1, 2]), reg).run_task("beta-lactamase")
    assert more.status == "ok" and "seeds differ" in more.message and calls == [2]
    new = R.read_result(more.path)
    assert new["seeds"]["0"] == old["seeds"]["0"] and new["seeds"]["1"] == old["seeds"]["1"]
    assert new["reused_seeds"]["seeds"] == [0, 1] and new["reused_seeds"]["created"] == old["created"]
    # the same three seeds computed from scratch give the same result (the interval of the mean included)
    calls.clear()
    fresh = Runner(_config(tmp_path / "b", seeds=[0, 1, 2]), reg).run_task("beta-lactamase")
    assert calls == [0, 1, 2]
    assert R.read_result(fresh.path)["summary"] == new["summary"]
    # fewer seeds: a subset of the stored ones, nothing computed
    calls.clear()
    fewer = Runner(_config(tmp_path, seeds=[2]), reg).run_task("beta-lactamase")
    assert calls == [] and R.read_result(fewer.path)["seeds"]["2"] == new["seeds"]["2"]
    # another protocol configuration: everything recomputed
    calls.clear()
    Runner(_config(tmp_path, seeds=[2, 3], params={"probe.hidden": "32"}), reg).run_task("beta-lactamase")
    assert calls == [2, 3]
    # a stored result without its predictions file: every seed recomputed
    store = ResultStore(tmp_path / "results", "aac", "smoke")
    store.predictions_path("beta-lactamase").unlink()
    calls.clear()
    last = Runner(_config(tmp_path, seeds=[2, 3, 4], params={"probe.hidden": "32"}), reg).run_task("beta-lactamase")
    assert calls == [2, 3, 4] and "reused_seeds" not in R.read_result(last.path)
