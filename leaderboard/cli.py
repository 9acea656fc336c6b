"""Sub-commands ``leaderboard``, ``compare`` and ``quickstart`` for the ``protbench`` CLI."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def cmd_leaderboard(args: argparse.Namespace) -> int:
    if missing := [str(p) for p in args.results if not Path(p).is_dir()]:   # a typo is a usage error
        print(f"protbench leaderboard: error: no such results folder: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    from . import render
    from .report import FORMATS, build_report

    registry = None
    if not args.no_registry:
        from protbench.registry import load_registries

        registry = load_registries(include=args.include or [])
    formats = FORMATS if args.format == ["all"] else args.format
    report = build_report(args.results, out_dir=args.out, formats=formats, reference=args.reference,
                          n_boot=args.bootstrap, alpha=args.alpha, split=args.split, registry=registry,
                          layouts=args.layout, profiles=None if args.profile == "all" else [args.profile],
                          figures=not args.no_figures)
    if not report.board.cells:
        print(f"no results found under {', '.join(map(str, args.results))}", file=sys.stderr)
    if not args.quiet:
        for table in report.all_tables():
            if table.key.startswith(("families-", "tasks-")) or args.layout == "paper":
                print(render.text(table))
    for problem in report.board.problems:
        print(f"warning: {render.plain(problem)}", file=sys.stderr)
    for fmt, path in report.files.items():
        print(f"wrote {fmt:5s} {path}", file=sys.stderr)
    return EXIT_FAILED if report.board.problems and args.strict else EXIT_OK


def _metric_tolerances(items: list[str] | None) -> dict[str, float]:
    import math

    out = {}
    for item in items or ():
        name, _, value = item.partition("=")
        try:
            out[name] = float(value)
        except ValueError:
            out[name] = math.nan
        if not name or not math.isfinite(out[name]) or out[name] < 0:     # a NaN tolerance would pass everything
            print(f"protbench compare: error: --metric-tolerance expects NAME=NUMBER with a finite number >= 0, "
                  f"got {item!r}", file=sys.stderr)
            raise SystemExit(EXIT_USAGE)
    return out


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare, format_differences

    for p in (args.a, args.b):
        if not Path(p).exists():
            print(f"protbench compare: {p} does not exist", file=sys.stderr)
            return EXIT_USAGE
    diffs, ba, bb = compare(args.a, args.b, tolerance=args.tolerance,
                            metric_tolerance=_metric_tolerances(args.metric_tolerance), metrics=args.metrics,
                            only_worse=args.only_worse, allow_missing=args.allow_missing)
    for problem in ba.problems + bb.problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(format_differences(diffs, show_all=args.all))
    bad = sum(d.exceeded for d in diffs)
    missing = len({(d.model, d.task, d.profile) for d in diffs if "missing" in (d.status_a, d.status_b)})
    incomparable = len({(d.model, d.task, d.profile) for d in diffs if d.incomparable})
    print(f"\n{len(diffs)} comparisons, {bad} beyond tolerance on comparable results, {missing} result(s) on one "
          f"side only, {incomparable} pair(s) not comparable (identities differ)", file=sys.stderr)
    if ba.problems or bb.problems:     # a file that could not be read may hold the regression: never a pass
        print(f"{len(ba.problems) + len(bb.problems)} result file(s) could not be read (named above, skipped); "
              f"the comparison is incomplete", file=sys.stderr)
    return EXIT_FAILED if bad or ba.problems or bb.problems else EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    from protbench.commands.options import non_negative_int, number_in

    p = sub.add_parser("leaderboard", help="tables (Markdown, LaTeX, CSV, HTML) from result folders",
                       description="Per-task, per-family and overall tables plus the ProtCLIP paper layouts, "
                                   "reported numbers marked †, smoke-profile results kept apart.")
    p.add_argument("results", nargs="*", type=Path, default=[Path("results")],
                   help="result folders (default: results/)")
    p.add_argument("--out", type=Path, default=Path("leaderboard/out"), help="output folder")
    p.add_argument("--format", nargs="+", default=["all"], choices=("all", "md", "latex", "csv", "html"))
    p.add_argument("--layout", choices=("all", "suite", "paper"), default="all",
                   help="suite tables (per task, per family), the paper's tables, or both")
    p.add_argument("--profile", choices=("all", "real", "smoke"), default="all")
    p.add_argument("--reference", help="model for paired bootstrap tests (marked ▲/▼ in tables)")
    p.add_argument("--bootstrap", type=non_negative_int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--alpha", type=number_in(0, 1, low_open=True, high_open=True), default=0.05,
                   help="significance level / CI level 1-alpha (0 < alpha < 1)")
    p.add_argument("--split", default="test")
    p.add_argument("--no-figures", action="store_true", help="HTML without plots")
    p.add_argument("--no-registry", action="store_true",
                   help="only tasks found in results (default: every registered task, missing ones shown)")
    p.add_argument("--include", action="append", default=[], metavar="PATH", help="plugin file or folder")
    p.add_argument("--strict", action="store_true", help="exit 1 when a result file is invalid")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print tables to the terminal")
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("compare", help="differences between two result folders, exit 1 for regressions beyond "
                       "tolerance on comparable results",
                       description="Per model × task × metric differences B − A between two result folders.")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument("--tolerance", type=number_in(0), default=0.0,
                   help="absolute tolerance for every metric (a finite number >= 0)")
    p.add_argument("--metric-tolerance", action="append", metavar="NAME=VALUE",
                   help="tolerance for one metric (repeatable)")
    p.add_argument("--metrics", nargs="+", help="only these metrics (default: all in either result)")
    p.add_argument("--only-worse", action="store_true", help="only changes for the worse count")
    p.add_argument("--allow-missing", action="store_true", help="kept for compatibility: results present on one "
                   "side only are always listed as missing and never fail")
    p.add_argument("--all", action="store_true", help="print every comparison, not only the violations")
    p.add_argument("--strict", action="store_true", help="kept for compatibility: an invalid result file (named "
                   "and skipped) always makes compare exit 1")
    p.set_defaults(func=cmd_compare)
