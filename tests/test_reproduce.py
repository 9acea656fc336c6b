"""The committed results are reproducible: rerunning two small cells gives every seed's numbers bit for bit on
the numeric platform that made them (BLAS kernel architecture, torch CPU dispatch, instruction sets — recorded
in each result's ``environment.numeric_platform``), and within ``CROSS_PLATFORM_RTOL`` on another."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from protbench import results as R

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
    assert rerun["dataset"]["fingerprint"] == committed["dataset"]["fingerprint"]
    if R.same_numeric_platform(committed["environment"], rerun["environment"]):
        for s in seeds:   # on failure, both platforms are printed: the record missed what decides the kernels
            assert rerun["seeds"][s]["scores"] == committed["seeds"][s]["scores"], (
                task, s, committed["environment"]["numeric_platform"], rerun["environment"]["numeric_platform"])
    else:   # other kernels: the same numbers up to rounding in the last digits
        for s in seeds:
            assert_scores_close(rerun["seeds"][s]["scores"], committed["seeds"][s]["scores"], (task, s))


def assert_scores_close(got: dict, want: dict, where: object) -> None:
    """Same splits and metrics, each value within ``R.CROSS_PLATFORM_RTOL`` (relative)."""
    assert got.keys() == want.keys(), where
    for split in want:
        assert got[split].keys() == want[split].keys(), (where, split)
        for metric, w in want[split].items():
            g = got[split][metric]
            assert (g is None) == (w is None), (where, split, metric)
            if w is not None:
                np.testing.assert_allclose(g, w, rtol=R.CROSS_PLATFORM_RTOL, atol=0,
                                           err_msg=f"{where} {split} {metric}")


def test_numeric_platform_decides_exact_comparison():
    """The environment records what picks the kernels; equal platforms compare exactly, any difference (or a
    result without the record) compares within the stated tolerance."""
    env = R.environment()
    plat = env["numeric_platform"]
    assert plat["torch_cpu_capability"] and isinstance(plat["blas"], list)
    assert R.same_numeric_platform(env, json.loads(json.dumps(env)))
    other = {**env, "numeric_platform": {**plat, "blas": [{"internal_api": "openblas", "architecture": "Haswell",
                                                           "version": "0.3.31"}]}}
    assert not R.same_numeric_platform(env, other)
    assert not R.same_numeric_platform(env, {**env, "numeric_platform": {**plat, "isa": ["avx2"]}})
    assert not R.same_numeric_platform(env, {k: v for k, v in env.items() if k != "numeric_platform"})
    assert not R.same_numeric_platform(env, {**env, "torch": "0.0"})
    # same instruction sets, BLAS core type and dispatch, other CPU model or caches: blocking can differ
    assert not R.same_numeric_platform(env, {**env, "numeric_platform": {**plat, "cpu": {"cpu_family": "-1"}}})
    assert not R.same_numeric_platform(env, {**env, "numeric_platform": {**plat, "caches": ["L2 Unified 1K"]}})
    assert not R.same_numeric_platform(env, {**env, "torch_threads": 1 + (env.get("torch_threads") or 0)})
    older = {k: v for k, v in plat.items() if k not in ("cpu", "caches", "torch_kernels")}   # a pre-record result
    assert not R.same_numeric_platform(env, {**env, "numeric_platform": older})
    with pytest.raises(AssertionError):
        assert_scores_close({"test": {"mae": 1.0 + 1e-5}}, {"test": {"mae": 1.0}}, "x")
    assert_scores_close({"test": {"mae": 1.0 + 1e-8, "n": None}}, {"test": {"mae": 1.0, "n": None}}, "x")


def test_platform_record_reads_caches_and_torch_math_libraries(tmp_path):
    """Caches from a sysfs-shaped tree (as Linux lays out /sys/devices/system/cpu/cpu0/cache), MKL and oneDNN
    versions from torch's build summary; a missing tree is None, not an error."""
    for i, (level, kind, size) in enumerate([("1", "Data", "48K"), ("2", "Unified", "2048K")]):
        d = tmp_path / f"index{i}"
        d.mkdir()
        for name, value in (("level", level), ("type", kind), ("size", size)):
            (d / name).write_text(value + "\n")
    assert R.cache_sizes(tmp_path) == ["L1 Data 48K", "L2 Unified 2048K"]
    assert R.cache_sizes(tmp_path / "absent") is None
    shown = ("PyTorch built with:\n  - GCC 11.2\n  - Intel(R) oneAPI Math Kernel Library Version 2024.2-Product\n"
             "  - Intel(R) MKL-DNN v3.7.1 (Git Hash abc)\n  - OpenMP 201511\n  - LAPACK is enabled\n"
             "  - Build settings: BLAS_INFO=mkl, USE_MKLDNN=ON, USE_OPENMP=ON\n")
    assert R.torch_math_libraries(shown) == ["Intel(R) oneAPI Math Kernel Library Version 2024.2-Product",
                                            "Intel(R) MKL-DNN v3.7.1 (Git Hash abc)"]
