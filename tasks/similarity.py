"""Family 4, semantic similarity inference (PROBE): does embedding similarity follow GO similarity?

Two kinds of task per GO aspect, both zero-shot on frozen pooled embeddings
(:mod:`protbench.evaluation.semsim`):

* ``simsem-{mf,bp,cc}`` — PROBE's own files (Unsal et al. 2022): the GO
  similarity matrices of the 500 and 200 best-annotated human proteins and the
  "Sparse" pair subset of the 500. Sequences come from the human Swiss-Prot
  table of the mirror (PROBE ships accessions only); accessions without a
  sequence there are dropped and counted.
* ``simsem-{mf,bp,cc}-human`` — the ground truth computed here
  (:mod:`protbench.ontology`): human Swiss-Prot proteins with org.Hs.eg.db gene
  annotations (every evidence code except IEA and ND), GO DAG from go-basic
  2021-12-15, annotations propagated along is_a + part_of, IC from the
  propagated annotation counts of all those human proteins in the aspect, Lin
  term similarity, best-match average. The 500 / 200 best-annotated proteins
  are those with the most distinct direct terms in the aspect (ties: accession
  order). There is no Sparse set (PROBE's sparsification is not reproduced).

Scores: split ``test`` = the 500 set (main), ``200`` and (PROBE files only)
``sparse``. Metrics: Spearman of Manhattan (main), cosine and Euclidean
similarity against GO similarity over the upper triangle.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from protbench import ontology as O
from protbench.evaluation.semsim import semsim_scores
from protbench.formats import go_annotations as G
from protbench.formats import probe_sim
from protbench.interfaces import Embeddings, EvalOptions
from protbench.sequences import DropLog, clean_sequence
from protbench.smoke import class_sequence, rng_for
from protbench.spec import DataSource, Family, Record, SeedResult, TaskData, TaskSpec

from .go_data import EVIDENCE_NOTE, HUMAN_GO_SOURCES, SWISSPROT_HUMAN, load_human_go

METRICS = ("spearman-manhattan", "spearman-cosine", "spearman-euclidean")
PROBE_REPO = "https://raw.githubusercontent.com/kansil/PROBE/master/data"
PROBE_CITATION = ("Unsal et al. 2022, Learning functional properties of proteins with language models, "
                  "Nature Machine Intelligence 4:227 (PROBE)")
UNVERIFIED = "PROBE's files were not reachable while this task was written; no checksum could be taken"
SETS = {"test": 500, "200": 200}


def probe_sources(aspect: str) -> tuple[DataSource, ...]:
    return (
        DataSource(probe_sim.matrix_filename(aspect, 500), f"{PROBE_REPO}/preprocess/"
                   f"{probe_sim.matrix_filename(aspect, 500)}", unverified=UNVERIFIED,
                   description=f"PROBE GO-{aspect.upper()} similarity of the 500 best-annotated human proteins"),
        DataSource(probe_sim.matrix_filename(aspect, 200), f"{PROBE_REPO}/preprocess/"
                   f"{probe_sim.matrix_filename(aspect, 200)}", unverified=UNVERIFIED,
                   description=f"PROBE GO-{aspect.upper()} similarity of the 200 best-annotated human proteins"),
        DataSource(probe_sim.sparse_filename(aspect), f"{PROBE_REPO}/auxilary_input/"
                   f"{probe_sim.sparse_filename(aspect)}", unverified=UNVERIFIED,
                   description=f"PROBE Sparse pair coordinates into the 500 {aspect.upper()} matrix"),
        SWISSPROT_HUMAN,
    )


@dataclass
class SimSemTask:
    """One aspect's semantic-similarity task; ``source`` is ``"probe"`` (PROBE files) or ``"computed"``."""

    spec: TaskSpec
    aspect: str
    source: str

    # -- loading -------------------------------------------------------------------------------
    def load(self, files: Mapping[str, Path]) -> TaskData:
        return self._load_probe(files) if self.source == "probe" else self._load_computed(files)

    def _records(self, accs: list[str], sequences: Mapping[str, str], split: str, log: DropLog,
                 where: str) -> tuple[list[Record], list[int]]:
        recs, kept = [], []
        for i, acc in enumerate(accs):
            seq = sequences.get(acc)
            if seq is None:
                log.drop(split, "accession without a sequence", f"{where} {acc}")
                continue
            seq = clean_sequence(seq, split, f"{where} {acc}", log)
            if seq is None:
                continue
            recs.append(Record(id=acc, sequence=seq))
            kept.append(i)
        return recs, kept

    def _load_probe(self, files: Mapping[str, Path]) -> TaskData:
        log = DropLog()
        sp = G.read_swissprot_go(files[SWISSPROT_HUMAN.filename])
        sequences = {a: e.sequence for a, e in sp.items()}
        splits, sims, pairs = {}, {}, {}
        for split, n in SETS.items():
            name = probe_sim.matrix_filename(self.aspect, n)
            accs, s = probe_sim.read_matrix(files[name])
            recs, kept = self._records(accs, sequences, split, log, name)
            splits[split] = recs
            sims[split] = s[np.ix_(kept, kept)]
            if split == "test":
                raw = probe_sim.read_sparse_pairs(files[probe_sim.sparse_filename(self.aspect)], len(accs))
                remap = np.full(len(accs), -1, dtype=np.int64)
                remap[kept] = np.arange(len(kept))
                p = remap[raw]
                pairs["sparse"] = p[(p >= 0).all(axis=1)]
        return TaskData(splits=splits, extra={"go_similarity": sims, "pairs": pairs}, stats=log.to_dict())

    def _load_computed(self, files: Mapping[str, Path]) -> TaskData:
        p = self.spec.parameters
        human = load_human_go(files)
        ann = human.annotations[self.aspect]
        ic = O.information_content(human.onto, O.annotation_counts(human.onto, ann), self.aspect)
        ranked = sorted(ann, key=lambda a: (-len(ann[a]), a))
        log = DropLog()
        splits, sims = {}, {}
        for split, n in (("test", p["n_proteins"]), ("200", p["n_small"])):
            recs, _ = self._records(ranked[:n], human.sequences, split, log, SWISSPROT_HUMAN.filename)
            if len(recs) < n and len(ranked) >= n:   # keep the set size: take the next best-annotated proteins
                extra, _ = self._records(ranked[n:], human.sequences, split, DropLog(), SWISSPROT_HUMAN.filename)
                recs += extra[:n - len(recs)]
            splits[split] = recs
            sims[split] = O.bma_matrix(human.onto, [ann[r.id] for r in recs], ic, p["term_similarity"])
        stats = {**log.to_dict(), "go": human.stats, "ic_terms": len(ic), "annotated_proteins": len(ann)}
        return TaskData(splits=splits, extra={"go_similarity": sims, "pairs": {}}, stats=stats)

    # -- smoke data ----------------------------------------------------------------------------
    def write_smoke(self, folder: Path) -> dict[str, Path]:
        return (_smoke_probe if self.source == "probe" else _smoke_computed)(Path(folder), self.aspect)

    # -- evaluation ----------------------------------------------------------------------------
    def evaluate(self, data: TaskData, emb: Embeddings, seed: int, options: EvalOptions) -> SeedResult:
        """Zero-shot: embeddings vs GO similarity; deterministic (``seed`` unused)."""
        scores: dict[str, dict[str, float]] = {}
        for split, recs in data.splits.items():
            x = emb.proteins([r.sequence for r in recs])
            scores[split] = semsim_scores(data.extra["go_similarity"][split], x)
            if split == "test":
                for name, pairs in data.extra.get("pairs", {}).items():
                    scores[name] = semsim_scores(data.extra["go_similarity"][split], x, pairs)
        info = {"pairs": {s: len(r) * (len(r) - 1) // 2 for s, r in data.splits.items()}}
        info.update({name: len(p) for name, p in data.extra.get("pairs", {}).items()})
        return SeedResult(scores=scores, info=info)


# ---------------------------------------------------------------------------------------------
# smoke data: proteins of 6 planted families; GO similarity is high within a family

def _smoke_proteins(aspect: str, n: int) -> tuple[list[str], list[str], np.ndarray]:
    rng = rng_for("smoke", "simsem", aspect)
    families = rng.integers(0, 6, size=n)
    accs = [f"S{aspect.upper()}{i:05d}" for i in range(n)]
    seqs = [class_sequence(rng, int(f), 50, 120, strength=0.5) for f in families]
    return accs, seqs, families


def _smoke_probe(folder: Path, aspect: str) -> dict[str, Path]:
    accs, seqs, fam = _smoke_proteins(aspect, 60)
    rng = rng_for("smoke", "simsem-probe", aspect)
    base = np.where(fam[:, None] == fam[None, :], 0.75, 0.2) + rng.uniform(0, 0.2, size=(60, 60))
    s = np.triu(base, 1)
    s = s + s.T + np.eye(60)
    out = {}
    order = list(range(60))
    for n in (500, 200):
        k = 60 if n == 500 else 30
        name = probe_sim.matrix_filename(aspect, n)
        out[name] = probe_sim.write_matrix(folder / name, [accs[i] for i in order[:k]], s[:k, :k])
    iu = np.stack(np.triu_indices(60, 1), 1)
    pairs = iu[rng.choice(len(iu), size=400, replace=False)]
    name = probe_sim.sparse_filename(aspect)
    out[name] = probe_sim.write_sparse_pairs(folder / name, pairs)
    entries = [G.SwissProtEntry(a, q, {}) for a, q in zip(accs, seqs)]
    out[SWISSPROT_HUMAN.filename] = G.write_swissprot_go(folder / SWISSPROT_HUMAN.filename, entries)
    return out


def smoke_go_files(folder: Path, aspect: str, n: int = 60) -> tuple[dict[str, Path], list[str], np.ndarray]:
    """Smoke copies of the four human GO files: a small OBO of the aspect where each protein family owns a
    subtree, gene annotations into its family's subtree (some IEA/ND rows that must be filtered out)."""
    accs, seqs, fam = _smoke_proteins(aspect, n)
    rng = rng_for("smoke", "simsem-go", aspect)
    ns = O.ASPECTS[aspect]
    root = O.ROOTS[aspect]
    terms = [(root, ns.replace("_", " "), ns, "Root of the aspect.", [], [])]
    leaves: dict[int, list[str]] = {}
    k = 100
    for f in range(6):
        mid = f"GO:{9000000 + k:07d}"
        k += 1
        terms.append((mid, f"family {f} {aspect} activity", ns, f"Planted smoke family {f}.", [root], []))
        leaves[f] = []
        for j in range(4):
            leaf = f"GO:{9000000 + k:07d}"
            k += 1
            part_of = [leaves[f][0]] if j == 3 else []
            terms.append((leaf, f"family {f} detail {j}", ns, f"Detail {j} of smoke family {f}.", [mid], part_of))
            leaves[f].append(leaf)
    out = {"go-basic.obo.gz": O.write_obo(folder / "go-basic.obo.gz", terms, release="smoke")}
    rows, mapping, entries = [], {}, []
    for i, (acc, seq, f) in enumerate(zip(accs, seqs, fam)):
        gene = str(1000 + i)
        mapping[gene] = [acc, f"A0A{i:06d}"]   # a TrEMBL accession that is not in the Swiss-Prot table
        chosen = rng.choice(4, size=int(rng.integers(1, 4)), replace=False)
        rows += [G.GeneAnnotation(gene, aspect, leaves[int(f)][int(j)], "IDA") for j in chosen]
        rows.append(G.GeneAnnotation(gene, aspect, leaves[int((f + 1) % 6)][0], "IEA"))   # filtered out
        entries.append(G.SwissProtEntry(acc, seq, {}))
    rows.append(G.GeneAnnotation("1000", aspect, root, "ND"))
    out["orgHs_gene_go.tsv.gz"] = G.write_gene_go(folder / "orgHs_gene_go.tsv.gz", rows)
    out["orgHs_gene_uniprot_ensp.tsv.gz"] = G.write_gene_uniprot(folder / "orgHs_gene_uniprot_ensp.tsv.gz", mapping)
    out[SWISSPROT_HUMAN.filename] = G.write_swissprot_go(folder / SWISSPROT_HUMAN.filename, entries)
    return out, accs, fam


def _smoke_computed(folder: Path, aspect: str) -> dict[str, Path]:
    return smoke_go_files(folder, aspect)[0]


# ---------------------------------------------------------------------------------------------

def _probe_task(aspect: str) -> SimSemTask:
    return SimSemTask(TaskSpec(
        id=f"simsem-{aspect}", family=Family.SIMILARITY,
        description=f"Spearman between embedding similarity and PROBE's GO-{aspect.upper()} semantic similarity "
                    f"of human proteins (500 / 200 best-annotated, Sparse pairs).",
        main_metric="spearman-manhattan", metrics=METRICS, protocol="semsim", sources=probe_sources(aspect),
        splits={"test": None, "200": None}, citation=PROBE_CITATION, license="GPL-3.0 (PROBE)",
        label_space="pairwise GO similarity (Lin, best-match average; PROBE)",
        parameters={"aspect": aspect, "main_set": "500", "sets": ["500", "200", "Sparse"],
                    "sequences": "human Swiss-Prot 2014-01 table of the mirror (PROBE ships accessions only)",
                    "euclidean": "1 - |a-b|_2/(|a|_2+|b|_2) (PROBE)"},
    ), aspect, "probe")


def _computed_task(aspect: str) -> SimSemTask:
    return SimSemTask(TaskSpec(
        id=f"simsem-{aspect}-human", family=Family.SIMILARITY,
        description=f"Spearman between embedding similarity and GO-{aspect.upper()} semantic similarity computed "
                    f"here (Lin, best-match average) for the 500 / 200 best-annotated human Swiss-Prot proteins.",
        main_metric="spearman-manhattan", metrics=METRICS, protocol="semsim", sources=HUMAN_GO_SOURCES,
        splits={"test": 500, "200": 200}, citation=PROBE_CITATION + "; GO Consortium; org.Hs.eg.db",
        license="CC BY 4.0 (GO); Artistic-2.0 (org.Hs.eg.db); GPL-2+ (metastudent-data)",
        label_space="pairwise GO similarity (Lin, best-match average; computed)",
        variant="real-data variant: ground truth computed from org.Hs.eg.db annotations (not PROBE's matrices)",
        parameters={"aspect": aspect, "n_proteins": 500, "n_small": 200, "term_similarity": "lin",
                    "protein_similarity": "best-match average", "ic": "propagated annotation counts of all "
                    "annotated human proteins of the aspect", "annotations": EVIDENCE_NOTE,
                    "selection": "most distinct direct terms in the aspect, ties by accession",
                    "euclidean": "1 - |a-b|_2/(|a|_2+|b|_2) (PROBE)"},
    ), aspect, "computed")


TASKS = [_probe_task(a) for a in ("mf", "bp", "cc")] + [_computed_task(a) for a in ("mf", "bp", "cc")]
