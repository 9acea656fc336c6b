"""Time per epoch and peak memory of the PPI protocols on a real GNN-PPI dataset (default SHS27k).

    python benchmarks/bench_ppi.py --model aac --protocol gnn --split bfs --epochs 20

Loads the task through the harness (mirror/cache, ``PROTBENCH_MIRROR``), embeds with the model
(cached), then trains a fixed number of epochs (early stopping off) and prints one JSON line:
seconds per epoch (training + the validation pass), the fit's wall time, and the process's
resident memory before training and at its peak (``ru_maxrss``; includes Python, torch and the
loaded data). Timings on a shared machine are inflated by other processes: compare ratios
measured in one process.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np
import torch


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="shs27k")
    p.add_argument("--model", default="aac")
    p.add_argument("--protocol", default="ppi-gnn", choices=("ppi-gnn", "pair-mlp"))
    p.add_argument("--split", default="bfs", choices=("bfs", "dfs", "random"))
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    from protbench.cache import EmbeddingCache
    from protbench.embed import CachedEmbeddings
    from protbench.protocols.algorithms import ppi_splits
    from protbench.protocols.algorithms.ppi_gnn import fit_pairs
    from protbench.protocols.ppi_gnn import PpiGnnConfig as PpiConfig
    from protbench.fetch import Fetcher, Files
    from protbench.metrics import METRICS
    from protbench.registry import load_registries

    reg = load_registries()
    task = reg.tasks.get(args.task)
    fetcher = Fetcher(offline=True)
    t = time.perf_counter()
    data = task.load(Files(fetcher.fetch_all(task.spec.sources), fetcher.cache_dir))
    load_s = time.perf_counter() - t
    model = reg.models.get(args.model).create()
    emb = CachedEmbeddings(model, EmbeddingCache(fetcher.cache_dir / "embeddings"))
    t = time.perf_counter()
    x = emb.proteins([r.sequence for r in data.splits["proteins"]])
    embed_s = time.perf_counter() - t
    pairs, labels = data.extra["pairs"], data.extra["labels"]
    split = ppi_splits.make_split(pairs, len(x), args.split, seed=args.seed)
    torch.set_num_threads(args.threads)
    cfg = PpiConfig(hidden=args.hidden, max_epochs=args.epochs, patience=args.epochs + 1)
    before = rss_mb()
    fit = fit_pairs(x, pairs, labels, np.asarray(split.train), np.asarray(split.valid), METRICS["micro_f1"],
                    seed=args.seed, graph=args.protocol == "ppi-gnn", config=cfg)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3   # kB -> MB on Linux
    print(json.dumps({
        "task": args.task, "model": args.model, "protocol": args.protocol, "split": args.split,
        "nodes": int(len(x)), "pairs": int(len(pairs)), "train_pairs": len(split.train), "feature_dim": int(x.shape[1]),
        "hidden": args.hidden, "threads": args.threads, "epochs": fit.epochs,
        "seconds_per_epoch": round(fit.seconds_per_epoch, 4), "fit_seconds": round(fit.seconds, 2),
        "load_seconds": round(load_s, 2), "embed_seconds": round(embed_s, 2),
        "rss_before_fit_mb": round(before, 1), "peak_rss_mb": round(peak, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
