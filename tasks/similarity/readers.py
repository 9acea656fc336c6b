"""Similarity family: readers of PROBE's files and of the human GO data (ground truth computed here)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
from protbench import ontology as O
from protbench.formats import go_annotations as G
from protbench.fetch import file_hash
from protbench.formats import probe_sim
from protbench.sequences import DropLog, clean_sequence
from protbench.spec import Record, TaskData

from ..go_data import SWISSPROT_HUMAN, load_human_go

SETS = {"test": 500, "200": 200}
# how --limit subsets the ground truth with the records (protbench.spec.subset_extra)
RECORD_INDEXED = {"go_similarity": "square", "pairs": "pairs:test"}


def _records(accs: list[str], sequences: Mapping[str, str], split: str, log: DropLog,
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


def probe_reader(aspect: str):
    """Reader of PROBE's matrices (inside ``datasets.zip``) + Sparse pairs for one aspect.

    Follows PROBE's evaluator (HUBioDataLab/PROBE @ 9ff8219, ``bin/semantic_similarity_infer.py``): the "500" set
    is the matrix ``..._500_proteins.csv`` (497 / 497 / 495 proteins for MF / BP / CC), the "200" set its own
    matrix, the "Sparse" set the coordinate rows ``(i, j)`` with ``j > i`` into the 500 matrix (a diagonal row
    is skipped as PROBE skips it). A protein without a sequence in the human Swiss-Prot table is dropped with
    every pair it is in (PROBE likewise skips pairs whose proteins its representation file lacks) and counted.
    ``datasets.zip`` has no published checksum, so the md5 of each matrix read and the archive's sha256 are
    recorded in ``stats``.
    """

    def read(files: Mapping[str, Path]) -> TaskData:
        log = DropLog()
        sp = G.read_swissprot_go(files[SWISSPROT_HUMAN.filename])
        sequences = {a: e.sequence for a, e in sp.items()}
        archive = Path(files[probe_sim.ARCHIVE])
        splits, sims, pairs = {}, {}, {}
        stats: dict[str, Any] = {"archive_sha256": file_hash(archive, "sha256"), "matrix_md5": {},
                                 "matrix_proteins": {}}
        for split, n in SETS.items():
            name = probe_sim.matrix_filename(aspect, n)
            accs, s, md5 = probe_sim.read_archive_matrix(archive, aspect, n)
            stats["matrix_md5"][name] = md5
            stats["matrix_proteins"][split] = len(accs)
            recs, kept = _records(accs, sequences, split, log, name)
            splits[split] = recs
            sims[split] = s[np.ix_(kept, kept)]
            if split == "test":
                raw, skipped = probe_sim.read_sparse_pairs(files[probe_sim.sparse_filename(aspect)], len(accs))
                remap = np.full(len(accs), -1, dtype=np.int64)
                remap[kept] = np.arange(len(kept))
                p = remap[raw]
                ok = (p >= 0).all(axis=1)
                pairs["sparse"] = p[ok]
                stats["sparse_pairs"] = {"rows": len(raw) + skipped, "skipped (j <= i, as PROBE)": skipped,
                                         "dropped (a protein without a sequence)": int((~ok).sum()),
                                         "scored": int(ok.sum())}
        return TaskData(splits=splits, stats={**log.to_dict(), **stats},
                        extra={"go_similarity": sims, "pairs": pairs, "record_indexed": RECORD_INDEXED})

    return read


def computed_reader(aspect: str, p: Mapping[str, Any]):
    """Reader computing the GO similarity ground truth (Lin, BMA) of the best-annotated human proteins."""

    def read(files: Mapping[str, Path]) -> TaskData:
        human = load_human_go(files)
        ann = human.annotations[aspect]
        ic = O.information_content(human.onto, O.annotation_counts(human.onto, ann), aspect)
        # PROBE's order (calculateHighestAnnotatedProteins.ipynb, cell 5): most GO ids first, ties by accession
        # in reverse (it sorts (count, accession) pairs with reverse=True)
        ranked = sorted(ann, key=lambda a: (len(ann[a]), a), reverse=True)
        log = DropLog()
        splits, sims = {}, {}
        for split, n in (("test", p["n_proteins"]), ("200", p["n_small"])):
            recs, _ = _records(ranked[:n], human.sequences, split, log, SWISSPROT_HUMAN.filename)
            if len(recs) < n and len(ranked) >= n:   # keep the set size: take the next best-annotated proteins
                extra, _ = _records(ranked[n:], human.sequences, split, DropLog(), SWISSPROT_HUMAN.filename)
                recs += extra[:n - len(recs)]
            splits[split] = recs
            sims[split] = O.bma_matrix(human.onto, [ann[r.id] for r in recs], ic, p["term_similarity"])
        stats = {**log.to_dict(), "go": human.stats, "ic_terms": len(ic), "annotated_proteins": len(ann)}
        return TaskData(splits=splits, stats=stats,
                        extra={"go_similarity": sims, "pairs": {}, "record_indexed": RECORD_INDEXED})

    return read
