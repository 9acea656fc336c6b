"""Data parallel ProtCLIP: per-parameter gradients of 1 process vs 2 gloo ranks on the same global batch,
and ZeRO-1 (sharded AdamW) steps and resume equal to plain AdamW."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

SCRIPT = r'''
import json, sys
from pathlib import Path
import torch
from safetensors.torch import save_file
from protbench.protclip.distributed import shutdown
from protbench.protclip.train import PretrainConfig, Trainer, step_seed

data, out = sys.argv[1], Path(sys.argv[2])
base = dict(train_data=data, batch_size=8, eval_every=0, save_every=0, valid_fraction=0.0, threads=1,
            resume=None, max_steps=6, warmup_fraction=0.0, lr=1e-3)

def grads(tag, **kw):
    tr = Trainer(PretrainConfig(output_dir=str(out / tag), **{**base, **kw}))
    tr.run_batch(tr.batch_records(0), step_seed(0, 0), train=True)
    g = {n: p.grad.detach().clone() for n, p in tr.model.named_parameters() if p.grad is not None}
    if tr.world.main:
        save_file(g, str(out / f"{tag}.safetensors"))
    return tr

W = int(__import__("os").environ.get("WORLD_SIZE", "1"))
# (1) everything on, token means over the global batch: N processes must equal 1 process exactly
grads(f"global-w{W}", token_loss_mean="global")
# (2) official per-process token means, GC off: 2 processes x 4 rows = 1 process with 2 micro-batches of 4
grads(f"device-w{W}", token_loss_mean="device", grad_accum=1 if W == 2 else 2,
      model_overrides={"loss_weights": {"gc": 0, "mlm": 0.3, "bsr": 0.7, "pda": 1}})

if W == 2:
    def run(tr, steps):
        losses = []
        for _ in range(steps):
            losses.append(tr.run_batch(tr.batch_records(tr.step), step_seed(0, tr.step), train=True)["loss"])
            tr.optimizer_step()
            tr.step += 1
        return losses
    zero = Trainer(PretrainConfig(output_dir=str(out / "zero"), zero1=True, **base))
    plain = Trainer(PretrainConfig(output_dir=str(out / "plain"), zero1=False, **base))
    assert zero.zero and not plain.zero
    lz, lp = run(zero, 2), run(plain, 2)
    folder = zero.save()                               # consolidated optimizer state, weights_only-loadable
    lz += run(zero, 2)
    lp += run(plain, 2)
    again = Trainer(PretrainConfig(output_dir=str(out / "zero"), zero1=True, **base))
    again.restore(folder)
    lr_ = run(again, 2)
    same = all(torch.equal(a, b) for a, b in zip(zero.model.state_dict().values(), again.model.state_dict().values()))
    if zero.world.main:
        (out / "zero.json").write_text(json.dumps({"zero": lz, "plain": lp, "resumed": lr_, "resumed_params_equal": same}))
shutdown()      # as `protbench pretrain` does: a gloo group left alive at exit can abort the process (SIGABRT)
'''


def _corpus(path, n=24):
    import random

    from protbench.protclip.data import ProtAnnoRecord, write_protanno

    rng = random.Random(0)
    aa = "ACDEFGHIKLMNPQRSTVWY"
    recs = [ProtAnnoRecord("".join(rng.choice(aa) for _ in range(rng.randint(20, 40))),
                           f"PROTEIN NAME: protein {i % 5}. FUNCTION: binds ligand {i % 3}. "
                           f"SUBCELLULAR LOCATION: compartment {i % 2}.") for i in range(n)]
    write_protanno(recs, path)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("ddp")
    data = _corpus(d / "c.jsonl")
    (d / "script.py").write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    for cmd in ([sys.executable, str(d / "script.py")],
                [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                 str(d / "script.py")]):
        p = subprocess.run(cmd + [str(data), str(d)], env=env, capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr[-4000:]
    return d


def _load(path):
    from safetensors.torch import load_file

    return load_file(str(path))


def _compare(a, b, rtol=1e-4, atol=1e-6):
    assert set(a) == set(b), sorted(set(a) ^ set(b))
    bad = [(n, float((a[n] - b[n]).abs().max())) for n in a if not torch.allclose(a[n], b[n], rtol=rtol, atol=atol)]
    assert not bad, bad[:10]


def test_two_gloo_ranks_give_the_one_process_gradient_of_every_parameter(runs):
    one, two = _load(runs / "global-w1.safetensors"), _load(runs / "global-w2.safetensors")
    assert len(one) > 40                      # encoder, heads, prototypes, both logit scales
    for name in ("logit_scale", "local_logit_scale", "prototypes.weight", "bsr_decoder.query.weight",
                 "protein_model.embeddings.word_embeddings.weight", "text_projection.0.weight"):
        assert name in one and one[name].abs().sum() > 0, name
    _compare(one, two)


def test_official_per_process_means_equal_one_process_accumulating_the_same_micro_batches(runs):
    _compare(_load(runs / "device-w1.safetensors"), _load(runs / "device-w2.safetensors"))


def test_zero1_steps_and_resume_equal_plain_adamw(runs):
    import json

    r = json.loads((runs / "zero.json").read_text())
    assert r["zero"] == pytest.approx(r["plain"], rel=1e-6)
    assert r["resumed"] == r["zero"][2:] and r["resumed_params_equal"]
