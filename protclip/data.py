"""ProtAnno protein–text pairs: JSON-lines I/O, the 4-property split, corpus builders, batching.

**Format.** One JSON object per line: ``{"seq": "MKT...", "text": "PROTEIN NAME: … FUNCTION: …
SUBCELLULAR LOCATION: … SIMILARITY: …"}``; extra keys (``id``, ``confidence``,
``coverage``) are kept. Absent properties are simply left out of ``text``.

**Properties.** :func:`split_properties` finds the four headers in order and
returns the four subtexts (header stripped; ``""`` = absent). :func:`pda_subtexts`
gives what PDA embeds: as in the official code, each subtext *with* its header
(``"FUNCTION: binds ATP."``) and an absent property as the bare header
(``"FUNCTION:"``); with ``headers=False`` the stripped subtexts and ``""``.

**Swiss-Prot + GO builder** (:func:`build_from_go_table`) turns the
``uniprot_id, sequence, go_mf, go_bp, go_cc`` tables of ``shared/data/uniprot_go``
into ProtAnno records, with GO term *names* from ``go-basic.obo`` as texts.
The table has no protein names, free-text function or family fields, so the
mapping is (documented choice)::

    PROTEIN NAME          <- molecular-function (MF) term names
                             (UniProt recommended names are mostly activity names,
                             e.g. "pyruvate kinase"; MF is the closest stand-in)
    FUNCTION              <- biological-process (BP) term names
    SUBCELLULAR LOCATION  <- cellular-component (CC) term names
    SIMILARITY            <- absent (no family information in the table)

Per aspect, obsolete or unknown ids are dropped (counted), ``alt_id`` s are
mapped to their primary term, duplicates removed, and at most ``max_terms``
names are kept, most specific first (fewest UniProt annotations in
``go/frequency_counts_uniprot.json`` when given, else GO id order). Names are
joined with ``"; "``. Proteins with no usable term in any aspect are dropped.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import torch

from protbench.models.esm import residue_positions, tokenize

PROPERTIES = ("PROTEIN NAME", "FUNCTION", "SUBCELLULAR LOCATION", "SIMILARITY")
VALID_RESIDUES = re.compile(r"^[ACDEFGHIKLMNPQRSTVWYXBZUO]+$")


@dataclass
class ProtAnnoRecord:
    """One protein–text pair; ``extra`` holds any other JSON keys (id, confidence, coverage...)."""

    seq: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict)

    def properties(self) -> list[str]:
        return split_properties(self.text)


def _open_text(path: Path):
    return io.TextIOWrapper(gzip.open(path), encoding="utf-8") if str(path).endswith(".gz") else open(path)


def read_protanno(path: str | Path) -> list[ProtAnnoRecord]:
    """Read ProtAnno JSON lines (``.gz`` ok). Errors name the file, line and the fix."""
    path = Path(path)
    out = []
    with _open_text(path) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not a JSON object ({exc.msg}); ProtAnno files hold one "
                                 '{"seq": ..., "text": ...} object per line') from None
            if not isinstance(d, dict) or "seq" not in d or "text" not in d:
                raise ValueError(f"{path}:{n}: record lacks 'seq' or 'text' (keys: {sorted(d) if isinstance(d, dict) else type(d).__name__})")
            seq = str(d.pop("seq")).strip().upper()
            if not VALID_RESIDUES.match(seq):
                bad = sorted(set(seq) - set("ACDEFGHIKLMNPQRSTVWYXBZUO"))
                raise ValueError(f"{path}:{n}: sequence has invalid residues {bad[:10]} (or is empty); "
                                 "clean it or drop the record")
            out.append(ProtAnnoRecord(seq, str(d.pop("text")), d))
    return out


def write_protanno(records: Iterable[ProtAnnoRecord], path: str | Path) -> int:
    """Write records as JSON lines (``.gz`` when the name ends so); returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    opener = (lambda: io.TextIOWrapper(gzip.open(path, "wb"), encoding="utf-8")) if str(path).endswith(".gz") \
        else (lambda: open(path, "w"))
    with opener() as fh:
        for r in records:
            fh.write(json.dumps({"seq": r.seq, "text": r.text, **r.extra}, ensure_ascii=False) + "\n")
            n += 1
    return n


