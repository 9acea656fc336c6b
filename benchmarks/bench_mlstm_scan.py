"""Training cost of UniRep's mLSTM (issue 28): autograd over a Python loop vs the one-node scan.

Times forward + backward of one mLSTM cell of UniRep-1900's shape on ``(B, T)`` inputs (the shape a
ProtCLIP step over UniRep trains: ``--batch`` proteins of ``--length`` positions), in one process, the two
formulations alternating for ``--repeats`` rounds: (a) the equations as a loop that autograd
differentiates (what ``MLSTMCell.forward`` did before), (b)
:func:`protbench.protclip.protein_encoders.mlstm_scan.mlstm_scan`. Reports the median seconds of each,
their ratio, the useful FLOP rate (``6 · T · B · (D·D + D·4D)``: two matmuls forward, four backward) and
the largest gradient difference. ``--bf16`` runs both under bf16 autocast.

Usage: ``python benchmarks/bench_mlstm_scan.py [--batch 32] [--length 129] [--units 1900] [--threads 2]
[--json out.json]``. Run on an otherwise idle machine; the load average is recorded.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import time

import torch
from protbench.protclip.protein_encoders.mlstm_scan import mlstm_loop, mlstm_scan


def one(fn, inputs, weight, bf16: bool) -> tuple[float, list[torch.Tensor]]:
    xs = [t.clone().requires_grad_() for t in inputs]
    t0 = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
        y = fn(*xs)
    (y.float() * weight).sum().backward()
    return time.perf_counter() - t0, [x.grad for x in xs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--length", type=int, default=129, help="positions (start token + 128 residues)")
    ap.add_argument("--units", type=int, default=1900)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    g = torch.Generator().manual_seed(0)
    B, T, d = args.batch, args.length, args.units
    inputs = [0.1 * torch.randn(B, T, 4 * d, generator=g), 0.1 * torch.randn(B, T, d, generator=g),
              d ** -0.5 * torch.randn(d, 4 * d, generator=g), d ** -0.5 * torch.randn(d, d, generator=g)]
    weight = torch.randn(B, T, d, generator=g)
    times: dict[str, list[float]] = {"autograd": [], "scan": []}
    grads = {}
    for _ in range(args.repeats):
        for name, fn in (("autograd", mlstm_loop), ("scan", mlstm_scan)):
            s, grads[name] = one(fn, inputs, weight, args.bf16)
            times[name].append(s)
    med = {k: statistics.median(v) for k, v in times.items()}
    flops = 6 * T * B * (d * d + d * 4 * d)
    out = {"batch": B, "positions": T, "units": d, "threads": args.threads, "bf16_autocast": args.bf16,
           "median_s": med, "all_s": times, "speedup": med["autograd"] / med["scan"],
           "gflop_per_s": {k: flops / v / 1e9 for k, v in med.items()},
           "max_abs_grad_diff": max(float((a - b).abs().max()) for a, b in zip(grads["autograd"], grads["scan"])),
           "torch": torch.__version__, "cpu": platform.processor() or platform.machine(),
           "load_average_before": load_before, "load_average_after": os.getloadavg()}
    print(f"mLSTM {d} units, {B} x {T} positions, forward + backward{' (bf16 autocast)' if args.bf16 else ''}: "
          f"autograd loop {med['autograd']:.2f} s, scan {med['scan']:.2f} s -> {out['speedup']:.2f}x "
          f"({out['gflop_per_s']['scan']:.0f} GFLOP/s useful); max |grad diff| {out['max_abs_grad_diff']:.2e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
