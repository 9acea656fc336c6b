"""The downstream table of the bounded pretraining runs (``results/pretraining/README.md``).

Reads the result files that ``results/pretraining/evaluate.sh`` writes (one folder per model, as
``protbench run`` lays them out; zero-shot results in their own folder, since they share model and task with
the bridge results) and prints, per task and protocol, the test main metric as mean ± sample std over seeds
for each run, plus paired bootstrap tests on the same test items (1,000 resamples of the items, the seed-mean
metric per resample; :mod:`protbench.leaderboard.stats`) of the ProtCLIP run against each control.

    python -m protbench.protclip.suite_table RESULTS [--zero-shot DIR] --runs full=NAME mlm=NAME init=NAME
        [--baseline aac]

A run trained with several seeds is one comma list, ``full=NAME_S0,NAME_S1,NAME_S2``: its cell is then the mean ±
sample std over those training runs of each run's seed-mean metric, and the Δ column gives the 95 % interval of a
paired bootstrap over test items in which each resample's value is the mean over the training runs (every run's
resample uses the same items), then ``runs [lo, hi]``, the 95 % Welch t interval over the training runs: the first
says how sure the test set makes the difference of these runs, the second whether it exceeds training-seed spread.
A model without an ``@shared`` folder (``unirep``: no shared space) is read from its plain folder in the shared-space rows (the bridge), and shows – where it has no result (zero-shot).
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

from protbench.leaderboard.collect import Board, Cell, collect
from protbench.leaderboard.stats import Distribution, bootstrap_distribution, paired_test

# (task, protocol, suffix of the run's model name: "" encoder space, "@shared" the shared space)
ROWS = (("binloc", "probe", ""), ("beta-lactamase", "probe", ""),
        ("prot2bp-goa", "bridge", "@shared"), ("prot2mf-goa", "bridge", "@shared"),
        ("prot2cc-goa", "bridge", "@shared"),
        ("prot2bp-goa", "zero-shot", "@shared"), ("prot2mf-goa", "zero-shot", "@shared"),
        ("prot2cc-goa", "zero-shot", "@shared"),
        ("simsem-bp-human", "semsim", ""), ("simsem-mf-human", "semsim", ""), ("simsem-cc-human", "semsim", ""),
        ("subloc-partial", "zero-shot-labels", "@shared"))
LABELS = {"full": "ProtCLIP (4 objectives)", "mlm": "MLM only", "init": "random init", "gc": "GC only (CLIP)",
          "no-mlm": "without MLM", "no-bsr": "without BSR", "no-pda": "without PDA",
          "no-terms": "without the GO-term objective", "terms": "GO-term objective",
          "scratch": "random-weight UniRep, recipe (1)", "none": "no alignment (frozen UniRep, MiniLM)",
          "clip": "GC only (CLIP), no GO-term objective"}


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
    return float(d.mean()), _bootstrap_mean(d, n_boot)[0]


def _bootstrap_mean(d: np.ndarray, n_boot: int) -> tuple[float, float, float]:
    """Bootstrap of the mean of per-item differences ``d`` (seeded resamples): (two-sided p, 2.5 %, 97.5 %)."""
    boot = d[np.random.default_rng(0).integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
    p = min(1.0, (1 + 2 * min(int(np.sum(boot <= 0)), int(np.sum(boot >= 0)))) / (n_boot + 1))
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return p, float(lo), float(hi)


def _group(boards: list[Board], names: list[str], task: str, protocol: str, suffix: str) -> list[Cell | None]:
    """One cell per training run (None where a run has no ok result); see the module docstring for ``suffix``."""
    out = []
    for name in names:
        cell = _cell(boards, name + suffix, task, protocol)
        if cell is None and suffix and not any(b.get(name + suffix, task, "real") for b in boards):
            cell = _cell(boards, name, task, protocol)
        out.append(cell)
    return out


def _fmt_group(cells: list[Cell | None]) -> str:
    """One run: as :func:`_fmt`; several: mean ± sample std over the runs of their seed-mean metric."""
    if len(cells) == 1:
        return _fmt(cells[0])
    means = [c.stat().mean for c in cells if c is not None and c.stat() is not None]
    if not means:
        return "–"
    text = f"{np.mean(means):.3f} ± {np.std(means, ddof=1):.3f}" if len(means) > 1 else f"{means[0]:.3f}"
    return text + (f" ({len(means)} of {len(cells)} runs)" if len(means) < len(cells) else "")


def chance_mrr(n_candidates: int) -> float:
    """MRR of a uniformly random ranking of ``n_candidates`` terms with one true term per query: H_N / N. The
    filtered MRR ranks each true term among the N − (k − 1) candidates left when a protein's other k − 1 true
    terms are removed, so its chance is a little higher (by ~0.2 % for k = 20 of N = 10,618)."""
    return float(np.sum(1.0 / np.arange(1, n_candidates + 1)) / n_candidates)


def _candidates(cell: Cell | None) -> int | None:
    """Candidate terms of a retrieval result (``dataset.stats.candidates`` of its result file), or None."""
    for path in cell.files if cell is not None else ():
        n = json.loads(Path(path).read_text()).get("dataset", {}).get("stats", {}).get("candidates")
        if isinstance(n, int) and n > 0:
            return n
    return None


def _times_chance(cells: list[Cell | None]) -> str:
    """`` (16× chance)``: the runs' mean MRR over :func:`chance_mrr` of their candidate count; "" when unknown."""
    means = [c.stat().mean for c in cells if c is not None and c.stat() is not None]
    n = next((k for k in map(_candidates, cells) if k), None)
    if not means or not n:
        return ""
    ratio = float(np.mean(means)) / chance_mrr(n)
    return f" ({ratio:.0f}× chance)" if ratio >= 10 else f" ({ratio:.1f}× chance)"


