"""Similarity family: the upstream sources (PROBE's files, the human GO data) and the task specifications."""
from __future__ import annotations

from protbench.formats import probe_sim
from protbench.spec import DataSource, Family, TaskSpec

from ..go_data import EVIDENCE_NOTE, HUMAN_GO_SOURCES, SWISSPROT_HUMAN
from ..kinds import Task
from .readers import computed_reader, probe_reader
from .smoke import computed_smoke, probe_smoke

METRICS = ("spearman-manhattan", "spearman-cosine", "spearman-euclidean")
PROBE_COMMIT = "9ff8219c14fb5bdb8fe5f8ed66142ed9f9bf4290"   # HUBioDataLab/PROBE, 2025-06-04 (README update)
PROBE_RAW = f"https://raw.githubusercontent.com/HUBioDataLab/PROBE/{PROBE_COMMIT}"
SPARSE_DIR = "paper_reproduction_scripts/semantic_similarity_inference/auxilary_input"
PROBE_CITATION = ("Unsal et al. 2022, Learning functional properties of proteins with language models, "
                  "Nature Machine Intelligence 4:227 (PROBE)")
# git ls-tree -l of HUBioDataLab/PROBE @ PROBE_COMMIT: (blob id, bytes) of each Sparse coordinate file
SPARSE_BLOBS = {"mf": ("5c65478438e04f852ee6e482979e61d1283b599b", 4080),
                "bp": ("6286c49ef567e6ffb20ac02f049475e3d7c4cf25", 4080),
                "cc": ("2350e1958fc3ad155a7c6540da01648562a16436", 4048)}
# proteins in PROBE's "500" matrices (Similarity_Matrix_Stats.ipynb, cell 3 output) and Sparse coordinate rows
MATRIX_PROTEINS = {"mf": 497, "bp": 497, "cc": 495}
SPARSE_ROWS = {"mf": (247, 1), "bp": (247, 0), "cc": (245, 0)}   # (rows, rows with i == j that PROBE skips)
# PROBE's published AAC scores (results/Semantic_sim_inference_{500,200,Sparse}_AAC.csv @ PROBE_COMMIT), Manhattan;
# a reference to compare our `aac` with once the matrices are at hand (docs/data-sources.d/up-probe.md has all three)
PUBLISHED_AAC_MANHATTAN = {"mf": {"500": 0.04915, "200": 0.04912, "Sparse": -0.01205},
                           "bp": {"500": 0.01649, "200": 0.0397, "Sparse": 0.2141},
                           "cc": {"500": 0.0457, "200": 0.09393, "Sparse": 0.09121}}

DATASETS_ZIP = DataSource(
    filename=probe_sim.ARCHIVE,
    url="https://drive.google.com/uc?export=download&id=1elGfjI4jwzcjOBT6LoMnz-7DtdwPFV6i",
    unverified=("a Google Drive file named by PROBE's README (HUBioDataLab/PROBE@9ff8219 README.md, 'Download "
                "Benchmark Datasets'); PROBE publishes no checksum or size for it, and it could not be reached "
                "where this task was written. The reader records the sha256 of the archive and the md5 of each "
                "matrix it reads. Drive may answer a large file with an HTML confirmation page instead of the "
                "zip: then download it in a browser and put it in the cache or a mirror folder"),
    description="PROBE benchmark data (folders preprocess/ and auxilary_input/): GO similarity matrices of the "
                "best-annotated human proteins, among others",
    license="GPL-3.0 (PROBE)")


def probe_sources(aspect: str) -> tuple[DataSource, ...]:
    blob, size = SPARSE_BLOBS[aspect]
    name = probe_sim.sparse_filename(aspect)
    return (
        DATASETS_ZIP,
        DataSource(name, f"{PROBE_RAW}/{SPARSE_DIR}/{name}", git_blob=blob, size=size,
                   description=f"PROBE Sparse pair coordinates into the 500 {aspect.upper()} matrix "
                               f"(int64, {SPARSE_ROWS[aspect][0]} rows)",
                   license="GPL-3.0 (PROBE)"),
        SWISSPROT_HUMAN,
    )


def _probe_task(aspect: str) -> Task:
    rows, diag = SPARSE_ROWS[aspect]
    spec = TaskSpec(
        id=f"simsem-{aspect}", family=Family.SIMILARITY,
        description=f"Spearman between embedding similarity and PROBE's GO-{aspect.upper()} semantic similarity "
                    f"of human proteins (500 / 200 best-annotated, Sparse pairs).",
        main_metric="spearman-manhattan", metrics=METRICS, protocol="semsim", sources=probe_sources(aspect),
        splits={"test": None, "200": None}, citation=PROBE_CITATION, license="GPL-3.0 (PROBE)",
        label_space="pairwise GO similarity (Lin, best-match average, IEA dropped; GOSemSim in PROBE)",
        parameters={"aspect": aspect, "main_set": "500", "sets": ["500", "200", "Sparse"],
                    "set_proteins": {"500": MATRIX_PROTEINS[aspect], "200": 200},
                    "sparse_pairs": f"{rows - diag} ({rows} coordinate rows, {diag} with i == j skipped as PROBE)",
                    "matrices": "datasets.zip (PROBE's Google Drive archive), members preprocess/"
                                "human_<ASPECT>_proteinSimilarityMatrix_for_highest_annotated_{500,200}_proteins.csv",
                    "sequences": "human Swiss-Prot 2014-01 table of the mirror; PROBE's own human FASTA is a Google "
                                 "Drive file with no checksum. Matrix proteins missing there are dropped and counted",
                    "pairs": "every pair i < j of a set (PROBE: j > i), Spearman over all pairs pooled",
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
                    "selection": "most distinct direct terms in the aspect, ties by accession in reverse (PROBE)",
                    "euclidean": "1 - |a-b|_2/(|a|_2+|b|_2) (PROBE)"},
    )
    return Task(spec, computed_reader(aspect, spec.parameters), computed_smoke(aspect))


TASKS = [_probe_task(a) for a in ("mf", "bp", "cc")] + [_computed_task(a) for a in ("mf", "bp", "cc")]
