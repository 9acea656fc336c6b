"""``protbench compare A B``: per task × metric differences between two result folders.

Cells are matched on (model, task, profile) among measured results. A
difference ``B − A`` whose absolute value exceeds the tolerance of its metric
(``--tolerance`` or a ``--metric-tolerance NAME=VALUE`` override) is a
violation; with ``only_worse`` only changes for the worse count (direction from
the task's ``higher_is_better`` for its main metric and
:data:`protbench.metrics.LOWER_IS_BETTER` for the others). A status change
(ok → failed, …) and a cell present on one side only are violations too,
unless ``allow_missing``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .collect import Board, collect


@dataclass
class Difference:
    model: str
    task: str
    profile: str
    metric: str
    a: float | None
    b: float | None
    status_a: str
    status_b: str
    tolerance: float
    exceeded: bool
    why: str = ""

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


def _lower_better(metric: str) -> bool:
    from protbench.metrics import LOWER_IS_BETTER

    return metric in LOWER_IS_BETTER


def compare_boards(a: Board, b: Board, tolerance: float = 0.0, metric_tolerance: dict[str, float] | None = None,
                   metrics: list[str] | None = None, only_worse: bool = False,
                   allow_missing: bool = False) -> list[Difference]:
    metric_tolerance = metric_tolerance or {}
    out: list[Difference] = []
    keys = sorted({k[:3] for k in a.cells if k[3] == "measured"} | {k[:3] for k in b.cells if k[3] == "measured"})
    for model, task, profile in keys:
        ca, cb = a.get(model, task, profile), b.get(model, task, profile)
        if ca is None or cb is None:
            side = "A" if ca is None else "B"
            out.append(Difference(model, task, profile, "-", None, None, ca.status if ca else "missing",
                                  cb.status if cb else "missing", tolerance, not allow_missing,
                                  f"no result in {side}"))
            continue
        if ca.status != "ok" or cb.status != "ok":
            changed = ca.status != cb.status
            out.append(Difference(model, task, profile, "-", None, None, ca.status, cb.status, tolerance,
                                  changed and not (only_worse and cb.status == "ok"),
                                  f"status {ca.status} → {cb.status}" if changed else f"{ca.status} in both"))
            continue
        names = metrics or sorted(set(ca.stats) | set(cb.stats))
        for m in names:
            sa, sb = ca.stat(m), cb.stat(m)
            tol = metric_tolerance.get(m, tolerance)
            if sa is None or sb is None:
                if sa is None and sb is None:
                    continue
                out.append(Difference(model, task, profile, m, sa.mean if sa else None, sb.mean if sb else None,
                                      "ok", "ok", tol, not allow_missing,
                                      f"metric only in {'B' if sa is None else 'A'}"))
                continue
            d = sb.mean - sa.mean
            higher = ca.higher_is_better if m == ca.main_metric else not _lower_better(m)
            worse = d < 0 if higher else d > 0
            exceeded = abs(d) > tol + 1e-12 and (worse or not only_worse)
            out.append(Difference(model, task, profile, m, sa.mean, sb.mean, "ok", "ok", tol, exceeded,
                                  ("worse" if worse else "better") if not math.isclose(d, 0.0) else ""))
    return out


def compare(a: Path, b: Path, **kwargs) -> tuple[list[Difference], Board, Board]:
    ba, bb = collect(a), collect(b)
    return compare_boards(ba, bb, **kwargs), ba, bb


def format_differences(diffs: list[Difference], show_all: bool = False) -> str:
    from tabulate import tabulate

    from .render import plain

    def f(v):
        return "" if v is None else f"{v:.4f}"

    rows = [(plain(d.model), plain(d.task), d.profile, plain(d.metric), f(d.a), f(d.b),
             "" if d.delta is None else f"{d.delta:+.4f}", f"{d.tolerance:g}", "EXCEEDED" if d.exceeded else "ok",
             plain(d.why))
            for d in diffs if show_all or d.exceeded]
    if not rows:
        return "no differences beyond tolerance" if diffs else "nothing to compare"
    return tabulate(rows, headers=["model", "task", "profile", "metric", "A", "B", "B − A", "tol", "", "note"],
                    disable_numparse=True)
