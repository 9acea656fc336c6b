"""The leaderboard's bootstrap: every resample ranked anew vs ranking metrics served from one sort per test set.

Collects the result folders given (as ``protbench leaderboard`` does), then, for every measured cell with
predictions, computes :func:`protbench.leaderboard.stats.bootstrap_distribution` twice in one process, the
two ways alternating cell by cell: (a) the metric called on each resample (``y_true[idx]``, ``y_score[idx]``:
a sort per resample for Spearman, Fmax and micro-AUPR), (b) the default, which serves those three metrics
from one sort of each seed's test set (:mod:`protbench.metrics.resampled`). Reports seconds per metric and in
total, their ratio, and whether every cell's resample values are identical (they must be, bit for bit).

Usage: ``python benchmarks/bench_leaderboard.py DIR [DIR ...] [--n-boot 1000] [--json out.json]``. Run on
an otherwise idle machine; the load average is recorded.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import time
from collections import defaultdict
from pathlib import Path
from unittest import mock

import numpy as np

from protbench.leaderboard import stats
from protbench.leaderboard.collect import collect


def timed(cell, n_boot: int, direct: bool):
    with mock.patch.object(stats, "_resampler", lambda *a: None) if direct else contextlib.nullcontext():
        t0 = time.perf_counter()
        d = stats.bootstrap_distribution(cell, cell.main_metric, n_boot=n_boot)
        return time.perf_counter() - t0, d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("roots", nargs="+", type=Path)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--json")
    args = ap.parse_args()
    load_before = os.getloadavg()
    board = collect(args.roots)
    seconds: dict[str, dict[str, float]] = defaultdict(lambda: {"direct": 0.0, "one_sort": 0.0, "cells": 0})
    identical = True
    for cell in board.cells.values():
        if cell.kind != "measured" or cell.status != "ok" or not cell.predictions:
            continue
        s_direct, d_direct = timed(cell, args.n_boot, direct=True)
        s_fast, d_fast = timed(cell, args.n_boot, direct=False)
        if d_direct is None:
            continue
        same = np.array_equal(d_direct.values, d_fast.values, equal_nan=True) and d_direct.point == d_fast.point
        identical &= bool(same)
        row = seconds[cell.main_metric]
        row["direct"] += s_direct
        row["one_sort"] += s_fast
        row["cells"] += 1
    total = {k: sum(r[k] for r in seconds.values()) for k in ("direct", "one_sort")}
    out = {"roots": [str(r) for r in args.roots], "n_boot": args.n_boot, "per_metric_s": dict(seconds),
           "total_s": total, "speedup": total["direct"] / max(total["one_sort"], 1e-9),
           "identical_values": identical, "numpy": np.__version__,
           "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
           "load_average_before": load_before, "load_average_after": os.getloadavg()}
    for metric, r in sorted(seconds.items()):
        print(f"{metric:12s} {r['cells']:4d} cells: direct {r['direct']:7.1f} s, one sort {r['one_sort']:7.1f} s "
              f"({r['direct'] / max(r['one_sort'], 1e-9):.1f}x)")
    print(f"total: direct {total['direct']:.1f} s, one sort {total['one_sort']:.1f} s -> {out['speedup']:.2f}x; "
          f"identical resample values: {identical}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
