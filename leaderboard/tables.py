"""Leaderboard tables built from a :class:`~protbench.leaderboard.collect.Board`.

* :func:`task_table` — one column per task (grouped by family), the task's
  main metric; measured rows, then reported rows (†, real profile only).
* :func:`family_table` — per family the mean of its tasks' main metrics, the
  overall score (mean of the family means) and, as PEER does, the mean
  reciprocal rank across tasks.

Rules that hold in every table:

* measured and reported numbers sit in separate rows and are aggregated
  separately (a reported number never enters a measured mean);
* a measured cell whose model also has a reported number shows
  Δ = measured − reported, where the measured cell ran the publication's
  protocol (the reported file's ``source.preset``); a number published under
  another protocol gets no Δ (the reproduction table says why);
* aggregates say how many tasks (families) they cover, ``(k/n)``; a model
  missing tasks is never silently averaged as if complete;
* MRR: per task, the rows of one kind with a score are ranked (ties share the
  better rank; lower-is-better metrics ranked ascending); a row without a score
  for a task contributes 0 to its mean, so missing tasks cost rank;
* main metrics that are lower-is-better are left out of means (noted);
* on real data, a measured result not comparable with the published setting
  (``--limit``, fewer seeds than published, random-init weights, a
  non-default protocol preset or settings; see
  :meth:`~protbench.leaderboard.collect.Cell.caveats`) is shown marked §
  with its reasons under the table, and left out of family means and MRR;
* plugin tasks (not built into protbench) are listed under "additional
  tasks" and never enter family means or MRR.

Tables are plain data (:class:`Table`); :mod:`.render` turns them into text.
"""
from __future__ import annotations

import re

from dataclasses import dataclass, field, replace

import numpy as np

from .collect import Board, Stat, is_derived
from .stats import Analysis, Paired

MARK_REPORTED = "†"
MARK_PARTIAL = "‡"
MARK_BETTER = "▲"
MARK_WORSE = "▼"
MARK_CAVEAT = "§"
ADDITIONAL = "additional tasks"


@dataclass
class Entry:
    """One table cell: a statistic or a reason there is none.

    ``status``: ok | failed | skipped | missing | no-score (a result without
    this metric/split). ``coverage`` = (covered, total) for aggregates.
    """

    status: str
    kind: str = "measured"
    stat: Stat | None = None
    message: str = ""
    delta: float | None = None
    paired: Paired | None = None
    sig: str = ""                    # "better" | "worse" | "" against the reference model
    partial: str = ""                # variant label when a partial variant fills this column
    coverage: tuple[int, int] | None = None
    metric: str = ""
    task: str = ""
    caveats: tuple[str, ...] = ()    # why a measured number is not comparable with the published setting (§)


@dataclass
class Header:
    label: str
    group: str = ""


@dataclass
class Row:
    label: str
    group: str
    entries: list[Entry]
    model: str = ""
    kind: str = "measured"


@dataclass
class Table:
    key: str
    title: str
    caption: str
    profile: str
    corner: str
    columns: list[Header]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    row_groups: bool = False      # renderers print a group line where ``Row.group`` changes

    def transpose(self, corner: str = "") -> "Table":
        """Rows become columns (e.g. tasks as rows, grouped by family, and models as columns)."""
        cols = [Header(r.label, r.group) for r in self.rows]
        rows = [Row(label=h.label, group=h.group, entries=[r.entries[j] for r in self.rows])
                for j, h in enumerate(self.columns)]
        return replace(self, corner=corner, columns=cols, rows=rows, row_groups=not self.row_groups)


def split_by_group(table: Table) -> list[Table]:
    """One table per row group (per family for the per-task table), keeping only the columns (models) with a
    result in that group and the rows (tasks) with any result; tasks without results are named in a note.
    The table's own notes go under the last part. Tables without row groups come back unchanged."""
    if not table.row_groups:
        return [table]
    has = lambda e: e.status != "missing"  # noqa: E731
    parts = []
    for group in dict.fromkeys(r.group for r in table.rows):
        rows = [r for r in table.rows if r.group == group]
        filled = [r for r in rows if any(has(e) for e in r.entries)]
        empty = [r.label for r in rows if not any(has(e) for e in r.entries)]
        if not filled:
            continue
        cols = [j for j in range(len(table.columns)) if any(has(r.entries[j]) for r in filled)]
        slug = re.sub(r"[^A-Za-z0-9]+", "-", group).strip("-").lower() or "tasks"
        parts.append(replace(table, key=f"{table.key}-{slug}", title=f"{table.title}: {group}",
                             columns=[table.columns[j] for j in cols],
                             rows=[replace(r, entries=[r.entries[j] for j in cols]) for r in filled],
                             notes=[f"no results yet: {', '.join(empty)}"] if empty else [], row_groups=False))
    if parts:
        parts[-1].notes = parts[-1].notes + list(table.notes)
    return parts or [table]


