"""Where alignment kNN spends its time on the real PEER/TAPE sets: prefilter vs Smith-Waterman.

Reads the mirror's LMDB archives directly, times the 2-mer prefilter for all valid+test queries and the
parasail alignments for a sample of queries, and extrapolates the full alignment time (cells = sum of
len(query) x len(candidate)). Run: ``python benchmarks/bench_alignment_knn.py [--sample 300]``; on a shared
machine the numbers are inflated by contention (say so when quoting them).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from protbench.protocols.algorithms.alignment_knn import prefilter, search
from protbench.protocols.alignment_knn import KnnConfig
from protbench.formats import peer_lmdb

TASKS = {"beta-lactamase": "beta_lactamase", "fluorescence": "fluorescence", "stability": "stability"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--candidates", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    mirror = Path(os.environ.get("PROTBENCH_MIRROR", "../shared/data")) / "peer"
    cfg = KnnConfig(candidates=args.candidates)
    with tempfile.TemporaryDirectory() as tmp:
        for task, name in TASKS.items():
            raw = peer_lmdb.read_archive(mirror / f"{name}.tar.gz", Path(tmp), name)
            refs = [r["primary"] for r in raw["train"]]
            queries = [r["primary"] for r in raw["valid"]] + [r["primary"] for r in raw["test"]]
            t = time.perf_counter()
            prefilter(queries, refs, cfg.candidates)
            t_pre = time.perf_counter() - t
            rng = np.random.default_rng(0)
            sample = [queries[i] for i in rng.choice(len(queries), size=min(args.sample, len(queries)), replace=False)]
            nb = search(sample, refs, cfg, args.threads)
            per_query = nb.seconds["align"] / len(sample)
            print(f"{task:15s} train {len(refs):6d} queries {len(queries):6d} | prefilter all {t_pre:6.1f} s | "
                  f"align {per_query * 1e3:6.2f} ms/query -> all queries ~{per_query * len(queries):6.0f} s "
                  f"({args.candidates} candidates, {args.threads} threads)", flush=True)


if __name__ == "__main__":
    main()
