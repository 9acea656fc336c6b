"""Training recipe: the paper's defaults for the paper's sizes, demo defaults for tiny, the CLI's guard rails."""
from __future__ import annotations

import json

import pytest

from protbench.protclip.config import named_config
from protbench.protclip.data import ProtAnnoRecord, write_protanno
from protbench.protclip.train import PretrainConfig, auto_precision, cpu_has_native_bf16, pretrain, resolve


def _cfg(**kw):
    return PretrainConfig(train_data="x.jsonl", output_dir="o", **kw)


@pytest.mark.parametrize("size", ["8m", "650m"])
def test_paper_sizes_default_to_the_paper_recipe(size):
    r = resolve(_cfg(model=size), named_config(size), world_size=1)
    assert r.recipe == "paper"
    assert (r.lr, r.betas, r.weight_decay, r.warmup_fraction) == (1e-5, (0.9, 0.999), 0.0, 0.03)
    assert (r.batch_size, r.grad_accum, r.epochs, r.patience, r.max_grad_norm) == (2048, 32, 35, 4, 1.0)
    assert r.zero1 is True and r.gradient_checkpointing is True and r.token_loss_mean == "device"
    assert (r.eval_every, r.save_every) == ("epoch", "epoch")
    assert r.precision == ("bf16" if cpu_has_native_bf16() else "fp32")          # device cpu
    # 64 rows per process and micro-step, as the official 32 x 64 run
    assert resolve(_cfg(model=size), named_config(size), world_size=2).grad_accum == 16
    assert resolve(_cfg(model=size, batch_size=256), named_config(size), world_size=1).grad_accum == 4
    assert resolve(_cfg(model=size, batch_size=100), named_config(size), world_size=1).grad_accum == 1
    assert resolve(_cfg(model=size, lr=3e-4, precision="fp32"), named_config(size), 1).lr == 3e-4
    assert auto_precision("cuda:0") == "fp16"


def test_tiny_keeps_its_demo_defaults_and_explicit_values_win():
    r = resolve(_cfg(model="tiny"), named_config("tiny"), world_size=1)
    assert r.recipe == "demo"
    assert (r.lr, r.betas, r.batch_size, r.grad_accum, r.epochs, r.precision, r.zero1) == \
        (5e-4, (0.9, 0.98), 8, 1, 1, "fp32", False)
    assert resolve(_cfg(model="tiny", bf16=True), named_config("tiny"), 1).precision == "bf16"
    assert resolve(_cfg(model="tiny", recipe="paper"), named_config("tiny"), 1).lr == 1e-5
    with pytest.raises(ValueError, match="precision"):
        resolve(_cfg(model="tiny", precision="fp8"), named_config("tiny"), 1)


def test_cli_paper_size_without_weights_exits_2_naming_the_flags(tmp_path, capsys):
    from protbench.cli import main

    rc = main(["pretrain", "--size", "650m", "--train", str(tmp_path / "x.jsonl"), "--output-dir", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "--protein-weights" in err and "--random-init" in err and "--text-model" in err
    assert not (tmp_path / "o").exists()
    rc = main(["pretrain", "--size", "650m", "--train", str(tmp_path / "x.jsonl"), "--output-dir", str(tmp_path / "o"),
               "--protein-weights", str(tmp_path / "esm.pt")])
    err = capsys.readouterr().err
    assert rc == 2 and "--protein-weights" not in err.split("give")[1] and "--text-model" in err


def test_cli_help_shows_the_paper_defaults(capsys):
    from protbench.cli import main

    with pytest.raises(SystemExit) as e:
        main(["pretrain", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for want in ("lr 1e-05", "betas (0.9, 0.999)", "weight decay 0", "3% linear warmup", "global batch 2048",
                 "fp16 with dynamic loss scaling on CUDA", "ZeRO-1", "--random-init", "--protein-weights"):
        assert want in out, want


def test_fp16_loss_scaling_trains_and_resumes(tmp_path):
    recs = [ProtAnnoRecord("MKTAYIAKQRQISFVKSHFSRQ"[i % 4:], f"PROTEIN NAME: p{i % 3}. FUNCTION: f{i % 2}.")
            for i in range(16)]
    write_protanno(recs, tmp_path / "c.jsonl")
    base = dict(train_data=str(tmp_path / "c.jsonl"), batch_size=8, eval_every=0, save_every=1, valid_fraction=0.0,
                threads=1, precision="fp16", keep_checkpoints=5)
    pretrain(PretrainConfig(output_dir=str(tmp_path / "a"), max_steps=4, resume=None, **base))
    pretrain(PretrainConfig(output_dir=str(tmp_path / "b"), max_steps=4, resume=None, stop_after_steps=2, **base))
    s = pretrain(PretrainConfig(output_dir=str(tmp_path / "b"), max_steps=4, resume="auto", **base))
    assert s["resumed_from"].endswith("step-000002") and s["training"]["precision"] == "fp16"
    log = lambda d: [{k: v for k, v in json.loads(x).items() if k != "seconds"}
                     for x in (tmp_path / d / "log.jsonl").read_text().splitlines() if "split" not in x]
    assert log("a") == log("b")          # loss-scaler state resumed exactly


def test_fp16_steps_skipped_on_overflow_leave_the_lr_schedule_where_it_was(tmp_path):
    """The official recipe's DeepSpeed engine does not step the LR scheduler when the fp16 loss scaler skips a step
    (overflow): the LR of each step is the schedule at the number of steps applied before it, not taken."""
    from protbench.protclip.train import lr_lambda

    recs = [ProtAnnoRecord("MKTAYIAKQRQISFVKSHFSRQ"[i % 4:], f"PROTEIN NAME: p{i % 3}. FUNCTION: f{i % 2}.")
            for i in range(16)]
    write_protanno(recs, tmp_path / "c.jsonl")
    cfg = PretrainConfig(output_dir=str(tmp_path / "a"), train_data=str(tmp_path / "c.jsonl"), batch_size=8,
                         eval_every=0, save_every=0, valid_fraction=0.0, threads=1, precision="fp16", max_steps=6,
                         lr=1e-3, warmup_fraction=0.5, resume=None)
    s = pretrain(cfg)
    log = [json.loads(x) for x in (tmp_path / "a" / "log.jsonl").read_text().splitlines() if "split" not in x]
    skipped = [r["skipped"] for r in log]
    assert 0 < sum(skipped) < len(log)          # the first steps overflow at the initial scale 2^16, later ones apply
    assert s["skipped_steps"] == sum(skipped)
    f = lr_lambda(3, 6)
    for i, r in enumerate(log):
        assert r["lr"] == pytest.approx(cfg.lr * f(i - sum(skipped[:i])))
    scales = [r["loss_scale"] for r in log]
    assert all(b < a for a, b, k in zip([2.0 ** 16] + scales, scales, skipped) if k)   # a skip halves the scale