_HEADER = re.compile(r"(?:^|(?<=\s))(" + "|".join(re.escape(p) for p in PROPERTIES) + r"):")


def split_properties(text: str) -> list[str]:
    """The 4 property subtexts of a ProtAnno text, in :data:`PROPERTIES` order (``""`` where absent).

    Headers are recognised at the start or after whitespace and must appear in
    the canonical order; a header out of order is treated as ordinary text.
    Trailing whitespace is stripped; the final period is kept.
    """
    found: list[tuple[int, int, int]] = []     # (property index, header start, content start)
    nxt = 0
    for m in _HEADER.finditer(text):
        k = PROPERTIES.index(m.group(1))
        if k >= nxt:
            found.append((k, m.start(), m.end()))
            nxt = k + 1
    out = [""] * len(PROPERTIES)
    for j, (k, _, start) in enumerate(found):
        end = found[j + 1][1] if j + 1 < len(found) else len(text)
        out[k] = text[start:end].strip()
    return out


def pda_subtexts(text: str, headers: bool = True) -> list[str]:
    """The 4 texts PDA embeds for ``text``, in :data:`PROPERTIES` order.

    ``headers=True`` (official ProtCLIP, ``FSTPretrainTask`` preprocessing): each
    present property keeps its header, ``"PROTEIN NAME: Cutinase."``; an absent one
    is the header alone, ``"SIMILARITY:"``. ``headers=False``: the stripped subtexts
    of :func:`split_properties`, ``""`` where absent.
    """
    subs = split_properties(text)
    if not headers:
        return subs
    return [f"{name}: {s}" if s else f"{name}:" for name, s in zip(PROPERTIES, subs)]


def join_properties(subtexts: Sequence[str]) -> str:
    """Inverse of :func:`split_properties`: ``"PROTEIN NAME: a FUNCTION: b ..."`` without absent ones."""
    parts = []
    for name, s in zip(PROPERTIES, subtexts):
        s = s.strip()
        if s:
            parts.append(f"{name}: {s if s.endswith('.') else s + '.'}")
    return " ".join(parts)


def coverage(subtexts: Sequence[str]) -> float:
    """Property coverage R = present properties / 4."""
    return sum(bool(s.strip()) for s in subtexts) / len(PROPERTIES)


# -- Gene Ontology ----------------------------------------------------------------------------------
@dataclass
class GoTerm:
    id: str
    name: str
    namespace: str
    obsolete: bool = False


def read_obo(path: str | Path) -> tuple[dict[str, GoTerm], dict[str, str]]:
    """``(terms by id, alt_id → primary id)`` from an OBO 1.2 file (``.gz`` ok); only ``[Term]`` stanzas."""
    terms: dict[str, GoTerm] = {}
    alt: dict[str, str] = {}
    cur: dict[str, Any] | None = None

    def flush():
        if cur and "id" in cur:
            terms[cur["id"]] = GoTerm(cur["id"], cur.get("name", ""), cur.get("namespace", ""), cur.get("obs", False))
            for a in cur.get("alt", ()):
                alt[a] = cur["id"]

    with _open_text(Path(path)) as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("["):
                flush()
                cur = {} if line == "[Term]" else None
                continue
            if cur is None or ": " not in line:
                continue
            key, val = line.split(": ", 1)
            if key == "id":
                cur["id"] = val.strip()
            elif key == "name":
                cur["name"] = val.strip()
            elif key == "namespace":
                cur["namespace"] = val.strip()
            elif key == "alt_id":
                cur.setdefault("alt", []).append(val.strip())
            elif key == "is_obsolete" and val.strip() == "true":
                cur["obs"] = True
    flush()
    return terms, alt


