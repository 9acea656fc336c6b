"""Similarity family: the upstream sources (PROBE's files, the human GO data) and the task specifications."""
from __future__ import annotations

from protbench.formats import probe_sim
from protbench.spec import DataSource, Family, TaskSpec

from ..go_data import EVIDENCE_NOTE, HUMAN_GO_SOURCES, SWISSPROT_HUMAN
from ..kinds import Task
from .readers import computed_reader, probe_reader
from .smoke import computed_smoke, probe_smoke

METRICS = ("spearman-manhattan", "spearman-cosine", "spearman-euclidean")
PROBE_REPO = "https://raw.githubusercontent.com/kansil/PROBE/master/data"
PROBE_CITATION = ("Unsal et al. 2022, Learning functional properties of proteins with language models, "
                  "Nature Machine Intelligence 4:227 (PROBE)")
UNVERIFIED = "PROBE's files were not reachable while this task was written; no checksum could be taken"

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


def _probe_task(aspect: str) -> Task:
    spec = TaskSpec(
        id=f"simsem-{aspect}", family=Family.SIMILARITY,
        description=f"Spearman between embedding similarity and PROBE's GO-{aspect.upper()} semantic similarity "
                    f"of human proteins (500 / 200 best-annotated, Sparse pairs).",
        main_metric="spearman-manhattan", metrics=METRICS, protocol="semsim", sources=probe_sources(aspect),
        splits={"test": None, "200": None}, citation=PROBE_CITATION, license="GPL-3.0 (PROBE)",
        label_space="pairwise GO similarity (Lin, best-match average; PROBE)",
        parameters={"aspect": aspect, "main_set": "500", "sets": ["500", "200", "Sparse"],
                    "sequences": "human Swiss-Prot 2014-01 table of the mirror (PROBE ships accessions only)",
                    "euclidean": "1 - |a-b|_2/(|a|_2+|b|_2) (PROBE)"},
    )
    return Task(spec, probe_reader(aspect), probe_smoke(aspect))


def _computed_task(aspect: str) -> Task:
    spec = TaskSpec(
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
    )
    return Task(spec, computed_reader(aspect, spec.parameters), computed_smoke(aspect))


TASKS = [_probe_task(a) for a in ("mf", "bp", "cc")] + [_computed_task(a) for a in ("mf", "bp", "cc")]
