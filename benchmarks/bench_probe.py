"""Time the probe on a stability-sized problem: 53,571 train / 2,512 valid / 12,851 test, 480-d.

Random Gaussian embeddings with a planted linear + non-linear target, so the
probe has something to learn. Prints seconds per stage and the validation /
test Spearman. Run: ``python benchmarks/bench_probe.py [--dim 480] [--threads 2]``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from protbench.protocols.algorithms.probe import fit_probe
from protbench.protocols.probe import ProbeConfig
from protbench.metrics.regression import spearman


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dim", type=int, default=480)
    ap.add_argument("--train", type=int, default=53571)
    ap.add_argument("--valid", type=int, default=2512)
    ap.add_argument("--test", type=int, default=12851)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--heads", default="linear,mlp")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    n = args.train + args.valid + args.test
    x = rng.normal(size=(n, args.dim)).astype(np.float32)
    w = rng.normal(size=args.dim) / np.sqrt(args.dim)
    y = x @ w + 0.5 * np.tanh(x[:, 0] * x[:, 1]) + rng.normal(scale=0.5, size=n)
    tr, va = slice(0, args.train), slice(args.train, args.train + args.valid)
    te = slice(args.train + args.valid, n)
    cfg = ProbeConfig(heads=tuple(args.heads.split(",")))
    t0, c0 = time.perf_counter(), time.process_time()
    fit = fit_probe("regression", x[tr], y[tr], x[va], y[va], spearman, seed=0, config=cfg)
    t_fit = time.perf_counter() - t0
    t1 = time.perf_counter()
    pred = fit.predict(x[te])
    rho = spearman(y[te], pred)
    t_score = time.perf_counter() - t1
    print(f"threads={args.threads} n_train={args.train} dim={args.dim}")
    for c in fit.candidates:
        print("  candidate", c)
    print(f"chosen={fit.chosen}")
    cpu = time.process_time() - c0
    print(f"fit_s={t_fit:.1f} score_s={t_score:.2f} total_s={t_fit + t_score:.1f} (budget 120 s per seed)")
    print(f"process_cpu_s={cpu:.1f} -> wall on {args.threads} idle cores >= {cpu / args.threads:.1f} s "
          f"(wall/cpu ratio {(t_fit + t_score) / cpu:.2f}; >1/threads means contention)")
    print(f"valid_spearman={fit.valid_score:.4f} test_spearman={rho:.4f}")


if __name__ == "__main__":
    main()
