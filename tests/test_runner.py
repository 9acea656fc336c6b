"""Runner and results: slice end to end, reproducibility, resume, error isolation, skips, schema round trip."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from protbench import results as R
from protbench.cli import main
from protbench.fetch import Fetcher
from protbench.registry import load_registries
from protbench.runner import RunConfig, Runner
from protbench.stages import SplitSizeError, check_split_sizes
from protbench.store import load_arrays

PLUGIN = '''
import numpy as np
from dataclasses import dataclass
from pathlib import Path
from protbench import (TaskSpec, Family, DataSource, ModelMeta, register_task, register_model, Capability,
                       ProtocolSpec, register_protocol)
from protbench.spec import TaskData, Record, SeedResult

class Base:
    def load(self, files):
        text = Path(files["toy.tsv"]).read_text().split()
        recs = [Record(str(i), s, float(len(s))) for i, s in enumerate(text)]
        return TaskData(splits={"train": recs[:4], "valid": recs[4:6], "test": recs[6:]})
    def write_smoke(self, folder):
        p = Path(folder) / "toy.tsv"
        p.write_text("ACD AAAA KLM MNPQR ST VWY ACDEF GHIK")
        return {"toy.tsv": p}

@dataclass(frozen=True)
class NoConfig:
    @classmethod
    def quick(cls):
        return cls()

def good(ctx):
    x = ctx.emb.proteins([r.sequence for r in ctx.data.splits["test"]])
    return SeedResult(scores={"test": {"spearman": float(x[:, 0].sum() + ctx.seed)}})

def broken(ctx):
    raise RuntimeError("this task is broken")

INTERRUPT = {"at_seed": None}

def interruptible(ctx):
    if INTERRUPT["at_seed"] == ctx.seed:
        raise KeyboardInterrupt
    return SeedResult(scores={"test": {"spearman": float(ctx.seed)}})

for name, fn in (("toy-good", good), ("toy-broken", broken), ("toy-interrupt", interruptible)):
    register_protocol(ProtocolSpec(name, NoConfig, fn, frozenset({Capability.PROTEIN})))

def spec(tid, protocol, **kw):
    return TaskSpec(id=tid, family=Family.MUTATION, description="toy", main_metric="spearman",
                    metrics=("spearman",), protocol=protocol,
                    sources=(DataSource("toy.tsv", "https://example.org/toy.tsv", md5="0" * 32),), **kw)

@register_task
class Good(Base):
    spec = spec("toy-good", "toy-good")

@register_task
class Broken(Base):
    spec = spec("toy-broken", "toy-broken")

@register_task
class NeedsText(Base):
    spec = spec("toy-text", "toy-broken", requires=frozenset({Capability.TEXT}))

@register_task
class Interruptible(Base):
    spec = spec("toy-interrupt", "toy-interrupt")
'''


@pytest.fixture
def plugin(tmp_path) -> Path:
    p = tmp_path / "toyplugin.py"
    p.write_text(PLUGIN)
    return p


def run_config(tmp_path, model="aac", **kw) -> RunConfig:
    fetcher = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=True)
    return RunConfig(model=model, tasks=[], output_dir=tmp_path / "results", fetcher=fetcher,
                     profile=kw.pop("profile", "smoke"), quick=True, **kw)


def test_failures_are_isolated_and_recorded(tmp_path, plugin):
    reg = load_registries(include=[plugin], entry_points=False)
    runner = Runner(run_config(tmp_path, seeds=[0, 1]), reg)
    outcomes = {o.task: o for o in runner.run(["toy-broken", "toy-text", "toy-good"])}
    assert outcomes["toy-broken"].status == "failed" and "this task is broken" in outcomes["toy-broken"].message
    assert outcomes["toy-text"].status == "skipped" and "text" in outcomes["toy-text"].message
    assert outcomes["toy-good"].status == "ok"
    failed = R.read_result(outcomes["toy-broken"].path)
    assert failed["status"] == "failed" and "RuntimeError" in failed["error"]
    skipped = R.read_result(outcomes["toy-text"].path)
    assert skipped["status"] == "skipped" and "lacks capabilities ['text']" in skipped["reason"]
    good = R.read_result(outcomes["toy-good"].path)
    assert set(good["seeds"]) == {"0", "1"} and good["summary"]["test"]["spearman"]["n"] == 2
    assert good["profile"] == "smoke" and outcomes["toy-good"].path.parent.name == "smoke"


def test_cli_exit_code_reports_failures(tmp_path, plugin, capsys):
    args = ["run", "--model", "aac", "--profile", "smoke", "--include", str(plugin), "--output-dir",
            str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c")]
    assert main(args + ["--tasks", "toy-good"]) == 0
    assert main(args + ["--tasks", "toy-good", "toy-broken"]) == 1
    assert main(args + ["--tasks", "toy-goood"]) == 2
    assert "did you mean 'toy-good'" in capsys.readouterr().err


def test_interrupt_keeps_finished_seeds_and_rerun_resumes(tmp_path, plugin):
    reg = load_registries(include=[plugin], entry_points=False)
    mod = __import__("sys").modules[type(reg.tasks.get("toy-interrupt")).__module__]
    assert hasattr(mod, "INTERRUPT")
    mod.INTERRUPT["at_seed"] = 2
    cfg = run_config(tmp_path, seeds=[0, 1, 2])
    with pytest.raises(KeyboardInterrupt):
        Runner(cfg, reg).run_task("toy-interrupt")
    partial = sorted(p.name for p in (tmp_path / "results" / "aac" / "smoke" / ".partial" / "toy-interrupt").iterdir())
    assert partial == ["seed0.json", "seed1.json"]   # the toy protocol stores no predictions
    mod.INTERRUPT["at_seed"] = 0    # seed 0 would now fail: it must come from disk, not be recomputed
    out = Runner(cfg, reg).run_task("toy-interrupt")
    assert out.status == "ok", out.message
    res = R.read_result(out.path)
    assert [res["seeds"][s]["scores"]["test"]["spearman"] for s in ("0", "1", "2")] == [0.0, 1.0, 2.0]
    assert not (tmp_path / "results" / "aac" / "smoke" / ".partial" / "toy-interrupt").exists()
    # only-missing keeps the finished result
    assert Runner(cfg, reg).run_task("toy-interrupt").status == "kept"


def test_beta_lactamase_smoke_end_to_end_reproducible_and_cached(tmp_path):
    reg = load_registries(entry_points=False)
    cfg = run_config(tmp_path, model="esm2-tiny", seeds=[0])
    first = Runner(cfg, reg).run_task("beta-lactamase")
    assert first.status == "ok", first.message
    r1 = R.read_result(first.path)
    assert r1["embedding"]["forward_batches"] > 0
    cfg2 = run_config(tmp_path, model="esm2-tiny", seeds=[0], overwrite="always")
    runner2 = Runner(cfg2, reg)
    second = runner2.run_task("beta-lactamase")
    r2 = R.read_result(second.path)
    assert runner2.embeddings.stats.forward_batches == 0 and runner2.embeddings.stats.embedded == 0
    n = r1["embedding"]["sequences"]       # what the embed time covered: computed on the first run, cached after
    assert n > 0 and (r1["embedding"]["embedded"], r1["embedding"]["from_cache"]) == (n, 0)
    assert (r2["embedding"]["embedded"], r2["embedding"]["from_cache"]) == (0, n)
    assert r1["seeds"]["0"]["scores"] == r2["seeds"]["0"]["scores"], "same seed, data and model: identical scores"
    assert r1["dataset"]["fingerprint"] == r2["dataset"]["fingerprint"]
    preds = load_arrays(first.path.with_name("beta-lactamase.predictions.npz"))
    assert preds["0"]["test.y_true"].shape == preds["0"]["test.y_score"].shape


def test_real_beta_lactamase_from_mirror(tmp_path, mirror):
    reg = load_registries(entry_points=False)
    fetcher = Fetcher(cache_dir=tmp_path / "cache", mirrors=[mirror], offline=True)
    cfg = RunConfig(model="aac", tasks=[], output_dir=tmp_path / "results", fetcher=fetcher, quick=True)
    out = Runner(cfg, reg).run_task("beta-lactamase")
    assert out.status == "ok", out.message
    res = R.read_result(out.path)
    assert res["dataset"]["split_sizes"] == {"train": 4158, "valid": 520, "test": 520}
    assert res["profile"] == "real" and res["summary"]["test"]["spearman"]["mean"] > 0.2
    leak = res["dataset"]["stats"]["leakage"]           # recorded with every real-data result
    assert leak["reference"] == "train" and set(leak["splits"]) == {"valid", "test"}
    assert leak["splits"]["test"]["n"] == 520 and leak["splits"]["test"]["identity"] is None   # default: exact
    with pytest.raises(ValueError, match="--leakage"):
        RunConfig(model="aac", leakage="yes")


def test_threads_are_set_for_the_run_recorded_and_restored(tmp_path):
    import torch

    reg = load_registries(entry_points=False)
    before = torch.get_num_threads()
    cfg = run_config(tmp_path, model="aac", seeds=[0])
    cfg.threads = 1
    out = Runner(cfg, reg).run(["beta-lactamase"])[0]
    assert out.status == "ok", out.message
    env = R.read_result(out.path)["environment"]
    assert env["torch_threads"] == 1
    assert env["blas_threads"] and set(env["blas_threads"].values()) == {1}   # numpy's BLAS bounded too
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="--threads"):
        RunConfig(model="aac", threads=0)


def test_split_size_check_names_the_difference():
    from protbench.spec import Record, TaskData

    reg = load_registries(entry_points=False)
    spec = reg.tasks.get("beta-lactamase").spec
    data = TaskData(splits={"train": [Record("a", "A", 1.0)], "valid": [], "test": []})
    with pytest.raises(SplitSizeError, match="train: expected 4158, parsed 1"):
        check_split_sizes(spec, data)


def test_result_schema_roundtrip_and_rejection(tmp_path):
    good = {"schema_version": 1, "kind": "measured", "status": "ok", "created": R.now_iso(),
            "task": {"id": "t", "family": "mutation", "main_metric": "spearman"}, "model": {"name": "m"},
            "seeds": {"0": {"scores": {"test": {"spearman": 0.5}}}},
            "summary": R.summarize({"0": {"scores": {"test": {"spearman": 0.5}}}}),
            "timings_s": {"embed": np.float64(1.5)}}
    from protbench.store import ResultStore

    store = ResultStore(tmp_path, "m")
    path = store.write_result("t", good)
    back = R.read_result(path)
    assert back["summary"]["test"]["spearman"] == {"mean": 0.5, "std": None, "n": 1}   # one seed: no spread
    assert back["timings_s"]["embed"] == 1.5
    bad = dict(good, status="ok")
    del bad["summary"]
    with pytest.raises(R.ResultError, match="summary"):
        store.write_result("bad", bad)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(R.ResultError, match="broken.json: not valid JSON"):
        R.read_result(tmp_path / "broken.json")
    (tmp_path / "future.json").write_text(json.dumps(dict(good, schema_version=99)))
    with pytest.raises(R.ResultError, match="schema version 99"):
        R.read_result(tmp_path / "future.json")


def test_summarize_mean_and_sample_std():
    seeds = {str(i): {"scores": {"test": {"m": v}}} for i, v in enumerate([1.0, 2.0, 4.0])}
    s = R.summarize(seeds)["test"]["m"]
    assert s["mean"] == pytest.approx(7 / 3) and s["std"] == pytest.approx(np.std([1, 2, 4], ddof=1))


def test_list_and_show(capsys):
    assert main(["list", "tasks"]) == 0
    assert "beta-lactamase" in capsys.readouterr().out
    assert main(["list", "models"]) == 0
    assert "esm2-tiny" in capsys.readouterr().out
    assert main(["show", "beta-lactamase"]) == 0
    out = capsys.readouterr().out
    assert "65766a3969cc0e94b101d4063d204ba4" in out and "Gray et al." in out
