"""Property-driven sampling of UniProt records into ProtAnno (ProtCLIP's curation rule).

Per record: confidence C ∈ {1..5} is the UniProt protein-existence level
(1 protein evidence, 2 transcript, 3 homology, 4 predicted, 5 uncertain);
coverage R = present properties / 4 (PROTEIN NAME, FUNCTION, SUBCELLULAR
LOCATION, SIMILARITY). Rule (:class:`SamplingRule`): drop records with
C > ``max_confidence`` (3) or R < ``min_coverage`` (3/4); keep the rest with
probability P = R^a / C^b (a = 1/2, b = 3), one uniform draw per record from
``numpy.random.default_rng(seed)`` in table order.

:func:`read_uniprot_table` reads a UniProt TSV export (columns ``Entry``,
``Sequence``, ``Protein existence``, ``Protein names``, ``Function [CC]``,
``Subcellular location [CC]``, ``Sequence similarities``; the ``FUNCTION:`` /
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
            out.append(ProtAnnoRecord(seq, join_properties(subs),
                                      {"id": row["Entry"], "confidence": parse_existence(row["Protein existence"]),
                                       "coverage": coverage(subs)}))
    return out


def sample(records: Sequence[ProtAnnoRecord], rule: SamplingRule = SamplingRule(), seed: int = 0
           ) -> list[ProtAnnoRecord]:
    """Records kept by the rule (one uniform draw per record, in order, from ``default_rng(seed)``)."""
    u = np.random.default_rng(seed).random(len(records))
    return [r for r, x in zip(records, u)
            if x < rule.probability(int(r.extra["confidence"]), float(r.extra["coverage"]))]


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
    return {"rule": {"a": rule.a, "b": rule.b, "max_confidence": rule.max_confidence,
                     "min_coverage": rule.min_coverage},
            "before": distribution(records), "after": distribution(kept)}
