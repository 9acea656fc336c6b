"""Property-driven sampling of UniProt records into ProtAnno (ProtCLIP's curation rule).

Per record: confidence C ∈ {1..5} is the UniProt protein-existence level
(1 protein evidence, 2 transcript, 3 homology, 4 predicted, 5 uncertain);
coverage R = present properties / 4 (PROTEIN NAME, FUNCTION, SUBCELLULAR
LOCATION, SIMILARITY). Rule (:class:`SamplingRule`): drop records with
C > ``max_confidence`` (3) or R < ``min_coverage`` (3/4); keep the rest with
probability P = R^a / C^b (a = 1/2, b = 3), one uniform draw per record from
``numpy.random.default_rng(seed)`` in table order.

**Swiss-Prot is kept whole.** The official ProtAnno-D (``src/sampling.py`` of
diaoshaoyou/ProtCLIP) applies the rule to the TrEMBL export only and then appends
every Swiss-Prot pair (ProtAnno-S, from ProtST's ProtDescribe) unsampled. So does
:func:`sample` when the data says which records are Swiss-Prot: a record with
``extra["reviewed"]`` true (the ``Reviewed`` column of a UniProt export, value
``reviewed``; or ``"reviewed": true`` / ``"source": "swissprot"`` in a ProtAnno line)
is always kept (``SamplingRule.keep_reviewed``, default on). Records that do not
say are treated as TrEMBL, and :func:`sampling_report` says how many said.

:func:`read_uniprot_table` reads a UniProt TSV export (columns ``Entry``,
``Sequence``, ``Protein existence``, ``Protein names``, ``Function [CC]``,
``Subcellular location [CC]``, ``Sequence similarities``, optionally ``Reviewed``; the ``FUNCTION:`` /
``SUBCELLULAR LOCATION:`` / ``SIMILARITY:`` prefixes UniProt puts in the comment
columns are stripped). :func:`distribution` gives the confidence × coverage
table (the paper's Table 1 / Fig. 2 shape) before and after sampling.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .data import PROPERTIES, VALID_RESIDUES, ProtAnnoRecord, _open_text, coverage, join_properties

PE_LEVELS = {"evidence at protein level": 1, "evidence at transcript level": 2, "inferred from homology": 3,
             "predicted": 4, "uncertain": 5}
COLUMNS = {"PROTEIN NAME": "Protein names", "FUNCTION": "Function [CC]",
           "SUBCELLULAR LOCATION": "Subcellular location [CC]", "SIMILARITY": "Sequence similarities"}
COVERAGE_LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class SamplingRule:
    """Thresholds and exponents of the keep-probability P = R^a / C^b."""

    a: float = 0.5
    b: float = 3.0
    max_confidence: int = 3
    min_coverage: float = 0.75
    keep_reviewed: bool = True          # official: Swiss-Prot kept whole, the rule samples TrEMBL

    def probability(self, confidence: int, cover: float) -> float:
        if confidence > self.max_confidence or cover < self.min_coverage - 1e-9:
            return 0.0
        return float(cover ** self.a / confidence ** self.b)


def parse_existence(value: str) -> int:
    """UniProt protein-existence text (``"1: Evidence at protein level"`` or the bare phrase) → 1..5."""
    v = (value or "").strip()
    m = re.match(r"^([1-5])\b", v)
    if m:
        return int(m.group(1))
    key = v.lower()
    if key in PE_LEVELS:
        return PE_LEVELS[key]
    raise ValueError(f"unknown protein existence value {value!r}; expected one of {sorted(PE_LEVELS)} or 1..5")


def is_reviewed(record: ProtAnnoRecord) -> bool | None:
    """True for Swiss-Prot, False for TrEMBL, None when the record does not say."""
    x = record.extra
    if "reviewed" in x:
        v = x["reviewed"]
        return v if isinstance(v, bool) else str(v).strip().lower() in ("reviewed", "true", "1", "yes", "swiss-prot")
    if "source" in x:
        return str(x["source"]).strip().lower().replace("-", "") in ("swissprot", "sp", "reviewed")
    return None


def _strip_prefix(value: str, prop: str) -> str:
    v = (value or "").strip()
    return re.sub(rf"^{re.escape(prop)}:\s*", "", v).strip()


def read_uniprot_table(path: str | Path) -> list[ProtAnnoRecord]:
    """ProtAnno records (``extra``: ``id``, ``confidence``, ``coverage``) from a UniProt TSV export."""
    path = Path(path)
    out = []
    with _open_text(path) as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        need = {"Entry", "Sequence", "Protein existence", *COLUMNS.values()}
        missing = need - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: UniProt table lacks columns {sorted(missing)}; export them from "
                             "rest.uniprot.org with fields accession,sequence,protein_existence,protein_name,"
                             "cc_function,cc_subcellular_location,cc_similarity")
        for n, row in enumerate(reader, 2):
            seq = (row["Sequence"] or "").strip().upper()
            if not VALID_RESIDUES.match(seq):
                raise ValueError(f"{path}:{n}: entry {row['Entry']} has an invalid or empty sequence")
            subs = [_strip_prefix(row[COLUMNS[p]], p) for p in PROPERTIES]
            extra = {"id": row["Entry"], "confidence": parse_existence(row["Protein existence"]),
                     "coverage": coverage(subs)}
            if "Reviewed" in row and row["Reviewed"] is not None:
                extra["reviewed"] = row["Reviewed"].strip().lower() == "reviewed"
            out.append(ProtAnnoRecord(seq, join_properties(subs), extra))
    return out


def sample(records: Sequence[ProtAnnoRecord], rule: SamplingRule = SamplingRule(), seed: int = 0
           ) -> list[ProtAnnoRecord]:
    """Records kept: Swiss-Prot ones whole (``rule.keep_reviewed``), the others by the rule
    (one uniform draw per record, in order, from ``default_rng(seed)``)."""
    u = np.random.default_rng(seed).random(len(records))
    return [r for r, x in zip(records, u)
            if (rule.keep_reviewed and is_reviewed(r))
            or x < rule.probability(int(r.extra["confidence"]), float(r.extra["coverage"]))]


def distribution(records: Iterable[ProtAnnoRecord]) -> dict[str, Any]:
    """Counts by confidence (1..5) × coverage (0, ¼, ½, ¾, 1), plus confidence shares and totals."""
    table = np.zeros((5, len(COVERAGE_LEVELS)), dtype=int)
    for r in records:
        c = int(r.extra["confidence"])
        k = int(round(float(r.extra["coverage"]) * 4))
        table[c - 1, k] += 1
    total = int(table.sum())
    return {"confidence_levels": [1, 2, 3, 4, 5], "coverage_levels": list(COVERAGE_LEVELS),
            "counts": table.tolist(), "total": total,
            "confidence_share": [float(x) / total if total else 0.0 for x in table.sum(1)],
            "coverage_share": [float(x) / total if total else 0.0 for x in table.sum(0)]}


def sampling_report(records: Sequence[ProtAnnoRecord], kept: Sequence[ProtAnnoRecord],
                    rule: SamplingRule) -> dict[str, Any]:
    """Before/after distributions and the rule, as written by ``protbench protanno sample``."""
    said = [is_reviewed(r) for r in records]
    n_sp = sum(x is True for x in said)
    n_known = sum(x is not None for x in said)
    if not rule.keep_reviewed:
        note = "rule applied to every record (keep_reviewed off)"
    elif n_known == 0:
        note = ("no record says whether it is Swiss-Prot (no Reviewed column / 'reviewed' key): the rule was applied "
                "to every record; the official ProtAnno-D keeps all Swiss-Prot and samples TrEMBL only")
    else:
        note = "Swiss-Prot records kept whole, the rule applied to the others (as the official ProtAnno-D)"
    return {"rule": {"a": rule.a, "b": rule.b, "max_confidence": rule.max_confidence,
                     "min_coverage": rule.min_coverage, "keep_reviewed": rule.keep_reviewed},
            "swissprot": {"records": n_sp, "records_saying": n_known, "total": len(records),
                          "kept": sum(bool(rule.keep_reviewed and is_reviewed(r)) for r in kept), "note": note},
            "before": distribution(records), "after": distribution(kept)}
