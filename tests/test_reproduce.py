"""The committed results are reproducible: rerunning two small cells gives every seed's numbers bit for bit."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CELLS = [("aac", "beta-lactamase"), ("aac", "binloc")]


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("model,task", CELLS, ids=[f"{m}-{t}" for m, t in CELLS])
def test_committed_cell_reruns_exactly(tmp_path, mirror, model, task):
    committed = json.loads((REPO / "results" / model / f"{task}.json").read_text())
    seeds = list(committed["seeds"])
    env = {**os.environ, "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2", "HF_HUB_OFFLINE": "1",
           "PROTBENCH_MIRROR": str(mirror)}
    cmd = [sys.executable, "-m", "protbench.cli", "run", "--model", model, "--tasks", task, "--seeds", *seeds,
           "--offline", "--output-dir", str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c")]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    rerun = json.loads((tmp_path / "r" / model / f"{task}.json").read_text())
    for s in seeds:
        assert rerun["seeds"][s]["scores"] == committed["seeds"][s]["scores"], (task, s)
    assert rerun["dataset"]["fingerprint"] == committed["dataset"]["fingerprint"]
