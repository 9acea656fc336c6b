"""Readers (and smoke writers) for the human GO annotation tables of the data mirror.

* ``swissprot_go_*.tsv.gz`` (Debian metastudent-data, Swiss-Prot 2014-01): tab-separated
  header ``uniprot_id, sequence, go_mf, go_bp, go_cc``; GO ids ``;``-separated, possibly empty.
* ``orgHs_gene_go.tsv.gz`` (Bioconductor org.Hs.eg.db, GO 2022-07): header
  ``entrez_gene_id, aspect, go_id, evidence``; aspect ``bp``/``mf``/``cc``.
* ``orgHs_gene_uniprot_ensp.tsv.gz``: header ``entrez_gene_id, uniprot_ids, ensembl_prot_ids``;
  accessions ``;``-separated (Swiss-Prot and TrEMBL mixed).

:func:`human_annotations` joins them: a gene's annotations go to its Swiss-Prot
accession when the gene has exactly one accession present in the Swiss-Prot
table and that accession belongs to no other gene (every other case is counted
in the drop log, never silently lost).
"""
from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping

ASPECT_COLUMNS = {"mf": "go_mf", "bp": "go_bp", "cc": "go_cc"}


class GOTableError(ValueError):
    """A table does not have the expected columns/values; the message names file and line."""


def _open_text(path: Path):
    path = Path(path)
    return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8") if path.suffix == ".gz" else \
        open(path, encoding="utf-8")


def _rows(path: Path, required: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    with _open_text(path) as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        missing = set(required) - set(reader.fieldnames or ())
        if missing:
            raise GOTableError(f"{path}: missing columns {sorted(missing)} (found {reader.fieldnames})")
        for i, row in enumerate(reader, start=2):
            yield i, row


@dataclass
class SwissProtEntry:
    accession: str
    sequence: str
    go: dict[str, tuple[str, ...]]     # aspect -> GO ids as listed


def read_swissprot_go(path: Path) -> dict[str, SwissProtEntry]:
    """``{accession: entry}`` from a metastudent-data style Swiss-Prot GO table (first row wins on duplicates)."""
    out: dict[str, SwissProtEntry] = {}
    for line, row in _rows(path, ["uniprot_id", "sequence", *ASPECT_COLUMNS.values()]):
        acc = row["uniprot_id"].strip()
        if not acc:
            raise GOTableError(f"{path}:{line}: empty uniprot_id")
        go = {a: tuple(g for g in (row[c] or "").split(";") if g) for a, c in ASPECT_COLUMNS.items()}
        out.setdefault(acc, SwissProtEntry(acc, (row["sequence"] or "").strip(), go))
    return out


@dataclass(frozen=True)
class GeneAnnotation:
    gene: str
    aspect: str
    go_id: str
    evidence: str


def read_gene_go(path: Path) -> list[GeneAnnotation]:
    """Rows of ``orgHs_gene_go.tsv.gz``."""
    out = []
    for line, row in _rows(path, ["entrez_gene_id", "aspect", "go_id", "evidence"]):
        aspect = row["aspect"].strip().lower()
        if aspect not in ASPECT_COLUMNS:
            raise GOTableError(f"{path}:{line}: aspect {row['aspect']!r} is not one of bp/mf/cc")
        out.append(GeneAnnotation(row["entrez_gene_id"].strip(), aspect, row["go_id"].strip(),
                                  row["evidence"].strip()))
    return out


def read_gene_uniprot(path: Path) -> dict[str, tuple[str, ...]]:
    """``{entrez gene id: accessions}`` from ``orgHs_gene_uniprot_ensp.tsv.gz``."""
    out: dict[str, tuple[str, ...]] = {}
    for _line, row in _rows(path, ["entrez_gene_id", "uniprot_ids"]):
        out[row["entrez_gene_id"].strip()] = tuple(a for a in (row["uniprot_ids"] or "").split(";") if a)
    return out


@dataclass
class HumanAnnotations:
    """Swiss-Prot human proteins with evidence-filtered gene annotations per aspect."""

    sequences: dict[str, str]                              # accession -> sequence
    annotations: dict[str, dict[str, set[str]]]            # aspect -> accession -> GO ids (as given)
    gene_of: dict[str, str]                                # accession -> entrez gene id
    stats: dict[str, int] = field(default_factory=dict)


def human_annotations(gene_go: Iterable[GeneAnnotation], gene_uniprot: Mapping[str, tuple[str, ...]],
                      swissprot: Mapping[str, SwissProtEntry], evidence: frozenset[str]) -> HumanAnnotations:
    """Join gene→GO rows (kept when their evidence code is in ``evidence``) onto Swiss-Prot accessions."""
    stats: dict[str, int] = defaultdict(int)
    genes_of_acc: dict[str, set[str]] = defaultdict(set)
    acc_of_gene: dict[str, str] = {}
    for gene, accs in gene_uniprot.items():
        sp = sorted({a for a in accs if a in swissprot})
        if len(sp) == 1:
            acc_of_gene[gene] = sp[0]
            genes_of_acc[sp[0]].add(gene)
        elif len(sp) > 1:
            stats["genes with several Swiss-Prot accessions (dropped)"] += 1
    shared = {a for a, gs in genes_of_acc.items() if len(gs) > 1}
    stats["accessions shared by several genes (dropped)"] = len(shared)
    acc_of_gene = {g: a for g, a in acc_of_gene.items() if a not in shared}
    annotations: dict[str, dict[str, set[str]]] = {a: defaultdict(set) for a in ASPECT_COLUMNS}
    for row in gene_go:
        if row.evidence not in evidence:
            stats[f"rows with excluded evidence {row.evidence}"] += 1
            continue
        acc = acc_of_gene.get(row.gene)
        if acc is None:
            stats["rows of genes without a unique Swiss-Prot accession"] += 1
            continue
        annotations[row.aspect][acc].add(row.go_id)
        stats["rows kept"] += 1
    used = {acc for per in annotations.values() for acc in per}
    return HumanAnnotations(
        sequences={a: swissprot[a].sequence for a in sorted(used)},
        annotations={asp: dict(per) for asp, per in annotations.items()},
        gene_of={a: g for g, a in acc_of_gene.items() if a in used},
        stats=dict(stats),
    )


# ---------------------------------------------------------------------------------------------
# writers (smoke data in the same formats)

def write_swissprot_go(path: Path, entries: Iterable[SwissProtEntry]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write("uniprot_id\tsequence\tgo_mf\tgo_bp\tgo_cc\n")
        for e in entries:
            fh.write("\t".join([e.accession, e.sequence, *(";".join(e.go.get(a, ())) for a in ASPECT_COLUMNS)]) + "\n")
    return Path(path)


def write_gene_go(path: Path, rows: Iterable[GeneAnnotation]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write("entrez_gene_id\taspect\tgo_id\tevidence\n")
        for r in rows:
            fh.write(f"{r.gene}\t{r.aspect}\t{r.go_id}\t{r.evidence}\n")
    return Path(path)


def write_gene_uniprot(path: Path, mapping: Mapping[str, Iterable[str]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write("entrez_gene_id\tuniprot_ids\tensembl_prot_ids\n")
        for g, accs in mapping.items():
            fh.write(f"{g}\t{';'.join(accs)}\t\n")
    return Path(path)