def _pooled(cells: list[Cell]) -> Distribution | None:
    """Bootstrap values averaged over training runs (resample by resample: same items for every run)."""
    ds = [bootstrap_distribution(c, c.main_metric) for c in cells]
    if any(d is None for d in ds) or len({d.key for d in ds}) != 1:
        return None
    n = min(d.values.size for d in ds)
    return Distribution(values=np.mean([d.values[:n] for d in ds], axis=0), n_items=ds[0].n_items,
                        point=float(np.mean([d.point for d in ds])), key=ds[0].key)


def _group_ranks(cells: list[Cell]) -> np.ndarray | None:
    rr = [_reciprocal_ranks(c) for c in cells]
    if any(r is None for r in rr) or len({r.shape for r in rr}) != 1:
        return None
    return np.mean(rr, axis=0)


def _p(p: float, n_boot: int = 1000) -> str:
    """``p = 0.217``, or ``p ≤ 0.001`` when no resample of ``n_boot`` crossed 0 (p = 1 / (n_boot + 1): the
    resolution of the bootstrap, not a measured 0.000999)."""
    return f"p ≤ {1 / (n_boot + 1):.1g}" if p <= 1 / (n_boot + 1) else f"p = {p:.3g}"


def runs_interval(a: list[float], b: list[float]) -> tuple[float, float] | None:
    """95 % Welch t interval of mean(a) − mean(b), each value one training run's test metric; None with fewer
    than two runs on a side or no spread at all. The spread between training runs is what this interval holds and
    the bootstrap over test items (which averages the runs resample by resample) does not."""
    if len(a) < 2 or len(b) < 2 or (np.std(a) == 0 and np.std(b) == 0):
        return None
    with warnings.catch_warnings():     # near-identical runs: scipy warns of precision, the interval is ~0 wide
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    return float(ci.low), float(ci.high)


def _paired_groups(a: list[Cell | None], b: list[Cell | None], n_boot: int = 1000) -> str:
    """Δ = mean(a) − mean(b) over training runs, with a 95 % paired-bootstrap interval over test items and p,
    then ``runs [lo, hi]``: the Welch t interval over the training runs (:func:`runs_interval`)."""
    if len(a) == 1 and len(b) == 1:
        return _paired(a[0], b[0])
    if any(c is None or c.stat() is None for c in a + b):
        return "–"
    ma, mb = [c.stat().mean for c in a], [c.stat().mean for c in b]
    delta = float(np.mean(ma) - np.mean(mb))
    between = runs_interval(ma, mb)
    runs = f"; runs [{between[0]:+.3f}, {between[1]:+.3f}]" if between else ""
    da, db = _pooled(a), _pooled(b)
    if da is not None and db is not None:
        test = paired_test(da, db, a[0].higher_is_better)
        if test is not None:
            return f"{delta:+.3f} [{test.ci[0]:+.3f}, {test.ci[1]:+.3f}] ({_p(test.p, test.n_boot)}){runs}"
    ra, rb = _group_ranks(a), _group_ranks(b)
    if a[0].main_metric == "mrr" and ra is not None and rb is not None and ra.shape == rb.shape:
        p, lo, hi = _bootstrap_mean(ra - rb, n_boot)
        return f"{delta:+.3f} [{lo:+.3f}, {hi:+.3f}] ({_p(p, n_boot)}){runs}"
    return f"{delta:+.3f} (no per-item predictions){runs}"


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
            return f"{delta:+.3f} ({_p(ranks[1])})"
    if test is None:
        return f"{delta:+.3f} (no per-item predictions)"
    return f"{delta:+.3f} ({_p(test.p, test.n_boot)})"


