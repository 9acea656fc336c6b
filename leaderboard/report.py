"""Build every leaderboard table from result folders and write the requested formats.

Per profile present (real data first, then the smoke profile, always apart):
the per-task table, the family/overall table and the four paper layouts.
Files written into ``out_dir``: ``leaderboard.md``, ``leaderboard.tex``,
``leaderboard.csv`` (long format) and ``leaderboard.html`` (self-contained,
figures embedded as PNG data URIs).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import plots, render
from .collect import Board, collect
from .layouts import paper_tables
from .stats import Analysis, analyse
from .tables import Table, family_table, task_table

FORMATS = ("md", "latex", "csv", "html")
FILENAMES = {"md": "leaderboard.md", "latex": "leaderboard.tex", "csv": "leaderboard.csv",
             "html": "leaderboard.html"}


@dataclass
class Report:
    board: Board
    analysis: Analysis
    tables: dict[str, list[Table]]                 # profile -> tables
    files: dict[str, Path] = field(default_factory=dict)
    figures: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)

    def all_tables(self) -> list[Table]:
        return [t for p in self.tables for t in self.tables[p]]

    def notes(self) -> list[str]:
        return list(self.analysis.notes)


def build_tables(board: Board, analysis: Analysis, layouts: str = "all") -> dict[str, list[Table]]:
    out: dict[str, list[Table]] = {}
    for profile in board.profiles():
        tables = []
        if layouts in ("all", "suite"):
            tables += [family_table(board, profile), task_table(board, profile, analysis)]
        if layouts in ("all", "paper"):
            tables += paper_tables(board, profile, analysis)
        out[profile] = tables
    return out


def build_report(roots: Iterable[Path] | Path, out_dir: Path | None = None, formats: Iterable[str] = FORMATS,
                 reference: str | None = None, n_boot: int = 1000, alpha: float = 0.05, split: str = "test",
                 registry: Any = None, layouts: str = "all", profiles: Iterable[str] | None = None,
                 figures: bool = True, budget_s: float = 5.0, title: str = "protbench leaderboard",
                 tasks: Iterable[str] | None = None) -> Report:
    """Collect, analyse, tabulate and (when ``out_dir`` is given) write the report files."""
    board = collect(roots, split=split, registry=registry, tasks=tasks)
    if profiles is not None:
        keep = set(profiles)
        board.cells = {k: c for k, c in board.cells.items() if c.profile in keep}
    if reference is not None and not any(c.model == reference and c.kind == "measured" for c in board.cells.values()):
        board.notes.append(f"reference model {reference!r} has no measured results; no paired tests")
    analysis = analyse(board, reference=reference, n_boot=n_boot, alpha=alpha, budget_s=budget_s)
    report = Report(board=board, analysis=analysis, tables=build_tables(board, analysis, layouts))
    formats = list(formats)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {sorted(unknown)}; choose from {FORMATS}")
    if out_dir is None:
        return report
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    notes = report.notes()
    if "md" in formats:
        report.files["md"] = _write(out_dir / FILENAMES["md"], render.markdown_document(
            report.all_tables(), board, title=title, ci=True, extra_notes=notes))
    if "latex" in formats:
        report.files["latex"] = _write(out_dir / FILENAMES["latex"],
                                       "\n".join(render.latex(t) for t in report.all_tables()))
    if "csv" in formats:
        report.files["csv"] = _write(out_dir / FILENAMES["csv"], render.to_csv(report.all_tables()))
    if "html" in formats:
        sections = []
        for profile, tables in report.tables.items():
            figs = []
            if figures:
                for caption, fn in ((f"Main metric per task and family ({profile} data); error bars = bootstrap "
                                     f"CI or ± std over seeds", plots.family_charts),
                                    (f"Task × model heat map ({profile} data)", plots.heatmap)):
                    png = fn(board, profile)
                    if png is not None:
                        figs.append((caption, png))
            report.figures[profile] = figs
            sections.append((profile, tables, figs))
        report.files["html"] = _write(out_dir / FILENAMES["html"],
                                      render.html_document(sections, board, title=title, extra_notes=notes))
    return report


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
