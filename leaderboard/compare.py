"""``protbench compare A B``: per task × metric differences between two result folders.

Cells are matched on (model, task, profile) among measured results. A
difference ``B − A`` whose absolute value exceeds the tolerance of its metric
(``--tolerance`` or a ``--metric-tolerance NAME=VALUE`` override) is a
violation, and so is a metric B records without a number (null) where A has one; with ``only_worse`` only changes for the worse count (direction from
the task's ``higher_is_better`` for its main metric and
:data:`protbench.metrics.LOWER_IS_BETTER` for the others). A status change
(ok → failed, …) is a violation too.

A cell present on one side only is listed as **missing**, never as a violation.
A pair whose identities differ in anything but the model (seeds, dataset
fingerprint, ``--limit``, protocol and its config, preset, settings, embedding
settings, profile) is flagged **not comparable** with the fields that differ,
and its differences never count as violations: only regressions between
comparable results make ``protbench compare`` exit non-zero.
"""
from __future__ import annotations

import math
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .collect import Board, Cell, collect


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
    incomparable: str = ""        # identity fields (other than the model) that differ between A and B

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


_NOT_COMPARED = {"model", "weights", "hash", "request_hash"}


def _setting(cell: Cell) -> dict[str, Any]:
    """What, besides the model, decides a cell's numbers (from the identity block when recorded)."""
    ident = cell.identity or {}
    proto = ident.get("protocol") or {}
    out = {"seeds": sorted(cell.seeds, key=lambda s: (len(s), s)), "dataset": cell.dataset, "limit": cell.limit,
           "protocol": cell.protocol or proto.get("name") or "", "preset": cell.preset or proto.get("preset"),
           "params": cell.params or {}}
    if proto.get("config") is not None:
        out["protocol config"] = proto.get("config")
        out["protocol revision"] = proto.get("revision", 1)      # recorded from revision 2 on
    for k, v in ident.items():
        if k not in _NOT_COMPARED and k not in ("seeds", "dataset", "limit", "protocol", "task"):
            out[k] = v
    return out


def identity_differences(ca: Cell, cb: Cell) -> list[str]:
    """Identity fields other than the model where two cells differ (fields one side does not record are
    skipped, so older results without an identity block are compared on what they have)."""
    a, b = _setting(ca), _setting(cb)
    out = []
    for k in a:
        if k in b and a[k] != b[k]:
            out.append(f"{k} ({_short(a[k])} vs {_short(b[k])})")
    return out


def _short(v: Any) -> str:
    t = json.dumps(v, sort_keys=True, default=str)
    return t if len(t) <= 40 else t[:37] + "..."


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
        if ca is None or cb is None:      # one-sided: listed as missing, never a regression
            side = "A" if ca is None else "B"
            out.append(Difference(model, task, profile, "-", None, None, ca.status if ca else "missing",
                                  cb.status if cb else "missing", tolerance, False, f"no result in {side}"))
            continue
        differ = "; ".join(identity_differences(ca, cb)) if ca.status == cb.status == "ok" else ""
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
                if sb is None and m in cb.stats:     # B recorded the metric without a number: never "fine"
                    out.append(Difference(model, task, profile, m, sa.mean, None, "ok", "ok", tol, not differ,
                                          "B's value is null (no number: NaN or undefined)", differ))
                    continue
                out.append(Difference(model, task, profile, m, sa.mean if sa else None, sb.mean if sb else None,
                                      "ok", "ok", tol, False, f"metric only in {'B' if sa is None else 'A'}",
                                      differ))
                continue
            if not (math.isfinite(sa.mean) and math.isfinite(sb.mean)):
                out.append(Difference(model, task, profile, m, sa.mean, sb.mean, "ok", "ok", tol, not differ,
                                      "not a finite number (NaN or infinite)", differ))
                continue
            d = sb.mean - sa.mean
            higher = ca.higher_is_better if m == ca.main_metric else not _lower_better(m)
            worse = d < 0 if higher else d > 0
            exceeded = abs(d) > tol + 1e-12 and (worse or not only_worse) and not differ
            out.append(Difference(model, task, profile, m, sa.mean, sb.mean, "ok", "ok", tol, exceeded,
                                  ("worse" if worse else "better") if not math.isclose(d, 0.0) else "", differ))
    return out


def compare(a: Path, b: Path, **kwargs) -> tuple[list[Difference], Board, Board]:
    ba, bb = collect(a), collect(b)
    return compare_boards(ba, bb, **kwargs), ba, bb


HEADERS = ["model", "task", "profile", "metric", "A", "B", "B − A", "tol", "verdict", "note"]


def verdict(d: Difference) -> str:
    if "missing" in (d.status_a, d.status_b):
        return "missing"
    if d.exceeded:
        return "EXCEEDED"
    if d.incomparable:
        return "NOT COMPARABLE"
    return "ok"


def format_differences(diffs: list[Difference], show_all: bool = False) -> str:
    """The comparisons as a table with column headers: every violation, one-sided result and pair that is
    not comparable (``show_all``: every comparison)."""
    from tabulate import tabulate

    from .render import plain

    def f(v):
        return "" if v is None else f"{v:.4f}"

    shown = [d for d in diffs if show_all or verdict(d) != "ok"]
    rows = [(plain(d.model), plain(d.task), d.profile, plain(d.metric), f(d.a), f(d.b),
             "" if d.delta is None else f"{d.delta:+.4f}", f"{d.tolerance:g}", verdict(d),
             plain("; ".join(x for x in (d.why, f"identities differ: {d.incomparable}" if d.incomparable else "")
                             if x)))
            for d in shown]
    table = tabulate(rows, headers=HEADERS, disable_numparse=True)
    if not rows:
        return table + "\n" + ("no differences beyond tolerance" if diffs else "nothing to compare")
    return table
