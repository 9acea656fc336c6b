"""Issue 13: a run killed at any write (seed partial, predictions, result, cache shard) resumes on rerun with
every finished seed kept, the same scores as an uninterrupted run, and every seed's predictions."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from protbench import cache as C
from protbench import store as S
from protbench.cli import main

TASK = "beta-lactamase"
ARGS = ["run", "--model", "aac", "--tasks", TASK, "--profile", "smoke", "--seeds", "0", "1", "2"]

# Runs protbench in a child process whose N-th call of a write function kills the process for real
# (os._exit): "after" the write completed (killed before the next step), or "torn" in the middle of
# the write (half a temporary file left beside the target, the target itself not written).
CHILD = r"""
import os, sys
from pathlib import Path
import protbench.cache as C
import protbench.store as S

which, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
module, name = (S, "atomic_write_bytes") if which == "store" else (C, "write_shard")
real = getattr(module, name)
calls = [0]

def dying(path, data):
    calls[0] += 1
    if calls[0] == n:
        if mode == "after":
            real(path, data)
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            (Path(path).parent / f".{Path(path).name}.torn.tmp").write_bytes(b"PK\x03\x04 half a file")
        os._exit(9)
    return real(path, data)

setattr(module, name, dying)
from protbench.cli import main
sys.exit(main(sys.argv[4:]))
"""


def _dirs(tmp: Path) -> list[str]:
    return ["--cache-dir", str(tmp / "c"), "--output-dir", str(tmp / "o")]


def _model_dir(tmp: Path) -> Path:
    return tmp / "o" / "aac" / "smoke"


def _outcome(tmp: Path) -> tuple[dict, dict]:
    res = json.loads((_model_dir(tmp) / f"{TASK}.json").read_text())
    assert res["status"] == "ok"
    preds = S.load_arrays(_model_dir(tmp) / f"{TASK}.predictions.npz")
    return res, preds


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """An uninterrupted run, and how many times it calls each write function."""
    tmp = tmp_path_factory.mktemp("baseline")
    counts = {"store": 0, "cache": 0}
    real_store, real_shard = S.atomic_write_bytes, C.write_shard

    def count_store(path, data):
        counts["store"] += 1
        return real_store(path, data)

    def count_shard(path, arrays):
        counts["cache"] += 1
        return real_shard(path, arrays)

    mp = pytest.MonkeyPatch()
    mp.setattr(S, "atomic_write_bytes", count_store)
    mp.setattr(C, "write_shard", count_shard)
    mp.setenv("PROTBENCH_CACHE", str(tmp / "c"))
    try:
        assert main(ARGS + _dirs(tmp)) == 0
    finally:
        mp.undo()
    res, preds = _outcome(tmp)
    assert counts["store"] >= 8 and counts["cache"] >= 1     # 3 x (npz + json), predictions, result
    return res, preds, counts


# a kill in each kind of write runs by default; every write x both modes under -m slow
QUICK = {("store", 1, "torn"), ("store", 2, "after"), ("store", 7, "torn"), ("store", 8, "after"),
         ("cache", 1, "torn")}


def _cases():
    # every write of a store file (3 x seed npz + json, predictions, result) and of a cache shard, both modes
    return [pytest.param(w, n, m, marks=() if (w, n, m) in QUICK else pytest.mark.slow)
            for w, top in (("store", 8), ("cache", 2)) for n in range(1, top + 1) for m in ("after", "torn")]


@pytest.mark.parametrize("which, n, mode", _cases())
def test_kill_at_each_write_then_rerun_resumes(tmp_path, baseline, which, n, mode):
    ref, ref_preds, counts = baseline
    if n > counts[which]:
        pytest.skip(f"the run makes only {counts[which]} {which} writes")
    env = {**os.environ, "PROTBENCH_CACHE": str(tmp_path / "c")}
    child = subprocess.run([sys.executable, "-c", CHILD, which, str(n), mode, *ARGS, *_dirs(tmp_path)],
                           env=env, capture_output=True, text=True, timeout=300)
    assert child.returncode == 9, child.stderr[-2000:]          # really killed at that write
    # seeds whose partial was completely written before the kill
    finished = {}
    for p in sorted((_model_dir(tmp_path) / ".partial" / TASK).glob("seed*.json")) \
            if (_model_dir(tmp_path) / ".partial" / TASK).is_dir() else []:
        finished[p.stem[4:]] = json.loads(p.read_text())["result"]
    assert main(ARGS + _dirs(tmp_path)) == 0
    res, preds = _outcome(tmp_path)
    for seed, entry in finished.items():                          # finished seeds kept as they were
        assert res["seeds"][seed] == entry
    assert {s: e["scores"] for s, e in res["seeds"].items()} == {s: e["scores"] for s, e in ref["seeds"].items()}
    assert res["summary"] == ref["summary"]
    assert sorted(preds) == ["0", "1", "2"] == sorted(ref_preds)
    for seed in preds:
        assert sorted(preds[seed]) == sorted(ref_preds[seed])
        for k in preds[seed]:
            assert np.array_equal(preds[seed][k], ref_preds[seed][k])
    assert not (_model_dir(tmp_path) / ".partial" / TASK).exists()   # partials folded into the result
