"""Pretraining loop: per-term logs, ablations, early stopping, CLI, and 2-process DDP = 1 process."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from protbench.protclip.data import ProtAnnoRecord, write_protanno
from protbench.protclip.train import PretrainConfig, lr_lambda, pretrain


def _corpus(path, n=24):
    import random

    rng = random.Random(0)
    aa = "ACDEFGHIKLMNPQRSTVWY"
    recs = [ProtAnnoRecord("".join(rng.choice(aa) for _ in range(rng.randint(20, 40))),
                           f"PROTEIN NAME: protein {i % 5}. FUNCTION: binds ligand {i % 3}. "
                           f"SUBCELLULAR LOCATION: compartment {i % 2}.") for i in range(n)]
    write_protanno(recs, path)
    return path


def _log(folder):
    return [json.loads(x) for x in (folder / "log.jsonl").read_text().splitlines() if x.strip()]


def test_lr_schedule_warmup_then_linear_decay():
    # transformers' get_linear_schedule_with_warmup (the official HF Trainer): 0 at step 0
    f = lr_lambda(2, 10)
    assert [round(f(s), 4) for s in range(11)] == [0.0, 0.5, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0]
    g = lr_lambda(0, 4)
    assert [g(s) for s in range(5)] == [1.0, 0.75, 0.5, 0.25, 0.0]


def test_pretrain_logs_every_term_and_validates(tmp_path):
    data = _corpus(tmp_path / "c.jsonl", n=32)
    s = pretrain(PretrainConfig(train_data=str(data), output_dir=str(tmp_path / "run"), batch_size=4, max_steps=3,
                                eval_every=3, valid_fraction=0.25, max_valid=8, threads=1, resume=None,
                                retrieval_data=str(data), max_retrieval=8))
    steps = [r for r in _log(tmp_path / "run") if "split" not in r and "event" not in r]
    assert [r["step"] for r in steps] == [1, 2, 3]
    for r in steps:
        for k in ("loss", "gc", "mlm", "bsr", "pda"):
            assert r[k] == r[k] and r[k] >= 0                      # finite (not NaN)
        assert r["loss"] == pytest.approx(r["gc"] + 0.3 * r["mlm"] + 0.7 * r["bsr"] + r["pda"], rel=1e-9)
    assert s["valid"]["first"]["step"] == 0 and s["valid"]["last"]["step"] == 3
    assert s["retrieval"]["init"]["protein_to_text"]["n"] == 8
    assert (tmp_path / "run" / "checkpoints" / "step-000003" / "model.safetensors").is_file()
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["steps"] == 3


def test_ablation_switches_objective_off_and_early_stopping(tmp_path):
    data = _corpus(tmp_path / "c.jsonl", n=32)
    s = pretrain(PretrainConfig(train_data=str(data), output_dir=str(tmp_path / "run"), batch_size=4, max_steps=20,
                                eval_every=1, patience=2, valid_fraction=0.25, max_valid=4, threads=1, lr=0.0,
                                resume=None, save_every=0,
                                model_overrides={"loss_weights": {"gc": 1, "mlm": 0.3, "bsr": 0, "pda": 0}}))
    # lr 0: step 1 sets the best validation loss, steps 2 and 3 do not improve on it (patience 2)
    assert s["stopped"] == "early_stopping" and s["steps"] == 3
    rec = _log(tmp_path / "run")[1]
    assert "bsr" not in rec and "pda" not in rec and "mlm" in rec
    from protbench.protclip.checkpoint import load_model

    m = load_model(s["checkpoint"])
    assert m.cfg.loss_weights["bsr"] == 0.0


def test_cli_pretrain(tmp_path, capsys):
    from protbench.cli import main

    data = _corpus(tmp_path / "c.jsonl", n=16)
    rc = main(["pretrain", "--train", str(data), "--output-dir", str(tmp_path / "o"), "--max-steps", "2",
               "--batch-size", "4", "--without", "pda", "--set", "threads=1", "--set", "valid_fraction=0",
               "--model-set", "bsr_grad_to_encoder=false"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["steps"] == 2 and "pda" not in out["mean_last"]


def _run(cmd, env):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]


def test_two_process_ddp_matches_one_process(tmp_path):
    data = _corpus(tmp_path / "c.jsonl", n=24)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    args = ["pretrain", "--train", str(data), "--max-steps", "3", "--batch-size", "8", "--set", "threads=1",
            "--set", "valid_fraction=0", "--set", "save_every=0", "--set", "token_loss_mean=global", "--fresh"]
    _run([sys.executable, "-m", "protbench.protclip.cli", *args, "--output-dir", str(tmp_path / "one")], env)
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
          "-m", "protbench.protclip.cli", *args, "--output-dir", str(tmp_path / "two")], env)
    one = [r for r in _log(tmp_path / "one") if "split" not in r]
    two = [r for r in _log(tmp_path / "two") if "split" not in r]
    assert len(one) == len(two) == 3
    for a, b in zip(one, two):
        for k in ("loss", "gc", "mlm", "bsr", "pda", "logit_scale"):
            assert b[k] == pytest.approx(a[k], rel=1e-4, abs=1e-5), (a["step"], k, a[k], b[k])
    assert json.loads((tmp_path / "two" / "summary.json").read_text())["world_size"] == 2


def test_grad_accumulation_and_checkpointing_match_plain_steps(tmp_path):
    """Without GC (whose negatives are per micro-batch) and with global token means, accumulation is exact;
    so is gradient checkpointing."""
    data = _corpus(tmp_path / "c.jsonl", n=16)
    base = dict(train_data=str(data), batch_size=8, max_steps=2, eval_every=0, save_every=0, valid_fraction=0.0,
                threads=1, resume=None, token_loss_mean="global",
                model_overrides={"loss_weights": {"gc": 0, "mlm": 0.3, "bsr": 0.7, "pda": 1}})
    logs = {}
    for name, extra in (("plain", {}), ("accum", {"grad_accum": 2}), ("ckpt", {"gradient_checkpointing": True})):
        pretrain(PretrainConfig(output_dir=str(tmp_path / name), **base, **extra))
        logs[name] = [r for r in _log(tmp_path / name) if "split" not in r]
    for name in ("accum", "ckpt"):
        for a, b in zip(logs["plain"], logs[name]):
            for k in ("loss", "mlm", "bsr", "pda"):
                assert b[k] == pytest.approx(a[k], rel=1e-5, abs=1e-6), (name, a["step"], k)


def test_bf16_autocast_runs_and_stays_close(tmp_path):
    data = _corpus(tmp_path / "c.jsonl", n=8)
    base = dict(train_data=str(data), batch_size=8, max_steps=1, eval_every=0, save_every=0, valid_fraction=0.0,
                threads=1, resume=None)
    a = pretrain(PretrainConfig(output_dir=str(tmp_path / "fp32"), **base))["first"]
    b = pretrain(PretrainConfig(output_dir=str(tmp_path / "bf16"), bf16=True, **base))["first"]
    for k in ("gc", "mlm", "bsr", "pda"):
        assert b[k] == pytest.approx(a[k], rel=0.05), k