def profile_caption(profile: str) -> str:
    if profile == "smoke":
        return ("SMOKE PROFILE: synthetic data with planted signal, generated by protbench; these numbers test "
                "the pipeline and are not comparable with real-data or published results.")
    return "Real benchmark data."


def entry_for(board: Board, model: str, task: str, profile: str, kind: str, metrics: tuple[str, ...] = (),
              analysis: Analysis | None = None) -> Entry:
    """The entry of one model × task: the first of ``metrics`` present (default: the main metric)."""
    cell = board.get(model, task, profile, kind)
    if cell is None:
        return Entry(status="missing", kind=kind, task=task)
    if cell.status != "ok":
        return Entry(status=cell.status, kind=kind, message=cell.message, task=task)
    wanted = metrics or (cell.main_metric,)
    metric = next((m for m in wanted if cell.stat(m) is not None), None)
    if metric is None:
        if kind == "reported":   # a paper that does not report this metric: nothing is missing here
            return Entry(status="missing", kind=kind, task=task)
        have = ", ".join(sorted(cell.stats)) or "none"
        return Entry(status="no-score", kind=kind, task=task,
                     message=f"no {board.split} score for {wanted[0]} (has: {have})")
    e = Entry(status="ok", kind=kind, stat=cell.stat(metric), metric=metric, task=task,
              partial=cell.variant if cell.variant != "full" else "",
              caveats=tuple(caveats_of(board, cell, profile)))
    if kind == "measured":
        rep = board.get(model, task, profile, "reported")
        if rep is not None and rep.stat(metric) is not None and cell.same_protocol(rep):
            e.delta = e.stat.mean - rep.stat(metric).mean
        if analysis is not None and metric == cell.main_metric:
            e.paired = analysis.tests.get((model, task, profile))
            if e.paired is not None and e.paired.p < analysis.alpha:
                e.sig = "better" if e.paired.delta > 0 else "worse"
    return e


def caveats_of(board: Board, cell, profile: str) -> list[str]:
    """Why a cell is not comparable with the published setting (real data only; the smoke profile is
    apart as a whole)."""
    return board.caveats(cell) if cell is not None and profile == "real" else []


def counts(board: Board, cell, profile: str) -> bool:
    """True when a cell may enter family means and MRR: ok, with a score, and comparable."""
    return cell is not None and cell.status == "ok" and cell.stat() is not None \
        and not caveats_of(board, cell, profile)


def row_label(model: str, kind: str, reference: str | None = None) -> str:
    label = model + (f" {MARK_REPORTED}" if kind == "reported" else "")
    return label + (" (ref)" if reference and model == reference and kind == "measured" else "")


def model_rows(board: Board, profile: str) -> list[tuple[str, str]]:
    """(model, kind) pairs to show: measured models, then reported ones (real profile only)."""
    rows = [(m, "measured") for m in board.models(profile, "measured")]
    if profile == "real":
        rows += [(m, "reported") for m in board.models(profile, "reported")]
    return rows


def missing_notes(table: Table) -> list[str]:
    """Notes that say which cells are missing, failed or skipped, and why."""
    notes = []
    for row in table.rows:
        missing = list(dict.fromkeys(e.task or h.label for h, e in zip(table.columns, row.entries)
                                     if e.status == "missing"))
        if missing and row.kind == "measured":
            notes.append(f"{row.model}: no result for {', '.join(missing)}")
        for h, e in zip(table.columns, row.entries):
            if e.status in ("failed", "skipped", "no-score"):
                notes.append(f"{row.model} × {e.task or h.label}: {e.status}: {e.message}")
            if e.caveats:
                notes.append(f"{MARK_CAVEAT} {row.model} × {e.task or h.label}: {'; '.join(e.caveats)}")
    return list(dict.fromkeys(notes))


def task_table(board: Board, profile: str, analysis: Analysis | None = None) -> Table:
    tasks = board.task_ids(profile=profile)
    tasks = [t for t in tasks if board.tasks[t].builtin] + [t for t in tasks if not board.tasks[t].builtin]
    ref = analysis.reference if analysis else None
    rows = []
    for model, kind in model_rows(board, profile):
        entries = [entry_for(board, model, t, profile, kind, analysis=analysis) for t in tasks]
        rows.append(Row(row_label(model, kind, ref), kind, entries, model=model, kind=kind))
    cols = [Header(f"{t} ({board.tasks[t].main_metric})" + (f" {MARK_PARTIAL}" if is_derived(t, board.tasks[t].variant)
                                                              else ""),
                   board.tasks[t].family if board.tasks[t].builtin else ADDITIONAL) for t in tasks]
    table = Table(key=f"tasks-{profile}", title=f"Per-task scores ({profile} data, {board.split} split)",
                  caption=f"{profile_caption(profile)} Each task's main metric in brackets.",
                  profile=profile, corner="model", columns=cols, rows=rows)
    notes = missing_notes(table)
    plugins = [t for t in tasks if not board.tasks[t].builtin]
    if plugins:
        notes.append(f"{ADDITIONAL}: {', '.join(plugins)} (plugin tasks, not part of the benchmark; never in "
                     f"family means or MRR)")
    table = table.transpose(corner="task")      # tasks as rows (grouped by family), models as columns
    table.notes = notes
    return table


