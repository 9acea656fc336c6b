"""The GO-term vocabulary of the GO-term objective (``"terms"``, not one of the paper's four).

ProtCLIP's global contrastive loss (GC) pairs each protein with *its* text — here the list of its GO term
names — and takes the other texts of the batch as negatives. The zero-shot cross-modal tasks ask something
else: rank *every single GO term* of an ontology, embedded from its ``"name: definition"`` text
(:meth:`protbench.ontology.Term.text`, the text the prot2{bp,mf,cc}-goa tasks embed), for one protein. The
GO-term objective trains exactly that ranking: per ontology, a softmax over the vocabulary's term texts
(every term annotated to a training protein), with every term of the protein a positive
(:func:`protbench.protclip.objectives.term_loss`), so two proteins sharing "cytoplasm" are never each
other's negatives and popular terms are learned as such. Its weight is ``loss_weights["terms"]`` (0: off, the
paper's recipe).

Records carry their GO ids in ``extra["go"]`` (``{"bp": [...], "mf": [...], "cc": [...]}``, written by
``protbench protanno build-go``). Only the ontology and the *training* proteins' annotations are read; the
evaluation proteins' annotations never are.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

ASPECTS = ("bp", "mf", "cc")


@dataclass(frozen=True)
class TermVocabulary:
    """``ids[k]`` (a primary GO id) of aspect ``ASPECTS[aspect[k]]`` with text ``texts[k]``; ordered by aspect,
    then id. ``aliases``: the records' alt ids, as ``(alt id, primary id)`` pairs."""

    ids: tuple[str, ...]
    aspect: tuple[int, ...]
    texts: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...] = ()

    def __len__(self) -> int:
        return len(self.ids)

    def index(self) -> dict[str, int]:
        """GO id (primary or a records' alt id) → position."""
        out = {g: k for k, g in enumerate(self.ids)}
        return out | {alt: out[primary] for alt, primary in self.aliases}

    def aspect_tensor(self) -> torch.Tensor:
        """``(V,)`` long: each term's aspect index into :data:`ASPECTS`."""
        return torch.tensor(self.aspect, dtype=torch.long)

    def sha256(self) -> str:
        """Content hash of (id, aspect, text) rows: what a resumed run must share."""
        h = hashlib.sha256()
        for row in list(zip(self.ids, self.aspect, self.texts)) + list(self.aliases):
            h.update(("\t".join(map(str, row)) + "\n").encode())
        return h.hexdigest()


def record_terms(extra: dict, where: str = "record") -> dict[str, list[str]]:
    """A record's ``extra["go"]``, checked: ``{aspect: [GO ids]}`` over :data:`ASPECTS` (missing aspects empty)."""
    go = extra.get("go")
    if not isinstance(go, dict) or not set(go) <= set(ASPECTS) or \
            not all(isinstance(v, list) and all(isinstance(g, str) for g in v) for v in go.values()):
        raise ValueError(f"{where}: the GO-term objective needs each record's GO ids as "
                         '"go": {"bp": [...], "mf": [...], "cc": [...]} (found '
                         f"{type(go).__name__ if go is None else go!r:.80}); rebuild the corpus with "
                         "`protbench protanno build-go` (or `python -m protbench.protclip.swissprot_corpus`), "
                         "or set loss_weights terms=0")
    return {a: list(go.get(a, ())) for a in ASPECTS}


def build_vocabulary(records: Sequence, obo: str | Path) -> TermVocabulary:
    """Every GO term annotated to at least one of ``records`` (``extra["go"]``), with its ``"name: definition"``
    text from ``obo`` (go-basic; an alt id counts as its primary term). A term the ontology lacks (obsolete / unknown) is an error
    naming it: the corpus was built from another release."""
    from protbench.ontology import ASPECTS as NAMESPACES, load_ontology

    onto = load_ontology(Path(obo))
    seen: set[tuple[int, str]] = set()
    for n, r in enumerate(records):
        for a, ids in record_terms(r.extra, f"record {n} ({r.extra.get('id', '?')})").items():
            seen.update((ASPECTS.index(a), g) for g in ids)
    rows, aliases = [], set()
    for a, g in sorted(seen):
        primary = onto.canonical(g)
        if primary is None:
            raise ValueError(f"{obo}: GO term {g} (annotated in the training corpus) is not in this ontology; "
                             "use the go-basic release the corpus was built from")
        term = onto.terms[primary]
        if term.namespace != NAMESPACES[ASPECTS[a]]:
            raise ValueError(f"{obo}: {g} is a {term.namespace} term, but the corpus lists it under {ASPECTS[a]}")
        rows.append((a, primary, term.text()))
        if primary != g:
            aliases.add((g, primary))
    rows = sorted(set(rows))
    return TermVocabulary(tuple(r[1] for r in rows), tuple(r[0] for r in rows), tuple(r[2] for r in rows),
                          tuple(sorted(aliases)))


def term_targets(records: Sequence, vocab: TermVocabulary, index: dict[str, int] | None = None) -> torch.Tensor:
    """``(B, V)`` bool: ``[i, k]`` true when term ``k`` is annotated to record ``i`` (ids outside the vocabulary —
    e.g. a validation protein's rare term — are left out)."""
    index = vocab.index() if index is None else index
    out = torch.zeros(len(records), len(vocab), dtype=torch.bool)
    for i, r in enumerate(records):
        for ids in record_terms(r.extra, f"record {r.extra.get('id', i)}").values():
            for g in ids:
                k = index.get(g)
                if k is not None:
                    out[i, k] = True
    return out
