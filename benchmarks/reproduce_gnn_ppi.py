"""GNN-PPI reproduced with its own model and protocol, what its protocol's choices are worth, and protein language
model embeddings under the protocol PLM papers run on GNN-PPI's splits — SHS27k BFS / DFS / random.

    python benchmarks/reproduce_gnn_ppi.py [--tasks shs27k shs27k-dfs shs27k-random] [--seeds 0 1 2 3 4]
                                           [--choice-seeds 0 1 2 3 4] [--plm-models aac unirep] [--jobs 2]
                                           [--out benchmarks/results/gnn_ppi] [--only GROUP ...] [--table-only]

Groups of runs, each into its own folder under ``--out`` (a rerun resumes: results of the same identity are
reused), all with ``--jobs`` single-thread workers:

- ``reproduction`` → ``gnn-ppi/``: ``protbench run --model gnn-ppi --preset gnn-ppi`` (GNN-PPI's vec5 encoder
  trained end to end with the GIN, 300 epochs, held-out pairs in the message-passing graph and choosing the
  epoch, one split per seed; docs/reproducing-published.md §4), ``--seeds``.
- ``choices`` → ``select-valid/``, ``graph-train/``: the same runs with one choice changed, ``--choice-seeds``
  (each 300-epoch run costs ~8 CPU-minutes here): the epoch chosen on a validation split carved from the
  training pairs (10 %; the test pairs are unchanged, drawn first), and a message-passing graph of training
  pairs only (GCT, at training and at test time).
- ``plm`` → ``plm-ppi/``: ``--preset plm-ppi`` (frozen mean-pooled embeddings → Linear(d, 256) → GNN-PPI's GIN
  and head, trained as GNN-PPI trains; OntoProtein's and KeAP's benchmark code) for ``--plm-models``, recorded
  as ``MODEL@plm-ppi``, ``--seeds`` (the same splits as the reproduction's seeds).

Then writes ``<out>/table.md``: the reproduction (measured mean ± std beside GNN-PPI's published mean ± std,
|Δ| / σ, a within-2σ verdict; published numbers from ``results/reported/gnn-ppi/``, GNN-PPI README,
lvguofeng/GNN_PPI @ cd1843ebec57, images/benchmark.png), the protocol choices (paired differences with 95 % t
intervals), the PPI readings (selected vs last epoch, BS / ES / NS) of every group, and the encoders under one
protocol. Needs the data mirror ($PROTBENCH_MIRROR); no network.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GROUPS = ("reproduction", "choices", "plm")
# the choice changed -> (folder, protbench run --param settings on top of --preset gnn-ppi)
CHOICES = {
    "epoch: chosen on a validation split carved from train (10 %)":
        ("select-valid", ["ppi-gnn-finetune.valid_fraction=0.1", "ppi-gnn-finetune.select_on=valid"]),
    "graph: training pairs only (GCT), at training and test time":
        ("graph-train", ["ppi-gnn-finetune.graph=train"]),
}
PLM_TITLE = "Encoders under one PPI protocol"
PLM_CAPTION = ("SHS27k micro-F1, mean ± std over seeds (one split per seed, the same splits in every row). Preset "
               "gnn-ppi: GNN-PPI's own encoder on vec5 features trained end to end with the GIN. Preset plm-ppi: "
               "frozen mean-pooled embeddings through Linear(d, 256) into the same GIN and head, trained the same way "
               "(the protocol of OntoProtein's and KeAP's GNN-PPI benchmark). Both select the epoch on the held-out "
               "pairs, which are also message-passing edges: the numbers are optimistic (see the protocol choices).")


def protbench_run(args: argparse.Namespace, model: str, out: Path, seeds: list[str], extra: list[str]) -> list[str]:
    return ["protbench", "run", "--model", model, "--tasks", *args.tasks, "--seeds", *seeds, "--jobs",
            str(args.jobs), "--threads", "1", "--offline", *extra, "--output-dir", str(out)]


def commands(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    """``(group, argv)`` of every run, in order."""
    out = []
    if "reproduction" in args.only:
        out.append(("reproduction", protbench_run(args, "gnn-ppi", args.out, args.seeds, ["--preset", "gnn-ppi"])))
    if "choices" in args.only:
        for folder, params in CHOICES.values():
            extra = ["--preset", "gnn-ppi"] + [x for p in params for x in ("--param", p)]
            out.append(("choices", protbench_run(args, "gnn-ppi", args.out / folder, args.choice_seeds, extra)))
    if "plm" in args.only:
        for model in args.plm_models:
            extra = ["--preset", "plm-ppi", "--name", f"{model}@plm-ppi"]
            if model.startswith("unirep"):
                extra += ["--token-budget", "262144"]     # more rows per recurrent step: ~2x tokens/s on 2 cores
            out.append(("plm", protbench_run(args, model, args.out / "plm-ppi", args.seeds, extra)))
    return out


def table(args: argparse.Namespace) -> str:
    from protbench.leaderboard.collect import collect
    from protbench.leaderboard.render import gnn_ppi_report_markdown

    reference = collect([args.out / "gnn-ppi", REPO / "results" / "reported" / "gnn-ppi"])
    changed = {choice: collect([args.out / folder / "gnn-ppi"]) for choice, (folder, _) in CHOICES.items()
               if (args.out / folder / "gnn-ppi").is_dir()}
    encoders = [args.out / "gnn-ppi"] + sorted(p for p in (args.out / "plm-ppi").glob("*")
                                               if p.is_dir() and not p.name.startswith("."))
    return gnn_ppi_report_markdown(reference, changed, collect(encoders), PLM_TITLE, PLM_CAPTION)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", nargs="+", default=["shs27k", "shs27k-dfs", "shs27k-random"])
    ap.add_argument("--seeds", nargs="+", default=["0", "1", "2", "3", "4"], help="reproduction and plm runs")
    ap.add_argument("--choice-seeds", nargs="+", default=["0", "1", "2", "3", "4"], help="runs with one choice changed")
    ap.add_argument("--plm-models", nargs="+", default=["aac", "unirep"])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "gnn_ppi")
    ap.add_argument("--only", nargs="+", choices=GROUPS, default=list(GROUPS), help="run only these groups")
    ap.add_argument("--table-only", action="store_true", help="write table.md from the results in --out, run nothing")
    args = ap.parse_args(argv)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}
    status = 0
    if not args.table_only:
        for _, cmd in commands(args):
            print("+ " + " ".join(cmd), flush=True)
            status = subprocess.run(cmd, env=env, check=False).returncode or status
    if not (args.out / "gnn-ppi").is_dir():
        print(f"reproduce_gnn_ppi: no results in {args.out / 'gnn-ppi'}; run without --table-only first "
              f"(or give --out the folder that holds gnn-ppi/)", file=sys.stderr)
        return status or 2
    text = table(args)
    (args.out / "table.md").write_text("# GNN-PPI reproduced, its protocol's choices, encoders under one protocol\n\n"
                                       f"Made by `python benchmarks/reproduce_gnn_ppi.py`.\n\n{text}")
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
