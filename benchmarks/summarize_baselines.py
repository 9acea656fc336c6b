"""Markdown table of the baseline rows: test main metric mean ± std over seeds, seconds, restrictions.

Run after ``benchmarks/run_baselines.sh``: ``python benchmarks/summarize_baselines.py [results]``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

MODELS = ("dde", "moran", "align-knn", "cnn")
TASKS = ("beta-lactamase", "fluorescence", "stability", "binloc")


def main(root: str = "results") -> None:
    print("| model | task | test main metric (mean ± std, n seeds) | valid | seconds (load+embed+evaluate) | limit |")
    print("|---|---|---|---|---|---|")
    for m in MODELS:
        for t in TASKS:
            p = Path(root) / m / f"{t}.json"
            if not p.is_file():
                print(f"| {m} | {t} | missing | | | |")
                continue
            d = json.loads(p.read_text())
            if d.get("status") != "ok":
                print(f"| {m} | {t} | {d.get('status')}: {d.get('error', d.get('reason', ''))[:80]} | | | |")
                continue
            main = d["task"]["main_metric"]
            te, va = d["summary"]["test"][main], d["summary"]["valid"][main]
            secs = sum(d["timings_s"].get(k, 0.0) for k in ("load", "embed", "evaluate"))
            print(f"| {m} | {t} | {main} {te['mean']:.4f} ± {te['std']:.4f} (n={te['n']}) | {va['mean']:.4f} | "
                  f"{secs:.0f} | {d['dataset'].get('limit') or ''} |")


if __name__ == "__main__":
    main(*sys.argv[1:])
