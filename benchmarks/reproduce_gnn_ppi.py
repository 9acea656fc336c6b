"""GNN-PPI reproduced with its own model and protocol: SHS27k BFS / DFS / random, protbench beside the paper.

    python benchmarks/reproduce_gnn_ppi.py [--tasks shs27k shs27k-dfs shs27k-random] [--seeds 0 1 2 3 4]
                                           [--jobs 2] [--out benchmarks/results/gnn_ppi] [--table-only]

Runs ``protbench run --model gnn-ppi --preset gnn-ppi`` (GNN-PPI's vec5 encoder trained end to end with the GIN,
300 epochs, held-out pairs in the message-passing graph and choosing the epoch, one split per seed; see
docs/reproducing-published.md §4) with ``--jobs`` single-thread workers into ``--out`` (a rerun resumes: results
of the same identity are reused), then writes ``<out>/table.md``: the leaderboard's reproduction appendix
(measured mean ± std over seeds beside GNN-PPI's published mean ± std, |Δ| / σ and a within-2σ verdict, σ the
published std) and its PPI protocol readings (the same runs at the last epoch, paired difference with a 95 % t
interval, and GNN-PPI's BS / ES / NS subsets). Published numbers: ``results/reported/gnn-ppi/`` (GNN-PPI README,
lvguofeng/GNN_PPI @ cd1843ebec57, images/benchmark.png). Needs the data mirror ($PROTBENCH_MIRROR); no network.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", nargs="+", default=["shs27k", "shs27k-dfs", "shs27k-random"])
    ap.add_argument("--seeds", nargs="+", default=["0", "1", "2", "3", "4"])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "gnn_ppi")
    ap.add_argument("--table-only", action="store_true", help="write table.md from the results in --out, run nothing")
    args = ap.parse_args(argv)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}
    cmd = ["protbench", "run", "--model", "gnn-ppi", "--preset", "gnn-ppi", "--tasks", *args.tasks,
           "--seeds", *args.seeds, "--jobs", str(args.jobs), "--threads", "1", "--offline",
           "--output-dir", str(args.out)]
    status = 0 if args.table_only else subprocess.run(cmd, env=env, check=False).returncode
    if not (args.out / "gnn-ppi").is_dir():
        print(f"reproduce_gnn_ppi: no results in {args.out / 'gnn-ppi'}; run without --table-only first "
              f"(or give --out the folder that holds gnn-ppi/)", file=sys.stderr)
        return status or 2

    from protbench.leaderboard.collect import collect
    from protbench.leaderboard.render import reproduction_markdown

    board = collect([args.out / "gnn-ppi", REPO / "results" / "reported" / "gnn-ppi"])
    table = reproduction_markdown(board).replace("## Appendix: ", "## ")
    (args.out / "table.md").write_text(f"# GNN-PPI reproduced ({' '.join(cmd[1:-2])})\n\n{table}")
    print(table)
    return status


if __name__ == "__main__":
    sys.exit(main())
