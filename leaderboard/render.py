"""Render :class:`~protbench.leaderboard.tables.Table` objects as Markdown, LaTeX, CSV, plain text and HTML.

Every string that comes from result files or plugin metadata (model and task
names, error messages, provenance) goes through the escaper of its format:
:func:`md_escape`, :func:`latex_escape`, :func:`html.escape`,
:func:`csv_safe` (spreadsheet formulas neutralised) and :func:`plain`
(control characters removed, so no terminal escape sequences get through).
Numbers are printed with three decimals.

Cell text: ``mean ± std`` (std over seeds, when more than one), ``[lo, hi]``
bootstrap CI where asked, then markers: † reported (copied from a paper),
‡ partial variant, ▲/▼ significantly better/worse than the reference model
(paired bootstrap), ``Δ`` = measured − reported (same protocol only), ``(k/n)`` coverage of an
aggregate. ``–`` no result, ``failed`` / ``skipped`` / ``n/a`` with the reason
in the notes.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import re
import textwrap
from typing import Iterable

from .collect import Board
from .reproduction import SUBSETS, mean_std, paired_interval, ppi_readings, protocol_effects, reproductions
from .tables import MARK_BETTER, MARK_CAVEAT, MARK_PARTIAL, MARK_REPORTED, MARK_WORSE, Entry, Table, split_by_group

NOTE_WIDTH = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$])")
_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
          "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
          ">": r"\textgreater{}", "|": r"\textbar{}", "†": r"\dag{}", "‡": r"\ddag{}", "Δ": r"$\Delta$",
          "±": r"$\pm$", "▲": r"$\uparrow$", "▼": r"$\downarrow$", "×": r"$\times$", "–": "--",
          "β": r"$\beta$", "§": r"\S{}", "∩": r"$\cap$",
          "—": "---"}

LEGEND = (f"{MARK_REPORTED} reported in a paper (not measured here); {MARK_PARTIAL} a variant of a benchmark (other "
          f"split, partial data or other ground truth), not the benchmark as published; "
          f"{MARK_CAVEAT} measured under a setting not comparable with the published one (limited data, fewer "
          f"seeds than published, random-init weights, another protocol than the task's default or non-default "
          f"protocol settings; reasons under the table), "
          f"left out of family means and MRR; "
          f"{MARK_BETTER}/{MARK_WORSE} significantly better/worse than the reference model (paired bootstrap); "
          f"Δ = measured − reported, where both ran the publication's protocol; ± = std over seeds; "
          f"[lo, hi] = bootstrap CI; (k/n) = tasks covered; "
          f"– = no result")


def plain(s: object) -> str:
    """Text safe for a terminal: control characters (ESC included) removed, newlines flattened."""
    return _CONTROL.sub("", str(s).replace("\r", " ").replace("\n", " ").replace("\t", " "))


def md_escape(s: object) -> str:
    return _MD_SPECIAL.sub(r"\\\1", plain(s))


def latex_escape(s: object) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in plain(s))


def csv_safe(s: object) -> str:
    """Cell text that a spreadsheet will not run as a formula (leading = + - @ get a quote)."""
    t = plain(s)
    return "'" + t if t[:1] in ("=", "+", "-", "@") and not _is_number(t) else t


def _is_number(t: str) -> bool:
    try:
        float(t)
        return True
    except ValueError:
        return False


def shorten(s: str, width: int = NOTE_WIDTH) -> str:
    return textwrap.shorten(plain(s), width, placeholder=" …") if s else ""


def fmt(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "–"
    return f"{v:+.3f}" if signed else f"{v:.3f}"


def entry_text(e: Entry, ci: bool = False) -> str:
    """The Unicode text of one entry (formats escape or translate it)."""
    if e.status == "missing":
        return "–" if e.coverage is None else f"– (0/{e.coverage[1]})"
    if e.status == "no-score":
        return "n/a"
    if e.status in ("failed", "skipped"):
        return e.status
    s = e.stat
    text = fmt(s.mean)
    if s.std is not None and s.n > 1:
        text += f" ± {fmt(s.std)}"
    if ci and s.ci is not None:
        text += f" [{fmt(s.ci[0])}, {fmt(s.ci[1])}]"
    marks = ""
    if e.kind == "reported":
        marks += MARK_REPORTED
    if e.partial:
        marks += MARK_PARTIAL
    if e.caveats:
        marks += MARK_CAVEAT
    if e.sig == "better":
        marks += MARK_BETTER
    elif e.sig == "worse":
        marks += MARK_WORSE
    if marks:
        text += " " + marks
    if e.coverage is not None and e.coverage[0] < e.coverage[1]:
        text += f" ({e.coverage[0]}/{e.coverage[1]})"
    if e.delta is not None:
        text += f" (Δ {fmt(e.delta, signed=True)})"
    return text


def column_labels(table: Table) -> list[str]:
    """Column labels, prefixed by their group where labels repeat (e.g. "EC AUPR", "GO-BP AUPR")."""
    labels = [h.label for h in table.columns]
    if len(set(labels)) == len(labels):
        return labels
    return [f"{h.group} {h.label}" if h.group else h.label for h in table.columns]


def _groups(table: Table) -> list[tuple[str, int]]:
    """Runs of equal column groups: [(group, span), ...]."""
    runs: list[tuple[str, int]] = []
    for h in table.columns:
        if runs and runs[-1][0] == h.group:
            runs[-1] = (h.group, runs[-1][1] + 1)
        else:
            runs.append((h.group, 1))
    return runs


# -- appendix: split overlap ----------------------------------------------------------------------
OVERLAP_TITLE = "Appendix: split overlap"
OVERLAP_CAPTION = ("Exact-sequence overlap between splits, per task, as recorded in the results "
                   "(dataset.stats.overlap): records of the first split whose sequence also occurs in the second, "
                   "how many of those carry a different label there, and up to 5 example ids.")


def overlap_rows(board: Board) -> list[list[str]]:
    rows = []
    order = {t: i for i, t in enumerate(board.task_ids())}
    for task in sorted(board.overlap, key=lambda t: (order.get(t, len(order)), t)):
        limited = board.overlap_limited.get(task)
        for pair, d in board.overlap[task].items():
            rows.append([task + (f" (--limit {limited})" if limited else ""), pair.replace("&", " ∩ "),
                         str(d.get("count", "")), str(d.get("different_label", "")),
                         ", ".join(map(str, d.get("examples") or ()))])
    return rows


OVERLAP_HEADERS = ["task", "splits", "shared sequences", "of which a different label", "examples"]


# -- appendix: homology leakage -------------------------------------------------------------------
LEAKAGE_TITLE = "Appendix: homology leakage"
LEAKAGE_CAPTION = ("Per task with a train split, the evaluation sequences with an exact copy in train and those whose "
                   "best MMseqs2 hit in train reaches each identity (identical aligned columns / alignment length, "
                   "alignment covering ≥ 80 % of the query, e-value ≤ 1e-3), as recorded in the results "
                   "(dataset.stats.leakage; `protbench leakage TASK` prints the same report).")
LEAKAGE_HEADERS = ["task", "split", "sequences", "exact copy in train", "≥ 30 %", "≥ 50 %", "≥ 90 %"]


def _share(d: dict[str, Any] | None) -> str:
    return "–" if not d else f"{d.get('count', 0)} ({100 * d.get('fraction', 0.0):.1f} %)"


def leakage_rows(board: Board) -> list[list[str]]:
    rows = []
    order = {t: i for i, t in enumerate(board.task_ids())}
    for task in sorted(board.leakage, key=lambda t: (order.get(t, len(order)), t)):
        for split, d in (board.leakage[task].get("splits") or {}).items():
            ident = d.get("identity") or {}
            rows.append([task, split, str(d.get("n", "")), _share(d.get("exact"))]
                        + [_share(ident.get(t)) for t in ("0.3", "0.5", "0.9")])
    return rows


# -- appendix: reproductions and PPI protocol readings (see reproduction.py) -------------------------
REPRO_TITLE = "Appendix: reproductions"
REPRO_CAPTION = ("Measured cells beside the published number of the same model and task. Verdict: within 2σ when "
                 "|Δ| ≤ 2 × the published std over the paper's runs, given only where the cell ran the paper's "
                 "protocol (its protbench preset) and the paper gives its spread.")
REPRO_HEADERS = ["model", "task", "metric", "measured (mean ± std, seeds)", "published (mean ± std)", "Δ",
                 "|Δ| / σ", "verdict"]
PPI_TITLE = "Appendix: PPI protocol readings"
PPI_CAPTION = ("The same PPI runs read at the epoch the protocol selects and at the last epoch (GNN-PPI saves both "
               "checkpoints), with the paired difference over seeds (95 % t interval), and the selected epoch's "
               "score on test pairs with both / one / no protein in a non-test pair (GNN-PPI's BS / ES / NS; "
               "mean test pairs per seed in brackets). Graph: all = held-out pairs are message-passing edges (GCA), "
               "train = training pairs only (GCT).")
PPI_HEADERS = ["model", "task", "graph, epoch chosen on", "seeds", "selected epoch", "last epoch",
               "last − selected [95 % CI]", "BS", "ES", "NS"]


def _mean_std_text(values: list[float]) -> str:
    if not values:
        return "–"
    mean, std = mean_std(values)
    return fmt(mean) + ("" if std is None else f" ± {fmt(std)}")


def reproduction_rows(board: Board) -> list[list[str]]:
    rows = []
    for r in reproductions(board):
        m, p = r.measured, r.published
        preset = f", preset {r.measured_preset}" if r.measured_preset else ""
        rows.append([r.model, r.task, r.metric,
                     f"{fmt(m.mean)}" + ("" if m.std is None else f" ± {fmt(m.std)}") + f" ({m.n}{preset})",
                     fmt(p.mean) + ("" if p.std is None else f" ± {fmt(p.std)}"), fmt(r.delta, signed=True),
                     "–" if r.sigmas is None else f"{r.sigmas:.2f}", r.verdict])
    return rows


def ppi_reading_rows(board: Board) -> list[list[str]]:
    rows = []
    for r in ppi_readings(board):
        diff = paired_interval(r.selected, r.last)
        subsets = []
        for name, _ in SUBSETS:
            sizes = r.subset_sizes.get(name) or [0]
            n = sum(sizes) / len(sizes)
            subsets.append(f"{_mean_std_text(r.subsets.get(name, []))} [{n:.0f}]")
        rows.append([r.model, r.task, f"{r.graph}, {r.selected_on}", str(len(r.selected)),
                     _mean_std_text(r.selected), _mean_std_text(r.last), _interval_text(diff), *subsets])
    return rows


EFFECTS_TITLE = "Protocol choices, measured"
EFFECTS_CAPTION = ("The publication's protocol (reference) against the same protocol with one choice changed, same "
                   "model, tasks and seeds (so the same held-out pairs): means over the seeds both ran and the paired "
                   "difference changed − reference with its 95 % t interval.")
EFFECTS_HEADERS = ["choice changed", "model", "task", "seeds", "reference", "changed", "changed − reference [95 % CI]"]


def _interval_text(diff: tuple[float, float, float] | None) -> str:
    if diff is None:
        return "–"
    return f"{fmt(diff[0], signed=True)} [{fmt(diff[1], signed=True)}, {fmt(diff[2], signed=True)}]"


def protocol_effect_rows(reference: Board, changed: dict[str, Board]) -> list[list[str]]:
    return [[e.choice, e.model, e.task, str(len(e.seeds)), _mean_std_text(list(e.reference)),
             _mean_std_text(list(e.changed)), _interval_text(e.difference)]
            for e in protocol_effects(reference, changed)]


def protocol_effects_markdown(reference: Board, changed: dict[str, Board]) -> str:
    """The protocol-choices table (``benchmarks/reproduce_gnn_ppi.py``): see :func:`protocol_effects`."""
    return _appendix_markdown(EFFECTS_TITLE, EFFECTS_CAPTION, EFFECTS_HEADERS, protocol_effect_rows(reference, changed),
                              "|---|---|---|---:|---:|---:|---:|")


def ppi_models_markdown(board: Board, title: str, caption: str) -> str:
    """Every measured real-data PPI cell of ``board``: one row per model (with its preset), one column per task,
    mean ± std over seeds (seeds in brackets)."""
    tasks = [t for t in board.task_ids(family="ppi", profile="real")
             if any(c.task == t and c.kind == "measured" and c.profile == "real" for c in board.cells.values())]
    rows = []
    for model in board.models("real", kind="measured"):
        cells = [board.get(model, t, "real", "measured") for t in tasks]
        if not any(c is not None and c.status == "ok" for c in cells):
            continue
        presets = sorted({c.preset or "default" for c in cells if c is not None and c.status == "ok"})
        texts = []
        for c in cells:
            st = c.stat(c.main_metric) if c is not None and c.status == "ok" else None
            texts.append("–" if st is None else fmt(st.mean) + ("" if st.std is None else f" ± {fmt(st.std)}")
                         + f" ({st.n})")
        rows.append([model, ", ".join(presets), *texts])
    return _appendix_markdown(title, caption, ["model", "protocol preset", *tasks], rows,
                              "|---|---|" + "---:|" * len(tasks))


def _appendix_markdown(title: str, caption: str, headers: list[str], rows: list[list[str]], align: str) -> str:
    if not rows:
        return ""
    out = [f"## {title}", "", md_escape(caption), "", "| " + " | ".join(md_escape(h) for h in headers) + " |", align]
    out += ["| " + " | ".join(md_escape(c) for c in r) + " |" for r in rows]
    return "\n".join(out + [""])


def _appendix_html(anchor: str, title: str, caption: str, headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return ""
    out = [f'<h2 id="{anchor}">{html.escape(title)}</h2>', f"<p>{html.escape(caption)}</p>",
           "<table>", "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows]
    return "\n".join(out + ["</table>"])


def reproduction_markdown(board: Board) -> str:
    """The reproduction and PPI-reading appendices alone (``benchmarks/reproduce_gnn_ppi.py``'s table)."""
    parts = (
        _appendix_markdown(REPRO_TITLE, REPRO_CAPTION, REPRO_HEADERS, reproduction_rows(board),
                           "|---|---|---|---:|---:|---:|---:|---|"),
        _appendix_markdown(PPI_TITLE, PPI_CAPTION, PPI_HEADERS, ppi_reading_rows(board),
                           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"))
    return "\n".join(a for a in parts if a)


def gnn_ppi_report_markdown(reference: Board, changed: dict[str, Board], encoders: Board, encoders_title: str,
                            encoders_caption: str) -> str:
    """``benchmarks/reproduce_gnn_ppi.py``'s table: the reproduction, the protocol choices, the PPI readings of
    the reference and every changed-choice board, and the encoders under one protocol."""
    readings = ppi_reading_rows(reference) + [r for b in changed.values() for r in ppi_reading_rows(b)]
    parts = (
        _appendix_markdown(REPRO_TITLE, REPRO_CAPTION, REPRO_HEADERS, reproduction_rows(reference),
                           "|---|---|---|---:|---:|---:|---:|---|"),
        protocol_effects_markdown(reference, changed),
        _appendix_markdown(PPI_TITLE, PPI_CAPTION, PPI_HEADERS, readings,
                           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"),
        ppi_models_markdown(encoders, encoders_title, encoders_caption))
    return "\n".join(a for a in parts if a).replace("## Appendix: ", "## ")


def appendix_markdown(board: Board) -> str:
    parts = (
        reproduction_markdown(board),
        _appendix_markdown(OVERLAP_TITLE, OVERLAP_CAPTION, OVERLAP_HEADERS, overlap_rows(board),
                           "|---|---|---:|---:|---|"),
        _appendix_markdown(LEAKAGE_TITLE, LEAKAGE_CAPTION, LEAKAGE_HEADERS, leakage_rows(board),
                           "|---|---|---:|---:|---:|---:|---:|"))
    return "\n".join(a for a in parts if a)


def appendix_html(board: Board) -> str:
    parts = (
        _appendix_html("reproductions", REPRO_TITLE, REPRO_CAPTION, REPRO_HEADERS, reproduction_rows(board)),
        _appendix_html("ppi-readings", PPI_TITLE, PPI_CAPTION, PPI_HEADERS, ppi_reading_rows(board)),
        _appendix_html("overlap", OVERLAP_TITLE, OVERLAP_CAPTION, OVERLAP_HEADERS, overlap_rows(board)),
        _appendix_html("leakage", LEAKAGE_TITLE, LEAKAGE_CAPTION, LEAKAGE_HEADERS, leakage_rows(board)))
    return "\n".join(a for a in parts if a)


# -- Markdown -------------------------------------------------------------------------------------
def markdown(table: Table, ci: bool = False, level: int = 3) -> str:
    out = [f"{'#' * level} {md_escape(table.title)}", "", md_escape(table.caption), ""]
    groups = [g for g in dict.fromkeys(h.group for h in table.columns) if g]
    if groups:
        parts = [f"{md_escape(g)}: " + ", ".join(md_escape(h.label) for h in table.columns if h.group == g)
                 for g in groups]
        out += ["Columns — " + "; ".join(parts), ""]
    header = [md_escape(table.corner)] + [md_escape(label) for label in column_labels(table)]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join(["---"] + [":---:"] * len(table.columns)) + "|")
    group = None
    for r in table.rows:
        if table.row_groups and r.group != group:
            group = r.group
            out.append(f"| **{md_escape(group)}** |" + " |" * len(table.columns))
        cells = [md_escape(r.label)] + [md_escape(entry_text(e, ci)) for e in r.entries]
        out.append("| " + " | ".join(cells) + " |")
    if not table.rows:
        out.append("| (no results) |" + " |" * len(table.columns))
    out.append("")
    if table.notes:
        out += [f"- {md_escape(shorten(n))}" for n in table.notes] + [""]
    return "\n".join(out)


def markdown_document(tables: Iterable[Table], board: Board, title: str = "protbench leaderboard",
                      ci: bool = False, extra_notes: Iterable[str] = ()) -> str:
    out = [f"# {md_escape(title)}", "", md_escape(LEGEND), ""]
    out += [markdown(t, ci=ci, level=2) for t in tables]
    appendix = appendix_markdown(board)
    if appendix:
        out.append(appendix)
    general = list(board.problems) + list(board.notes) + list(extra_notes)
    if general:
        out += ["## Notes", ""] + [f"- {md_escape(shorten(n))}" for n in general] + [""]
    return "\n".join(out)


# -- plain text (terminal) ------------------------------------------------------------------------
def text(table: Table, ci: bool = False) -> str:
    from tabulate import tabulate

    rows, group = [], None
    for r in table.rows:
        if table.row_groups and r.group != group:
            group = r.group
            rows.append([f"[{plain(group)}]"] + [""] * len(table.columns))
        rows.append([plain(r.label)] + [entry_text(e, ci) for e in r.entries])
    body = tabulate(rows, headers=[plain(table.corner)] + [plain(label) for label in column_labels(table)],
                    tablefmt="simple", disable_numparse=True)
    lines = [plain(table.title), "=" * len(plain(table.title))]
    lines += textwrap.wrap(plain(table.caption), 100)
    lines += [body or "(no results)"]
    lines += [f"  * {shorten(n, 160)}" for n in table.notes]
    return "\n".join(lines) + "\n"


# -- LaTeX ----------------------------------------------------------------------------------------
def latex(table: Table, ci: bool = False) -> str:
    """booktabs LaTeX; a table with row groups (per task) becomes one table per group (family) so it fits a page."""
    if table.row_groups:
        return "\n".join(_latex_one(part, ci) for part in split_by_group(table))
    return _latex_one(table, ci)


def _latex_one(table: Table, ci: bool = False) -> str:
    n = len(table.columns)
    out = [r"% generated by protbench leaderboard; needs \usepackage{booktabs}",
           r"\begin{table}[t]", r"\centering", r"\small",
           rf"\caption{{{latex_escape(table.title)}. {latex_escape(table.caption)}}}",
           rf"\label{{tab:{re.sub(r'[^A-Za-z0-9:-]', '-', table.key)}}}",
           r"\begin{tabular}{l" + "c" * n + "}", r"\toprule"]
    runs = _groups(table)
    if any(g for g, _ in runs):
        parts, col, rules = [""], 2, []
        for g, span in runs:
            parts.append(rf"\multicolumn{{{span}}}{{c}}{{{latex_escape(g)}}}" if span > 1 else latex_escape(g))
            if g:
                rules.append(rf"\cmidrule(lr){{{col}-{col + span - 1}}}")
            col += span
        out.append(" & ".join(parts) + r" \\")
        out.append(" ".join(rules))
    out.append(" & ".join([latex_escape(table.corner)] + [latex_escape(h.label) for h in table.columns]) + r" \\")
    out.append(r"\midrule")
    kind = group = None
    for r in table.rows:
        if table.row_groups and r.group != group:
            if group is not None:
                out.append(r"\midrule")
            group = r.group
            out.append(rf"\multicolumn{{{n + 1}}}{{l}}{{\textit{{{latex_escape(group)}}}}} \\")
        elif not table.row_groups and kind is not None and r.kind != kind:
            out.append(r"\midrule")
        kind = r.kind
        out.append(" & ".join([latex_escape(r.label)] + [latex_escape(entry_text(e, ci)) for e in r.entries])
                   + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    if table.notes:
        out.append(r"\par\smallskip\footnotesize")
        out += [latex_escape(shorten(nt)) + r"\\" for nt in table.notes]
    out.append(r"\end{table}")
    return "\n".join(out) + "\n"


# -- CSV (long format: one line per table cell) ---------------------------------------------------
CSV_COLUMNS = ("table", "profile", "row", "row_group", "kind", "column", "group", "task", "metric", "status", "mean",
               "std",
               "n", "ci_low", "ci_high", "covered", "of", "delta_vs_reported", "p_vs_reference", "significance",
               "partial_variant", "message", "not_comparable")


def csv_rows(table: Table) -> list[list[object]]:
    rows = []
    for r in table.rows:
        for h, e in zip(table.columns, r.entries):
            s = e.stat
            rows.append([
                table.key, table.profile, r.label, r.group, e.kind, h.label, h.group, e.task, e.metric, e.status,
                "" if s is None else repr(s.mean), "" if s is None or s.std is None else repr(s.std),
                "" if s is None else s.n, "" if s is None or s.ci is None else repr(s.ci[0]),
                "" if s is None or s.ci is None else repr(s.ci[1]),
                "" if e.coverage is None else e.coverage[0], "" if e.coverage is None else e.coverage[1],
                "" if e.delta is None else repr(e.delta), "" if e.paired is None else repr(e.paired.p), e.sig,
                e.partial, shorten(e.message), "; ".join(e.caveats),
            ])
    return rows


def to_csv(tables: Iterable[Table]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for t in tables:
        for row in csv_rows(t):
            w.writerow([csv_safe(v) if isinstance(v, str) else v for v in row])
    return buf.getvalue()


# -- HTML -----------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222;max-width:110em}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:center;white-space:nowrap}
th.row{text-align:left} tr.group th{background:#f3f3f3;font-style:italic}
td.reported{background:#fdf6e3;font-style:italic} td.failed{background:#fde2e2}
td.skipped,td.missing,td.no-score{color:#999} td.better{font-weight:bold;color:#05651b}
td.worse{color:#a11} td.caveat{background:#eef}
small.ci{color:#666;display:block} .smoke{border:3px dashed #d08000;padding:0.5em 1em}
.banner{background:#d08000;color:#fff;font-weight:bold;padding:0.4em 0.8em} .notes{font-size:0.85em;color:#444}
img{max-width:100%;border:1px solid #eee}
"""


def _html_entry(e: Entry) -> str:
    classes = [e.status] + (["reported"] if e.kind == "reported" else []) + ([e.sig] if e.sig else []) \
        + (["caveat"] if e.caveats else [])
    main = entry_text(e, ci=False)
    ci = ""
    if e.stat is not None and e.stat.ci is not None:
        ci = f'<small class="ci">[{fmt(e.stat.ci[0])}, {fmt(e.stat.ci[1])}]</small>'
    title = e.message or "; ".join(e.caveats) or (f"p = {e.paired.p:.3g} vs reference ({e.paired.n_items} items, "
                          f"{e.paired.n_boot} resamples)" if e.paired else "")
    tattr = f' title="{html.escape(shorten(title))}"' if title else ""
    return f'<td class="{" ".join(classes)}"{tattr}>{html.escape(main)}{ci}</td>'


def html_table(table: Table) -> str:
    out = [f'<h3 id="{html.escape(table.key)}">{html.escape(table.title)}</h3>',
           f"<p>{html.escape(table.caption)}</p>", "<table>", "<thead>"]
    runs = _groups(table)
    if any(g for g, _ in runs):
        out.append("<tr><th></th>" + "".join(f'<th colspan="{span}">{html.escape(g)}</th>' for g, span in runs)
                   + "</tr>")
    out.append(f'<tr><th class="row">{html.escape(table.corner)}</th>'
               + "".join(f"<th>{html.escape(h.label)}</th>" for h in table.columns) + "</tr>")
    out += ["</thead>", "<tbody>"]
    group = None
    for r in table.rows:
        if table.row_groups and r.group != group:
            group = r.group
            out.append(f'<tr class="group"><th class="row" colspan="{len(table.columns) + 1}">'
                       f"{html.escape(group)}</th></tr>")
        out.append(f'<tr><th class="row">{html.escape(r.label)}</th>' + "".join(_html_entry(e) for e in r.entries)
                   + "</tr>")
    out += ["</tbody>", "</table>"]
    if table.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{html.escape(shorten(n))}</li>" for n in table.notes)
                   + "</ul>")
    return "\n".join(out)


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def html_document(sections: list[tuple[str, list[Table], list[tuple[str, bytes]]]], board: Board,
                  title: str = "protbench leaderboard", extra_notes: Iterable[str] = ()) -> str:
    """A self-contained page: ``sections`` = [(profile, tables, [(figure caption, png bytes), ...])]."""
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(LEGEND)}</p>"]
    for profile, tables, figures in sections:
        smoke = profile == "smoke"
        out.append(f'<section class="{"smoke" if smoke else "real"}" id="profile-{html.escape(profile)}">')
        out.append(f"<h2>{html.escape(profile.capitalize())} data</h2>")
        if smoke:
            out.append('<p class="banner">SMOKE PROFILE — synthetic data generated by protbench. These numbers '
                       "check the pipeline end to end; they are not benchmark results.</p>")
        for caption, png in figures:
            out.append(f'<figure><img alt="{html.escape(caption)}" src="{png_data_uri(png)}">'
                       f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        out += [html_table(part) for t in tables for part in split_by_group(t)]
        out.append("</section>")
    appendix = appendix_html(board)
    if appendix:
        out.append(appendix)
    general = list(board.problems) + list(board.notes) + list(extra_notes)
    if general:
        out.append("<h2>Notes</h2>")
        out.append('<ul class="notes">' + "".join(f"<li>{html.escape(shorten(n))}</li>" for n in general) + "</ul>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