@dataclass
class GoTextBuilder:
    """GO ids → property subtexts (see the module docstring for the mapping)."""

    terms: dict[str, GoTerm]
    alt_ids: dict[str, str]
    counts: dict[str, int] | None = None
    max_terms: int = 8
    dropped: Counter = field(default_factory=Counter)

    ASPECTS = (("go_mf", "molecular_function", 0), ("go_bp", "biological_process", 1),
               ("go_cc", "cellular_component", 2))

    def ids(self, ids: Iterable[str], namespace: str) -> list[str]:
        """Every usable term of ``ids`` (primary ids, no duplicates), most specific first; drops are counted."""
        seen: dict[str, None] = {}
        for raw in ids:
            raw = raw.strip()
            if not raw:
                continue
            gid = self.alt_ids.get(raw, raw)
            t = self.terms.get(gid)
            if t is None:
                self.dropped["unknown id"] += 1
            elif t.obsolete:
                self.dropped["obsolete"] += 1
            elif t.namespace != namespace:
                self.dropped["wrong aspect"] += 1
            else:
                seen.setdefault(gid, None)
        return sorted(seen, key=lambda g: ((self.counts or {}).get(g, 0) if self.counts else 0, g))

    def go_ids(self, row: dict[str, str]) -> dict[str, list[str]]:
        """``{"mf": [...], "bp": [...], "cc": [...]}``: every usable primary id per aspect, most specific first,
        not capped (the GO-term objective's targets, :mod:`protbench.protclip.terms`); drops are counted."""
        return {col[3:]: self.ids((row.get(col) or "").split(";"), ns) for col, ns, _ in self.ASPECTS}

    def subtexts(self, go: dict[str, list[str]]) -> list[str]:
        """The property subtexts of :meth:`go_ids`' output: the first ``max_terms`` names per aspect."""
        out = [""] * len(PROPERTIES)
        for col, _, slot in self.ASPECTS:
            out[slot] = "; ".join(self.terms[g].name for g in go[col[3:]][: self.max_terms])
        return out


def build_from_go_table(table: str | Path, obo: str | Path, counts: str | Path | None = None,
                        max_terms: int = 8, limit: int | None = None) -> tuple[list[ProtAnnoRecord], dict[str, Any]]:
    """ProtAnno records from a Swiss-Prot+GO TSV(.gz) (``uniprot_id, sequence, go_mf, go_bp, go_cc``).

    Returns ``(records, report)``; records carry ``id``, ``coverage`` and ``go`` (every usable GO id per
    aspect, ``{"mf": [...], "bp": [...], "cc": [...]}``, not capped by ``max_terms``) in ``extra``. ``report``
    counts rows read, kept, dropped (invalid sequence, no terms) and GO ids dropped (unknown / obsolete / wrong
    aspect).
    """
    terms, alt = read_obo(obo)
    cnt = json.loads(Path(counts).read_text()) if counts else None
    builder = GoTextBuilder(terms, alt, cnt, max_terms)
    records: list[ProtAnnoRecord] = []
    report: Counter = Counter()
    with _open_text(Path(table)) as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        need = {"uniprot_id", "sequence", "go_mf", "go_bp", "go_cc"}
        if not need <= set(reader.fieldnames or ()):
            raise ValueError(f"{table}: expected columns {sorted(need)}, found {reader.fieldnames}")
        for row in reader:
            report["rows"] += 1
            seq = (row["sequence"] or "").strip().upper()
            if not VALID_RESIDUES.match(seq):
                report["dropped: invalid sequence"] += 1
                continue
            go = builder.go_ids(row)
            subs = builder.subtexts(go)
            if not any(subs):
                report["dropped: no usable GO term"] += 1
                continue
            records.append(ProtAnnoRecord(seq, join_properties(subs),
                                          {"id": row["uniprot_id"], "coverage": coverage(subs),
                                           "go": go}))
            if limit and len(records) >= limit:
                break
    report["kept"] = len(records)
    out = dict(report)
    out["go ids dropped"] = dict(builder.dropped)
    out["mapping"] = {"PROTEIN NAME": "GO molecular_function names", "FUNCTION": "GO biological_process names",
                      "SUBCELLULAR LOCATION": "GO cellular_component names", "SIMILARITY": "absent"}
    return records, out