def table(boards: list[Board], runs: dict[str, str | list[str]], baseline: str | None,
          labels: dict[str, str] | None = None, pairs: list[tuple[str, str]] = ()) -> str:
    """Markdown table; ``runs`` maps ``full`` and the controls to the model name of a result folder, or to
    several (one per training seed); ``labels`` replace :data:`LABELS`' column titles. One Δ column per
    control against ``full``, then one per ``(a, b)`` of ``pairs`` (Δ a − b, e.g. ``no-terms`` − ``clip``:
    ProtCLIP's four objectives against CLIP without the GO-term objective). Rows without any result are left
    out; zero-shot MRR cells add their multiple of chance (:func:`chance_mrr`)."""
    unknown = sorted({k for pair in pairs for k in pair} - set(runs))
    if unknown:
        raise ValueError(f"pair names {unknown} are not among the runs ({sorted(runs)})")
    deltas = [("full", k) for k in runs if k != "full"] + [tuple(pair) for pair in pairs]
    groups = {k: [v] if isinstance(v, str) else list(v) for k, v in runs.items()}
    seeded = any(len(v) > 1 for v in groups.values())
    names = {**LABELS, **(labels or {})}
    head = ["task", "protocol", "metric"] + [names.get(k, k) for k in groups] + ([baseline] if baseline else [])
    head += [f"Δ {a} − {b} ({'95 % interval over test items, ' if seeded else ''}paired p"
             f"{'; runs: 95 % Welch t interval over training runs' if seeded else ''})" for a, b in deltas]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for task, protocol, suffix in ROWS:
        cells = {k: _group(boards, names, task, protocol, suffix) for k, names in groups.items()}
        if not any(c is not None for cs in cells.values() for c in cs):
            continue
        base = _cell(boards, baseline, task, protocol) if baseline else None
        metric = next((c.main_metric for cs in cells.values() for c in cs if c is not None), "")
        chance = protocol == "zero-shot" and metric == "mrr"      # the goal is stated in × chance
        row = [task, protocol, metric] + [_fmt_group(c) + (_times_chance(c) if chance else "")
                                          for c in cells.values()] + ([_fmt(base)] if baseline else [])
        row += [_paired_groups(cells[a], cells[b]) for a, b in deltas]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("--zero-shot", type=Path, help="folder of the zero-shot results (same models and tasks)")
    ap.add_argument("--runs", nargs="+", metavar="KEY=MODEL[,MODEL...]", required=True,
                    help="full=MODEL (the ProtCLIP run) and the controls, e.g. mlm=MODEL init=MODEL; a comma "
                         "list of models is one run trained with several seeds")
    ap.add_argument("--baseline", help="a weight-free baseline model shown beside the runs (e.g. aac)")
    ap.add_argument("--label", action="append", metavar="KEY=TITLE", default=[],
                    help="column title of a run key (e.g. full='ProtCLIP + GO-term objective')")
    ap.add_argument("--pair", action="append", metavar="A=B", default=[],
                    help="one more Δ column, run A − run B (e.g. no-terms=clip); the others are full − each run")
    args = ap.parse_args(argv)
    runs = {k: v.split(",") if "," in v else v for k, v in (item.split("=", 1) for item in args.runs)}
    if "full" not in runs:
        ap.error("--runs needs full=MODEL")
    boards = [collect(args.results)] + ([collect(args.zero_shot)] if args.zero_shot else [])
    labels = dict(item.split("=", 1) for item in args.label)
    pairs = [tuple(item.split("=", 1)) for item in args.pair]
    try:
        text = table(boards, runs, args.baseline, labels, pairs)
    except ValueError as e:
        ap.error(str(e))
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
