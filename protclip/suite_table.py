"""The downstream table of the bounded pretraining runs (``results/pretraining/README.md``).

Reads the result files that ``results/pretraining/evaluate.sh`` writes (one folder per model, as
``protbench run`` lays them out; zero-shot results in their own folder, since they share model and task with
the bridge results) and prints, per task and protocol, the test main metric as mean ± sample std over seeds
for each run, plus paired bootstrap tests on the same test items (1,000 resamples of the items, the seed-mean
metric per resample; :mod:`protbench.leaderboard.stats`) of the ProtCLIP run against each control.

    python -m protbench.protclip.suite_table RESULTS [--zero-shot DIR] --runs full=NAME mlm=NAME init=NAME
        [--baseline aac]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from protbench.leaderboard.collect import Board, Cell, collect
from protbench.leaderboard.stats import bootstrap_distribution, paired_test

# (task, protocol, suffix of the run's model name: "" encoder space, "@shared" the shared space)
ROWS = (("binloc", "probe", ""), ("beta-lactamase", "probe", ""),
        ("prot2bp-goa", "bridge", "@shared"), ("prot2mf-goa", "bridge", "@shared"),
        ("prot2cc-goa", "bridge", "@shared"),
        ("prot2bp-goa", "zero-shot", "@shared"), ("prot2mf-goa", "zero-shot", "@shared"),
        ("prot2cc-goa", "zero-shot", "@shared"),
        ("simsem-bp-human", "semsim", ""), ("simsem-mf-human", "semsim", ""), ("simsem-cc-human", "semsim", ""))


def _cell(boards: list[Board], model: str, task: str, protocol: str) -> Cell | None:
    for board in boards:
        cell = board.get(model, task, "real")
        if cell is not None and cell.status == "ok" and cell.protocol == protocol:
            return cell
    return None


def _fmt(cell: Cell | None) -> str:
    stat = cell.stat() if cell is not None else None
    if stat is None:
        return "–"
    return f"{stat.mean:.3f} ± {stat.std:.3f}" if stat.n > 1 and stat.std is not None else f"{stat.mean:.3f}"


def _reciprocal_ranks(cell: Cell) -> np.ndarray | None:
    """Per test pair ``1 / rank``, mean over the cell's seeds (retrieval results keep ``<seed>/test.ranks``;
    their MRR is the mean of this vector), or None."""
    from protbench.store import load_arrays

    per_seed = [1.0 / seed["test.ranks"] for path in cell.predictions for seed in load_arrays(path).values()
                if "test.ranks" in seed]
    if not per_seed or len({len(r) for r in per_seed}) != 1:
        return None
    return np.mean(per_seed, axis=0)


def _paired_ranks(a: Cell, b: Cell, n_boot: int = 1000) -> tuple[float, float] | None:
    """Paired bootstrap over test pairs of the MRR difference ``a − b`` (same resamples for both): (Δ, p)."""
    ra, rb = _reciprocal_ranks(a), _reciprocal_ranks(b)
    if ra is None or rb is None or ra.shape != rb.shape:
        return None
    d = ra - rb
    idx = np.random.default_rng(0).integers(0, len(d), size=(n_boot, len(d)))
    boot = d[idx].mean(axis=1)
    p = min(1.0, (1 + 2 * min(int(np.sum(boot <= 0)), int(np.sum(boot >= 0)))) / (n_boot + 1))
    return float(d.mean()), p


def _paired(a: Cell | None, b: Cell | None) -> str:
    """Δ = a − b with the paired bootstrap p-value (items resampled jointly), or the plain Δ without predictions."""
    if a is None or b is None or a.stat() is None or b.stat() is None:
        return "–"
    delta = a.stat().mean - b.stat().mean
    da, db = bootstrap_distribution(a, a.main_metric), bootstrap_distribution(b, b.main_metric)
    test = paired_test(da, db, a.higher_is_better) if da is not None and db is not None else None
    if test is None and a.main_metric == "mrr":
        ranks = _paired_ranks(a, b)
        if ranks is not None:
            return f"{delta:+.3f} (p = {ranks[1]:.3g})"
    if test is None:
        return f"{delta:+.3f} (no per-item predictions)"
    return f"{delta:+.3f} (p = {test.p:.3g})"


def table(boards: list[Board], runs: dict[str, str], baseline: str | None) -> str:
    """Markdown table; ``runs`` maps ``full``/``mlm``/``init`` to the model names of the result folders."""
    labels = {"full": "ProtCLIP (4 objectives)", "mlm": "MLM only", "init": "random init"}
    head = ["task", "protocol", "metric"] + [labels.get(k, k) for k in runs] + ([baseline] if baseline else [])
    head += [f"Δ full − {k} (paired p)" for k in runs if k != "full"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for task, protocol, suffix in ROWS:
        cells = {k: _cell(boards, name + suffix, task, protocol) for k, name in runs.items()}
        base = _cell(boards, baseline, task, protocol) if baseline else None
        metric = next((c.main_metric for c in cells.values() if c is not None), "")
        row = [task, protocol, metric] + [_fmt(c) for c in cells.values()] + ([_fmt(base)] if baseline else [])
        row += [_paired(cells.get("full"), cells[k]) for k in runs if k != "full"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("--zero-shot", type=Path, help="folder of the zero-shot results (same models and tasks)")
    ap.add_argument("--runs", nargs="+", metavar="KEY=MODEL", required=True,
                    help="full=MODEL (the ProtCLIP run) and the controls, e.g. mlm=MODEL init=MODEL")
    ap.add_argument("--baseline", help="a weight-free baseline model shown beside the runs (e.g. aac)")
    args = ap.parse_args(argv)
    runs = dict(item.split("=", 1) for item in args.runs)
    if "full" not in runs:
        ap.error("--runs needs full=MODEL")
    boards = [collect(args.results)] + ([collect(args.zero_shot)] if args.zero_shot else [])
    print(table(boards, runs, args.baseline), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
