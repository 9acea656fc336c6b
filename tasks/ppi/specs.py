"""PPI family: the upstream sources (URLs, checksums) and the task specifications."""
from __future__ import annotations

from protbench.formats.gnn_ppi import MODES
from protbench.spec import DataSource, Family, TaskSpec

from ..kinds import PpiTask
from .readers import read_ppi
from .smoke import write_ppi_smoke

PPI_METRICS = ("micro_f1", "macro_f1")
PROTOCOLS = ("ppi-gnn", "pair-mlp", "ppi-gnn-finetune")
SPLIT_METHODS = ("bfs", "dfs", "random")
GNN_PPI_COMMIT = "cd1843ebec574577aacdd65b38e3a49c545f3541"   # lvguofeng/GNN_PPI commit holding data/
GNN_PPI_RAW = f"https://raw.githubusercontent.com/lvguofeng/GNN_PPI/{GNN_PPI_COMMIT}/data"
CITATION = ("Lv, Hu, Bi, Zhang 2021, Learning Unknown from Correlations: Graph Neural Network for "
            "Inter-novel-protein Interaction Prediction, IJCAI (arXiv 2105.06709); SHS27k/SHS148k from "
            "Chen et al. 2019 (PIPR); STRING v11, Szklarczyk et al. 2019")


# -- the datasets ---------------------------------------------------------------------------------
# Every file below that lives in the GNN-PPI repository is pinned to commit cd1843e and checked by its git
# blob id (`git ls-tree -r -l cd1843e data/`), which needs no copy of the file; SHS27k's and the SHS148k
# dictionary's md5/sha256/size were measured on the mirror. The SHS148k actions file and the STRING
# dictionary are too large for the stored snapshot, so their byte size is not known here.
SHS27K_SOURCES = (
    DataSource(filename="protein.actions.SHS27k.STRING.txt", url=f"{GNN_PPI_RAW}/protein.actions.SHS27k.STRING.txt",
               md5="954beeecde1dbdecc50f26435077a8bf",
               sha256="6c79932d6489bed3c794fcde68a42ce603bc14e22c3cf549115685cd4fd6076a", size=3958672,
               git_blob="5d372657bbbb9f10667d3e5960ea690476dc54e7",
               description="SHS27k typed interactions (STRING actions format), GNN-PPI repository", license="MIT"),
    DataSource(filename="protein.SHS27k.sequences.dictionary.tsv",
               url=f"{GNN_PPI_RAW}/protein.SHS27k.sequences.dictionary.tsv",
               md5="a4a2a588c1a511fa2b866f13b49de21f",
               sha256="2fe6201a91c8f64f872ae954f497232ec500bd3209a1647a2f0b471bc19a530d", size=1002278,
               git_blob="68f66f0cec588a1338fe87770f431b6906e31b39",
               description="SHS27k protein sequences (STRING id <TAB> sequence)", license="MIT"),
)
SHS148K_SOURCES = (
    DataSource(filename="protein.actions.SHS148k.STRING.txt", url=f"{GNN_PPI_RAW}/protein.actions.SHS148k.STRING.txt",
               git_blob="244a49e9f76f9f916d49ca8841532d3a45165397",
               description="SHS148k typed interactions (STRING actions format), GNN-PPI repository "
                           "(data/protein.actions.SHS148k.STRING.txt at cd1843e)", license="MIT"),
    DataSource(filename="protein.SHS148k.sequences.dictionary.tsv",
               url=f"{GNN_PPI_RAW}/protein.SHS148k.sequences.dictionary.tsv",
               md5="4addcc80962a2418c6e2daa8d8466374",
               sha256="f29adec92b32a78717af69a172466525dd38d11c9b63a3a611c1ea349e6b127a", size=3209563,
               git_blob="9441d94bd2393481f66cc8856315316ff7eb8988",
               description="SHS148k protein sequences (STRING id <TAB> sequence)", license="MIT"),
)
STRING_SOURCES = (
    DataSource(filename="9606.protein.actions.all_connected.txt",
               url="https://pan.baidu.com/s/1FU-Ij3LxyP9dOHZxO3Aclw",
               unverified="not in the GNN-PPI repository (`git ls-tree` of cd1843e: data/ holds the SHS27k and "
                          "SHS148k actions files and three sequence dictionaries only); GNN-PPI distributes it "
                          "through a Baidu share (extraction code tibn; manual download, then put the file in a "
                          "mirror folder); the sha256 actually read is recorded in each result",
               description="STRING v11 Homo sapiens actions, GNN-PPI 'all connected' subset "
                           "(raw: stringdb-static.org/download/protein.actions.v11.0/9606.protein.actions.v11.0.txt.gz)",
               license="CC BY 4.0 (STRING)"),
    DataSource(filename="protein.STRING_all_connected.sequences.dictionary.tsv",
               url=f"{GNN_PPI_RAW}/protein.STRING_all_connected.sequences.dictionary.tsv",
               git_blob="6145720829c176a6955d4a164935c0177fe6c0d5",
               description="sequences of the STRING 'all connected' proteins, GNN-PPI repository "
                           "(data/protein.STRING_all_connected.sequences.dictionary.tsv at cd1843e)",
               license="CC BY 4.0 (STRING)"),
)


# (id, sources, actions file, sequences file, expected proteins / pairs, smoke size, description)
# SHS27k counts are measured on the mirror; SHS148k and STRING counts are those of the GNN-PPI
# paper (Table 1): their actions file (SHS148k) or both files (STRING) were not reachable here, so a
# first real run checks them.
DATASETS = (
    ("shs27k", SHS27K_SOURCES, 1690, 7624, 80, "SHS27k (Chen et al. 2019): 1,690 human proteins, 7,624 pairs"),
    ("shs148k", SHS148K_SOURCES, 5189, 44488, 100, "SHS148k (Chen et al. 2019): 5,189 human proteins, 44,488 pairs"),
    ("string", STRING_SOURCES, 15335, 593397, 120,
     "STRING v11 Homo sapiens 'all connected' (GNN-PPI): 15,335 proteins, 593,397 pairs"),
)


def make_task(base: str, sources, n_proteins: int, n_pairs: int, smoke: int, about: str, method: str) -> PpiTask:
    tid = base if method == "bfs" else f"{base}-{method}"
    main = " (main split)" if method == "bfs" else ""
    return PpiTask(
        spec=TaskSpec(
            id=tid, family=Family.PPI,
            description=f"Multi-type PPI on {about}; 7 interaction modes per unordered pair (multi-label); "
                        f"test = 20% of the pairs by {method.upper()} (GNN-PPI){main}; one split (seed 0) for every model "
                        f"seed (--param ppi-gnn.split_seed=none: a split per seed).",
            main_metric="micro_f1", metrics=PPI_METRICS, protocol="ppi-gnn", protocols=PROTOCOLS,
            sources=tuple(sources), splits={"proteins": n_proteins, "pairs": n_pairs},
            citation=CITATION, license=sources[0].license, label_space="7 multi-label (STRING action modes)",
            parameters={"split": method, "threshold": 0.5, "modes": list(MODES)},
        ),
        read=read_ppi(sources[0].filename, sources[1].filename),
        smoke=write_ppi_smoke(sources[0].filename, sources[1].filename, base, n_proteins=smoke),
        split_method=method,
    )
TASKS = [make_task(*d, method=m) for d in DATASETS for m in SPLIT_METHODS]
