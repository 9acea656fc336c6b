"""Hugging Face model ids (``--model facebook/esm2_t6_8M_UR50D``) from an offline HF cache, or a clear message."""
from __future__ import annotations

import json
import os
import subprocess
import sys

HF_ID = "facebook/esm2_t6_8M_UR50D"


def _hf_cache(root):
    """A random ESM-2 8M (the id's architecture: a folder of another size is refused) saved in the Hugging Face
    cache layout (refs/main -> snapshots/<commit>/)."""
    from protbench.models.esm import ESM2

    repo = root / f"models--{HF_ID.replace('/', '--')}"
    commit = "0" * 40
    snap = repo / "snapshots" / commit
    ESM2("8m", seed=3).module.save_pretrained(snap)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    return root


def _run(tmp_path, env, *extra):
    cmd = [sys.executable, "-m", "protbench.cli", "run", "--model", HF_ID, "--tasks", "beta-lactamase", "--profile",
           "smoke", "--output-dir", str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c"), *extra]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def test_hf_id_runs_from_the_offline_cache_and_is_recorded_under_its_name(tmp_path):
    env = {**os.environ, "HF_HUB_CACHE": str(_hf_cache(tmp_path / "hub")), "HF_HUB_OFFLINE": "1"}
    out = _run(tmp_path, env)
    assert out.returncode == 0, out.stderr
    res = json.loads((tmp_path / "r" / "facebook_esm2_t6_8M_UR50D" / "smoke" / "beta-lactamase.json").read_text())
    assert res["status"] == "ok" and res["model"]["name"] == HF_ID
    assert res["model"]["parameters"]["layers"] == 6                 # the cached weights were loaded
    assert res["identity"]["weights"]["sha256"]


def test_without_a_cached_copy_the_message_says_what_to_download(tmp_path):
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "empty"), "HF_HUB_OFFLINE": "1"}
    out = _run(tmp_path, env)
    assert out.returncode != 0
    assert "huggingface-cli download facebook/esm2_t6_8M_UR50D" in out.stderr and "--weights" in out.stderr
    bad = subprocess.run([sys.executable, "-m", "protbench.cli", "run", "--model", "facebook/esm3", "--tasks",
                          "beta-lactamase", "--profile", "smoke"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "known ids" in bad.stderr