# -- batches ----------------------------------------------------------------------------------------
def crop(seq: str, max_len: int, generator: torch.Generator | None, mode: str = "first") -> str:
    """At most ``max_len`` residues: the first ones (``mode="first"``, official: the tokenizer truncates),
    or a window with a random start drawn from ``generator`` (``mode="random"``; the first window without one)."""
    if len(seq) <= max_len:
        return seq
    if mode not in ("first", "random"):
        raise ValueError(f"unknown protein crop {mode!r}; choose 'first' (official) or 'random'")
    if mode == "first" or generator is None:
        return seq[:max_len]
    start = int(torch.randint(0, len(seq) - max_len + 1, (1,), generator=generator))
    return seq[start:start + max_len]


def collate(records: Sequence[ProtAnnoRecord], cfg, generator: torch.Generator) -> dict[str, Any]:
    """The *global* batch for one optimiser step; all randomness drawn from ``generator``.

    Keys: ``ids`` / ``residues`` ``(B, L)``; ``mlm_ids`` / ``mlm_labels`` (the protein encoder's unimodal
    term: ESM-2's MLM; UniRep's next residue, inputs = ``ids``) and
    ``bsr_ids`` / ``bsr_labels`` ``(B, L)``; ``texts`` (B strings); ``subtexts``
    (B × 4 strings, :func:`pda_subtexts`); ``present`` ``(B, 4)`` bool; ``gumbel``
    ``(B·4, K)`` standard Gumbel noise; ``denominators`` {mlm, bsr, pda} global counts.
    """
    from .masking import span_mask
    from .protein_encoders import unimodal_batch

    seqs = [crop(r.seq, cfg.max_protein_length, generator, cfg.protein_crop) for r in records]
    ids = tokenize(seqs)
    res = residue_positions(ids)
    mlm_ids, mlm_labels = unimodal_batch(cfg, ids, res, generator)     # ESM-2: MLM; UniRep: next residue
    bsr_ids, bsr_labels = span_mask(ids, res, cfg.bsr_coverage, cfg.bsr_span_min, cfg.bsr_span_max, generator,
                                    sampler=cfg.bsr_span_sampler, mask_range=cfg.bsr_mask_range)
    present = torch.tensor([[bool(s) for s in split_properties(r.text)] for r in records], dtype=torch.bool)
    subtexts = [pda_subtexts(r.text, cfg.pda_subtext_headers) for r in records]
    u = torch.rand(len(records) * len(PROPERTIES), cfg.proto_num, generator=generator).clamp(1e-10, 1 - 1e-7)
    gumbel = -torch.log(-torch.log(u))
    return {"ids": ids, "residues": res, "mlm_ids": mlm_ids, "mlm_labels": mlm_labels, "bsr_ids": bsr_ids,
            "bsr_labels": bsr_labels, "texts": [r.text for r in records], "subtexts": subtexts,
            "present": present, "gumbel": gumbel, "denominators": denominators(mlm_labels, bsr_labels, present, cfg)}


def denominators(mlm_labels: torch.Tensor, bsr_labels: torch.Tensor, present: torch.Tensor, cfg) -> dict[str, int]:
    """Label counts the token-level losses divide by: MLM / BSR labels, proteins contributing to PDA."""
    pda_count = int((present.sum(1) >= 2).sum()) if cfg.pda_mask_absent else len(present)
    return {"mlm": int((mlm_labels != -100).sum()), "bsr": int((bsr_labels != -100).sum()), "pda": pda_count}


def slice_batch(batch: dict[str, Any], lo: int, hi: int, device: str = "cpu") -> dict[str, Any]:
    """Rows ``lo:hi`` of a global batch (tensors moved to ``device``); denominators stay global."""
    P = len(PROPERTIES)
    out: dict[str, Any] = {}
    for k, v in batch.items():
        if k == "gumbel":
            out[k] = v[lo * P:hi * P].to(device)
        elif isinstance(v, torch.Tensor):
            out[k] = v[lo:hi].to(device)
        elif isinstance(v, list):
            out[k] = v[lo:hi]
        else:
            out[k] = v
    return out
