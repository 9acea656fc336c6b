"""``--shard I/N``: processes of a job array fill one result store; the result equals an unsharded run."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from protbench.stages import shard_seeds


def test_plan_deals_every_task_seed_pair_once():
    tasks, seeds = ["a", "b", "c"], [0, 1, 2]
    plans = [{t: shard_seeds(tasks, seeds, t, (i, 2)) for t in tasks} for i in range(2)]
    pairs = sorted((t, s) for plan in plans for t, ss in plan.items() for s in ss)
    assert pairs == sorted((t, s) for t in tasks for s in seeds)
    assert abs(sum(len(v) for v in plans[0].values()) - sum(len(v) for v in plans[1].values())) <= 1


def test_two_shards_in_parallel_give_the_unsharded_results(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    base = [sys.executable, "-m", "protbench.cli", "run", "--model", "aac", "--tasks", "beta-lactamase", "binloc",
            "--profile", "smoke", "--seeds", "0", "1", "2", "--cache-dir", str(tmp_path / "cache")]
    shards = [subprocess.Popen(base + ["--output-dir", str(tmp_path / "sharded"), "--shard", f"{i}/2"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outs = [p.communicate(timeout=600) for p in shards]
    assert all(p.returncode == 0 for p in shards), outs
    # a final unsharded pass assembles anything left and recomputes nothing
    again = subprocess.run(base + ["--output-dir", str(tmp_path / "sharded")], env=env, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count(": kept") == 2, again.stderr          # the shards wrote both results themselves
    single = subprocess.run(base + ["--output-dir", str(tmp_path / "single")], env=env, capture_output=True,
                            text=True, timeout=600)
    assert single.returncode == 0, single.stderr
    for task in ("beta-lactamase", "binloc"):
        a = json.loads((tmp_path / "sharded" / "aac" / "smoke" / f"{task}.json").read_text())
        b = json.loads((tmp_path / "single" / "aac" / "smoke" / f"{task}.json").read_text())
        assert list(a["seeds"]) == ["0", "1", "2"]
        assert {s: v["scores"] for s, v in a["seeds"].items()} == {s: v["scores"] for s, v in b["seeds"].items()}
        assert a["summary"] == b["summary"] and a["identity"]["hash"] == b["identity"]["hash"]
        assert "seeds_run_elsewhere" not in a      # the other shard's seeds ran on this machine, at this revision
        assert (tmp_path / "sharded" / "aac" / "smoke" / f"{task}.predictions.npz").is_file()


def test_worker_argv_drops_jobs_and_adds_threads():
    from protbench.commands.run import worker_argv

    cmd = worker_argv(["-q", "run", "--model", "aac", "--jobs", "2", "--tasks", "x", "--jobs=3"], 1)
    assert cmd[1:3] == ["-m", "protbench.cli"]
    assert cmd[3:] == ["-q", "run", "--model", "aac", "--tasks", "x", "--threads", "1"]


def test_claims_give_each_task_seed_to_one_process(tmp_path):
    from protbench.stages import claim_seed

    assert claim_seed(tmp_path, "binloc", 0) and not claim_seed(tmp_path, "binloc", 0)
    assert claim_seed(tmp_path, "binloc", 1) and claim_seed(tmp_path, "a/b", 0)


def test_workers_take_the_tasks_that_train_a_network_per_seed_first():
    """Longest first: GIN and bridge seeds start before probes, zero-training tasks come last; within one
    protocol cost the larger task first (stability's probe before binloc's), then the given order; a
    --protocol the task lacks counts as free."""
    from protbench.registry import load_registries
    from protbench.runner import RunConfig, Runner

    reg = load_registries()
    ids = ["simsem-mf-human", "binloc", "shs27k", "stability", "prot2bp-goa", "shs27k-dfs"]
    runner = Runner(RunConfig(model="aac", tasks=ids), reg)
    assert runner.work_order(ids) == ["shs27k", "shs27k-dfs", "prot2bp-goa", "stability", "binloc",
                                      "simsem-mf-human"]
    pair_mlp = Runner(RunConfig(model="aac", tasks=ids, protocol="pair-mlp"), reg)   # PPI tasks only
    assert pair_mlp.work_order(ids)[:2] == ["shs27k", "shs27k-dfs"]


def test_jobs_gives_the_results_of_one_process_with_the_same_threads(tmp_path):
    """``--jobs 2`` (embed once, two one-thread shard workers, an assembling pass) = one ``--threads 1`` run."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    base = [sys.executable, "-m", "protbench.cli", "run", "--model", "aac", "--tasks", "beta-lactamase", "binloc",
            "--profile", "smoke", "--seeds", "0", "1", "2", "--cache-dir", str(tmp_path / "cache")]
    jobs = subprocess.run(base + ["--output-dir", str(tmp_path / "jobs"), "--jobs", "2", "--threads", "1"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert jobs.returncode == 0, jobs.stderr
    assert "in 2 workers of 1 thread(s)" in jobs.stderr and "workers finished in" in jobs.stderr
    single = subprocess.run(base + ["--output-dir", str(tmp_path / "single"), "--threads", "1"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert single.returncode == 0, single.stderr
    for task in ("beta-lactamase", "binloc"):
        a = json.loads((tmp_path / "jobs" / "aac" / "smoke" / f"{task}.json").read_text())
        b = json.loads((tmp_path / "single" / "aac" / "smoke" / f"{task}.json").read_text())
        assert {s: v["scores"] for s, v in a["seeds"].items()} == {s: v["scores"] for s, v in b["seeds"].items()}
        assert a["summary"] == b["summary"] and a["identity"]["hash"] == b["identity"]["hash"]
        assert "seeds_run_elsewhere" not in a      # the other shard's seeds ran on this machine, at this revision
    assert not list((tmp_path / "jobs").rglob("seed*.json")) and not list((tmp_path / "jobs").glob(".claims-*"))


def test_jobs_and_shard_together_is_a_usage_error(tmp_path):
    from protbench.cli import main

    assert main(["run", "--model", "aac", "--tasks", "binloc", "--profile", "smoke", "--jobs", "2", "--shard", "0/2",
                 "--output-dir", str(tmp_path), "--cache-dir", str(tmp_path / "c")]) == 2


def test_seed_claimed_by_a_dead_worker_is_computed_by_the_next_pass(tmp_path):
    """A worker killed after claiming a seed leaves a claim and no partial: the task stays partial, and the
    assembling pass (or any rerun) computes the seed; the result equals an uninterrupted run."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    base = [sys.executable, "-m", "protbench.cli", "run", "--model", "aac", "--tasks", "binloc", "--profile", "smoke",
            "--seeds", "0", "1", "2", "--threads", "1", "--cache-dir", str(tmp_path / "cache")]
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "binloc.seed1").touch()                          # the dead worker's claim
    worker = subprocess.run(base + ["--output-dir", str(tmp_path / "out")], env={**env, "PROTBENCH_CLAIMS": str(claims)},
                            capture_output=True, text=True, timeout=600)
    assert worker.returncode == 0 and "binloc: partial" in worker.stderr, worker.stderr
    result = tmp_path / "out" / "aac" / "smoke" / "binloc.json"
    assert not result.exists()
    again = subprocess.run(base + ["--output-dir", str(tmp_path / "out")], env=env, capture_output=True, text=True,
                           timeout=600)
    single = subprocess.run(base + ["--output-dir", str(tmp_path / "single")], env=env, capture_output=True,
                            text=True, timeout=600)
    assert again.returncode == 0 and single.returncode == 0, again.stderr + single.stderr
    a = json.loads(result.read_text())
    b = json.loads((tmp_path / "single" / "aac" / "smoke" / "binloc.json").read_text())
    assert list(a["seeds"]) == ["0", "1", "2"] and a["summary"] == b["summary"]
