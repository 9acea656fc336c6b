"""GNN-PPI's encoder on SHS27k: the module as GNN-PPI writes it vs protbench's same-function formulation.

    python benchmarks/bench_gnn_ppi.py [--repeats 3] [--epochs 3] [--json out.json]

One process, the real SHS27k proteins (``PROTBENCH_MIRROR``) and GNN-PPI's ``vec5_CTC.txt``. Each training step of
GNN-PPI runs its sequence encoder on every protein and back-propagates through it; this script times one such
forward + backward (mean over ``--repeats`` after a warm-up) for

* **reference**: ``Conv1d`` over the ``(N, 13, 2000)`` vec5 features and ``torch.nn.GRU(1, 1, bidirectional)``, as
  GNN-PPI's ``GIN_Net2`` does;
* **protbench**: the convolution as a lookup of ``table @ W`` and the compiled 1-unit GRU scan
  (:mod:`protbench.models.gnn_ppi`), with the same parameters copied in,

checks that both give the same outputs and gradients (max |Δ|), splits the protbench step into its parts, and then
runs ``--epochs`` epochs of the ``ppi-gnn-finetune`` protocol with ``--preset gnn-ppi`` on SHS27k BFS to report
seconds per epoch (training steps + the held-out pass GNN-PPI makes every epoch). Prints one JSON object; ratios
measured in one process are what to compare across machines.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch


def timed(fn, repeats: int) -> float:
    fn()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return float(np.mean(t))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--json", default="")
    args = p.parse_args(argv)

    from protbench.commands.options import registries
    from protbench.fetch import Fetcher
    from protbench.models.gnn_ppi import VEC5_SOURCE, GnnPpiModel

    reg = registries(argparse.Namespace(include=[]))
    task = reg.tasks.get("shs27k")
    fetcher = Fetcher(offline=True)
    from protbench.fetch import Files

    data = task.load(Files(fetcher.fetch_all(task.spec.sources), fetcher.cache_dir))
    seqs = [r.sequence for r in data.splits["proteins"]]
    model = GnnPpiModel(vec5=str(fetcher.fetch(VEC5_SOURCE)))
    trainable = model.trainable_encoder()
    tokens = trainable.features(seqs)
    torch.manual_seed(0)
    ours = trainable.build().train()

    def step_ours():
        ours.zero_grad()
        ours(tokens).sum().backward()

    def step_reference():
        ours.zero_grad()
        x = ours.table[tokens].transpose(1, 2)                 # (N, 13, 2000) floats, as GNN-PPI feeds them
        h = ours.maxpool1d(ours.bn1(ours.conv1d(x)))
        out, _ = ours.bigru.gru(h.transpose(1, 2))             # torch.nn.GRU, GNN-PPI's module
        ours.fc1(out.mean(dim=-1)).sum().backward()

    # same function: outputs and gradients of the two paths on the real proteins
    ours.zero_grad()
    a = ours(tokens)
    a.sum().backward()
    ga = [q.grad.clone() for q in ours.parameters()]
    ours.zero_grad()
    x = ours.table[tokens].transpose(1, 2)
    out, _ = ours.bigru.gru(ours.maxpool1d(ours.bn1(ours.conv1d(x))).transpose(1, 2))
    b = ours.fc1(out.mean(dim=-1))
    b.sum().backward()
    gb = [q.grad.clone() for q in ours.parameters()]
    same = {"max_abs_output": float((a - b).detach().abs().max()),
            # per parameter, |Δ| relative to the largest gradient entry of the encoder (the conv bias's own
            # gradient is zero in exact arithmetic: the BatchNorm after it removes any shift)
            "max_abs_grad_diff": max(float((u - v).abs().max()) for u, v in zip(ga, gb)),
            "largest_grad": max(float(v.abs().max()) for v in gb)}

    t_ours = timed(step_ours, args.repeats)
    t_ref = timed(step_reference, args.repeats)
    with torch.no_grad():
        conv = timed(lambda: ours.conv(tokens), args.repeats)
        c = ours.conv(tokens)
        h = ours.maxpool1d(ours.bn1(c)).transpose(1, 2)
        gru = timed(lambda: ours.bigru(h), args.repeats)
        gru_ref = timed(lambda: ours.bigru.gru(h), args.repeats)

    # seconds per epoch of the protocol under GNN-PPI's preset
    import tempfile

    from protbench.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        rc = cli(["-q", "run", "--model", "gnn-ppi", "--tasks", "shs27k", "--preset", "gnn-ppi", "--offline",
                  "--param", f"ppi-gnn-finetune.max_epochs={args.epochs}", "--output-dir", tmp, "--cache-dir",
                  os.path.join(tmp, "c")])
        res = json.load(open(os.path.join(tmp, "gnn-ppi", "shs27k.json")))
    fit = res["seeds"]["0"]["info"]["fit"] if rc == 0 else {}
    report = {
        "proteins": len(seqs), "in_len": trainable.in_len, "torch_threads": torch.get_num_threads(),
        "load_average_before": os.getloadavg()[0],
        "same_function": same,
        "step_seconds": {"reference_conv1d_nn_gru": round(t_ref, 4), "protbench": round(t_ours, 4),
                         "speedup": round(t_ref / t_ours, 2)},
        "forward_parts_seconds": {"conv_lookup": round(conv, 4), "gru_scan": round(gru, 4),
                                  "nn_gru": round(gru_ref, 4)},
        "protocol": {"epochs": fit.get("epochs_run"), "seconds_per_epoch": fit.get("seconds_per_epoch"),
                     "estimated_300_epochs_minutes": round(300 * fit.get("seconds_per_epoch", float("nan")) / 60, 1)},
    }
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
