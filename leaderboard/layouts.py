"""The ProtCLIP paper's result tables (Zhou et al., AAAI 2025), regenerated from results.

Each :class:`Layout` lists its columns: header, group header, task id and the
metric names accepted for it (first one present wins, so tasks may name a
metric ``aupr`` or ``micro_aupr``). When the full task has no result for a
model but an explicitly named partial variant (id ``<task>-…``, variant not
``full``) has one, the partial result fills the cell, marked ‡ with its
variant in the notes — it never passes as the full benchmark.
"""
from __future__ import annotations

from dataclasses import dataclass

from .collect import Board
from .stats import Analysis
from .tables import (MARK_PARTIAL, Entry, Header, Row, Table, entry_for, missing_notes, model_rows,
                     profile_caption, row_label)

ACC = ("accuracy", "acc")
SPEARMAN = ("spearman",)
SEMSIM = ("spearman-manhattan", "spearman")
AUPR = ("aupr", "micro_aupr", "auprc", "aupr_micro", "micro-aupr", "auprc_micro")
FMAX = ("fmax", "f1_max", "f_max")
MRR = ("mrr",)
MICRO_F1 = ("micro_f1", "f1_micro", "micro-f1")


@dataclass(frozen=True)
class Column:
    header: str
    group: str
    task: str
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    key: str
    title: str
    caption: str
    columns: tuple[Column, ...]


PAPER_LAYOUTS: tuple[Layout, ...] = (
    Layout("paper-localization-mutation", "Protein localization and mutation effects",
           "Localization: accuracy (Sub = 10-class subcellular, Bin = binary); mutation effects: Spearman.", (
               Column("Sub", "Localization (Acc)", "subloc", ACC),
               Column("Bin", "Localization (Acc)", "binloc", ACC),
               Column("β-lac", "Fitness (Spearman)", "beta-lactamase", SPEARMAN),
               Column("AAV", "Fitness (Spearman)", "aav", SPEARMAN),
               Column("Thermo", "Fitness (Spearman)", "thermostability", SPEARMAN),
               Column("Flu", "Fitness (Spearman)", "fluorescence", SPEARMAN),
               Column("Sta", "Fitness (Spearman)", "stability", SPEARMAN),
           )),
    Layout("paper-function", "Protein function annotation",
           "Micro-AUPR and protein-centric Fmax on EC and GO (test identity cutoff 0.95).",
           tuple(Column(m, name, task, metrics)
                 for name, task in (("EC", "ec"), ("GO-BP", "go-bp"), ("GO-MF", "go-mf"), ("GO-CC", "go-cc"))
                 for m, metrics in (("AUPR", AUPR), ("Fmax", FMAX)))),
    Layout("paper-crossmodal", "Cross-modal transformation",
           "Mean reciprocal rank (filtered) on PrimeKG relations, BioBridge split.", (
               Column("Prot2BP", "MRR", "prot2bp", MRR),
               Column("Prot2MF", "MRR", "prot2mf", MRR),
               Column("Prot2CC", "MRR", "prot2cc", MRR),
               Column("Prot2Drug", "MRR", "prot2drug", MRR),
               Column("Disease2Prot", "MRR", "disease2prot", MRR),
           )),
    Layout("paper-similarity-ppi", "Semantic similarity inference and protein–protein interaction",
           "Semantic similarity: Spearman between embedding and GO similarity; PPI: micro-F1.", (
               Column("MF", "Semantic similarity (Spearman)", "simsem-mf", SEMSIM),
               Column("BP", "Semantic similarity (Spearman)", "simsem-bp", SEMSIM),
               Column("CC", "Semantic similarity (Spearman)", "simsem-cc", SEMSIM),
               Column("SHS27k", "PPI (micro-F1)", "shs27k", MICRO_F1),
               Column("SHS148k", "PPI (micro-F1)", "shs148k", MICRO_F1),
               Column("STRING", "PPI (micro-F1)", "string", MICRO_F1),
           )),
)


def candidate_tasks(board: Board, task: str) -> list[str]:
    """The full task first, then its explicitly named partial variants present on the board."""
    partial = sorted(t for t, info in board.tasks.items()
                     if t.startswith(task + "-") and info.variant != "full")
    return [task] + partial


def layout_entry(board: Board, model: str, kind: str, col: Column, profile: str,
                 analysis: Analysis | None) -> Entry:
    first = None
    for tid in candidate_tasks(board, col.task):
        e = entry_for(board, model, tid, profile, kind, col.metrics, analysis)
        if e.status == "ok":
            return e
        if first is None or (first.status == "missing" and e.status != "missing"):
            first = e
    return first


def layout_table(board: Board, layout: Layout, profile: str, analysis: Analysis | None = None) -> Table:
    ref = analysis.reference if analysis else None
    rows = []
    for model, kind in model_rows(board, profile):
        entries = [layout_entry(board, model, kind, c, profile, analysis) for c in layout.columns]
        if all(e.status == "missing" for e in entries):
            continue
        rows.append(Row(row_label(model, kind, ref), kind, entries, model=model, kind=kind))
    cols = [Header(c.header, c.group) for c in layout.columns]
    table = Table(key=f"{layout.key}-{profile}", title=f"{layout.title} ({profile} data)",
                  caption=f"{profile_caption(profile)} {layout.caption}", profile=profile, corner="model",
                  columns=cols, rows=rows)
    notes = missing_notes(table)
    partial = sorted({(e.task, e.partial) for r in rows for e in r.entries if e.partial})
    notes += [f"{MARK_PARTIAL} {t}: variant ({v}), not the benchmark as published" for t, v in partial]
    names = [c.header for c in layout.columns]
    if len(set(names)) < len(names):
        names = [f"{c.group} {c.header}" for c in layout.columns]
    absent = [names[j] for j in range(len(names)) if all(r.entries[j].status == "missing" for r in rows)]
    if absent:
        notes.insert(0, f"no results at all for: {', '.join(absent)}")
    table.notes = notes
    return table


def paper_tables(board: Board, profile: str, analysis: Analysis | None = None) -> list[Table]:
    return [layout_table(board, layout, profile, analysis) for layout in PAPER_LAYOUTS]