def _mean_stat(values: list[float], total: int) -> Entry:
    if not values:
        return Entry(status="missing", coverage=(0, total))
    return Entry(status="ok", stat=Stat(mean=float(np.mean(values)), n=len(values)), coverage=(len(values), total))


def reciprocal_ranks(board: Board, profile: str, kind: str, rows: list[str]) -> dict[str, list[float]]:
    """Per model, the reciprocal rank on every task (0 where the model has no score)."""
    out: dict[str, list[float]] = {m: [] for m in rows}
    for t in board.task_ids(profile=profile, core_only=True):
        scores = {}
        for m in rows:
            cell = board.get(m, t, profile, kind)
            if counts(board, cell, profile):
                st = cell.stat()
                scores[m] = st.mean if board.tasks[t].higher_is_better else -st.mean
        if not scores:
            continue
        for m in rows:
            if m in scores:
                rank = 1 + sum(1 for v in scores.values() if v > scores[m])
                out[m].append(1.0 / rank)
            else:
                out[m].append(0.0)
    return out


def family_table(board: Board, profile: str) -> Table:
    families = board.families(profile)
    pairs = model_rows(board, profile)
    rr = {kind: reciprocal_ranks(board, profile, kind, [m for m, k in pairs if k == kind])
          for kind in ("measured", "reported")}
    excluded = sorted(t for t in board.task_ids(profile=profile, core_only=True)
                      if not board.tasks[t].higher_is_better)
    core = set(board.task_ids(profile=profile, core_only=True))
    partial = [t for t in board.task_ids(profile=profile) if t not in core and board.tasks[t].builtin]
    rows, left_out, unranked = [], [], []
    for model, kind in pairs:
        entries, fam_means = [], []
        for fam in families:
            tids = [t for t in board.task_ids(fam, profile, core_only=True) if board.tasks[t].higher_is_better]
            vals = []
            for t in tids:
                cell = board.get(model, t, profile, kind)
                if counts(board, cell, profile):
                    vals.append(cell.stat().mean)
                elif cell is not None and cell.status == "ok" and cell.stat() is not None:
                    left_out.append(f"{MARK_CAVEAT} {model} × {t}: {'; '.join(caveats_of(board, cell, profile))}")
            e = _mean_stat(vals, len(tids))
            e.kind = kind
            entries.append(e)
            if e.stat is not None:
                fam_means.append(e.stat.mean)
        overall = _mean_stat(fam_means, len(families))
        overall.kind = kind
        ranks = rr[kind][model]
        n_tasks = len(board.task_ids(profile=profile, core_only=True))
        mrr = Entry(status="ok" if ranks else "missing", kind=kind,
                    stat=Stat(mean=float(np.sum(ranks) / n_tasks), n=sum(1 for r in ranks if r > 0))
                    if ranks else None, coverage=(sum(1 for r in ranks if r > 0), n_tasks))
        if not any(e.stat is not None for e in entries):
            unranked.append(row_label(model, kind))
            continue
        rows.append(Row(row_label(model, kind), kind, entries + [overall, mrr], model=model, kind=kind))
    cols = [Header(f, "family mean") for f in families] + [Header("overall", "mean of families"),
                                                           Header("MRR", "across tasks")]
    notes = [f"tasks with a lower-is-better main metric left out of means: {', '.join(excluded)}"] if excluded else []
    if left_out:
        notes.append("results not comparable with the published setting, left out of family means and MRR:")
        notes += list(dict.fromkeys(left_out))
    if unranked:
        notes.append(f"rows left out, none of their results counts toward a family score (none here, or only § "
                     f"results or task variants; see the per-task tables): {', '.join(unranked)}")
    plugins = [t for t in board.task_ids(profile=profile) if not board.tasks[t].builtin]
    if plugins:
        notes.append(f"plugin tasks (not part of the benchmark) left out of family means and MRR: "
                     f"{', '.join(plugins)}")
    if partial:
        notes.append(f"task variants (other splits, partial data or other ground truth) left out of family means "
                     f"and MRR: "
                     f"{', '.join(partial)}")
    n_full = len(board.task_ids(profile=profile, core_only=True))
    caption = (f"{profile_caption(profile)} Family score = mean of the family's task main metrics; overall = "
               f"mean of family scores; MRR = mean reciprocal rank over all {n_full} tasks among "
               f"rows of the same kind (a missing task counts 0). (k/n) = tasks or families covered.")
    return Table(key=f"families-{profile}", title=f"Family and overall scores ({profile} data)", caption=caption,
                 profile=profile, corner="model", columns=cols, rows=rows, notes=notes)
