"""Mutation family: the upstream sources (URLs, checksums) and the task specifications."""
from __future__ import annotations

from protbench.spec import DataSource, Family, TaskSpec

from ..kinds import SupervisedTask
from .readers import flip_reader, peer_regression_reader
from .smoke import flip_smoke, peer_regression_smoke

REGRESSION_METRICS = ("spearman", "mae", "rmse")
PROTOCOLS = ("probe", "finetune", "alignment-knn")
PEER_S3 = "https://miladeepgraphlearningproteindata.s3.us-east-2.amazonaws.com/peerdata"
TAPE_S3 = "http://s3.amazonaws.com/songlabdata/proteindata/data_pytorch"
FLIP_COMMIT = "d5c35cc716ca93c3c74a0b43eef5b60cbf88521f"   # the FLIP revision ProtST's loaders pin


def _spec(**kw) -> TaskSpec:
    return TaskSpec(family=Family.MUTATION, main_metric="spearman", metrics=REGRESSION_METRICS, protocol="probe",
                    protocols=PROTOCOLS, **kw)
BETA_LACTAMASE_SOURCE = DataSource(
    filename="beta_lactamase.tar.gz", url=f"{PEER_S3}/beta_lactamase.tar.gz",
    md5="65766a3969cc0e94b101d4063d204ba4", size=114480,
    description="PEER β-lactamase (Gray et al. 2018) TEM-1 mutants, LMDB splits", license="Apache-2.0 (PEER)",
)
FLUORESCENCE_SOURCE = DataSource(
    filename="fluorescence.tar.gz", url=f"{TAPE_S3}/fluorescence.tar.gz", md5="d63d1d51ec8c20ff0d981e4cbd67457a",
    size=1635678,
    description="TAPE GFP fluorescence (Sarkisyan et al. 2016), LMDB splits", license="BSD-3-Clause (TAPE)",
)
STABILITY_SOURCE = DataSource(
    filename="stability.tar.gz", url=f"{TAPE_S3}/stability.tar.gz", md5="aa1e06eb5a59e0ecdae581e9ea029675",
    size=3116829,
    description="TAPE stability (Rocklin et al. 2017), LMDB splits", license="BSD-3-Clause (TAPE)",
)
FLIP_HASHES = ("md5 from ProtST's AAV/Thermostability dataset classes (checked by their downloader); git blob id from "
               f"`git ls-tree` of J-SNACKKB/FLIP at {FLIP_COMMIT[:7]} (no .gitattributes there, so the raw URL serves "
               "the zip itself, not an LFS pointer). Neither could be recomputed here: the zip's bytes are not in the "
               "offline snapshot")
AAV_SOURCE = DataSource(
    filename="aav_splits.zip", url=f"https://github.com/J-SNACKKB/FLIP/raw/{FLIP_COMMIT}/splits/aav/splits.zip",
    md5="cabdd41f3386f4949b32ca220db55c58", git_blob="78434dea713085323bd71f65b9b6f89e1c1b2f02",
    description=f"FLIP AAV splits (upstream name splits/aav/splits.zip, stored as aav_splits.zip); {FLIP_HASHES}",
    license="AFL-3.0 (FLIP splits)",
)
MELTOME_SOURCE = DataSource(
    filename="meltome_splits.zip", url=f"https://github.com/J-SNACKKB/FLIP/raw/{FLIP_COMMIT}/splits/meltome/splits.zip",
    md5="0f8b1e848568f7566713d53594c0ca90", git_blob="6582fe9e28d9fadd3b1b0ddeb2afb8b53abefb93",
    description=f"FLIP Meltome splits (upstream name splits/meltome/splits.zip, stored as meltome_splits.zip); "
                f"{FLIP_HASHES}",
    license="AFL-3.0 (FLIP splits)",
)
DEDUP_NOTE = ("later copies of a sequence within a split are dropped (torchdrug's documented sizes count distinct "
              "sequences)")


beta_lactamase = SupervisedTask(
    spec=_spec(
        id="beta-lactamase",
        description="Fitness of TEM-1 β-lactamase single mutants (ampicillin resistance), PEER split.",
        sources=(BETA_LACTAMASE_SOURCE,), splits={"train": 4158, "valid": 520, "test": 520},
        citation="Gray et al. 2018, Cell Systems 6(1):116; PEER benchmark, Xu et al. 2022 (arXiv 2206.02096)",
        license="Apache-2.0 (PEER)", label_space="regression (scaled_effect1)",
        parameters={"target": "scaled_effect1", "dedup_within_split": True},
    ),
    task_type="regression",
    read=peer_regression_reader("beta_lactamase.tar.gz", "beta_lactamase", "scaled_effect1"),
    smoke=peer_regression_smoke("beta_lactamase.tar.gz", "beta_lactamase", "scaled_effect1", length=120),
)


fluorescence = SupervisedTask(
    spec=_spec(
        id="fluorescence",
        description="log-fluorescence of avGFP mutants, TAPE split (train/valid ≤ 3 mutations, test more).",
        sources=(FLUORESCENCE_SOURCE,), splits={"train": 21446, "valid": 5362, "test": 27217},
        citation="Sarkisyan et al. 2016, Nature 533:397; TAPE, Rao et al. 2019 (NeurIPS)",
        license="BSD-3-Clause (TAPE)", label_space="regression (log_fluorescence)",
        parameters={"target": "log_fluorescence", "dedup_within_split": True},
    ),
    task_type="regression",
    read=peer_regression_reader("fluorescence.tar.gz", "fluorescence", "log_fluorescence"),
    smoke=peer_regression_smoke("fluorescence.tar.gz", "fluorescence", "log_fluorescence", length=238),
)


stability = SupervisedTask(
    spec=_spec(
        id="stability",
        description="Stability score of designed mini-proteins, TAPE split. The raw LMDB train split holds 53,614 "
                    "records but 53,571 distinct sequences (torchdrug's documented size); " + DEDUP_NOTE + ".",
        sources=(STABILITY_SOURCE,), splits={"train": 53571, "valid": 2512, "test": 12851},
        citation="Rocklin et al. 2017, Science 357:168; TAPE, Rao et al. 2019 (NeurIPS)",
        license="BSD-3-Clause (TAPE)", label_space="regression (stability_score)",
        parameters={"target": "stability_score", "dedup_within_split": True, "raw_lmdb_sizes": [53614, 2512, 12851]},
    ),
    task_type="regression",
    read=peer_regression_reader("stability.tar.gz", "stability", "stability_score"),
    smoke=peer_regression_smoke("stability.tar.gz", "stability", "stability_score", length=43),
)


aav = SupervisedTask(
    spec=_spec(
        id="aav",
        description="AAV capsid (VP1) variant fitness, FLIP split two_vs_many (train ≤ 2 edits, test more); residues "
                    "474:674 kept as in ProtST. The split CSV holds all 284,009 variants of FLIP's table: the "
                    "201,426 ML-designed ones have an empty `set` (not in this split) and are left out, counted in "
                    "the drop log under 'unassigned'. FLIP's notebook printed 31,807 train (10% of them validation) "
                    "and 50,776 test rows; PEER reports 22,246 / 2,462 / 50,432. Neither could be checked against "
                    "the zip here, so no split size is declared.",
        sources=(AAV_SOURCE,), splits={"train": None, "valid": None, "test": None},
        citation="Bryant et al. 2021, Nat Biotechnol 39:691; FLIP, Dallago et al. 2021 (NeurIPS Datasets)",
        license="AFL-3.0 (FLIP splits)", label_space="regression (target)",
        parameters={"split": "two_vs_many", "region": [474, 674], "flip_commit": FLIP_COMMIT,
                    "peer_reported_sizes": [22246, 2462, 50432],
                    "flip_notebook_counts": {"rows": 284009, "train_with_valid": 31807, "test": 50776}},
    ),
    task_type="regression",
    read=flip_reader("aav_splits.zip", "two_vs_many", region=slice(474, 674)),
    smoke=flip_smoke("aav_splits.zip", "two_vs_many", "aav"),
)


thermostability = SupervisedTask(
    spec=_spec(
        id="thermostability",
        description="Protein melting temperature (Meltome atlas), FLIP split human_cell (one HepG2 experiment; "
                    "validation written True/False). The zip could not be read here, so no split size is declared. "
                    "The sizes recorded as PEER's, 24,817 / 3,134 / 3,134, equal what FLIP's notebook printed for "
                    "mixed_split (27,951 rows, 3,134 test), not human_cell (7,158 rows, 1,366 test, printed before "
                    "the zip was regenerated in FLIP 29fb0de).",
        sources=(MELTOME_SOURCE,), splits={"train": None, "valid": None, "test": None},
        citation="Jarzab et al. 2020, Nat Methods 17:495; FLIP, Dallago et al. 2021 (NeurIPS Datasets)",
        license="AFL-3.0 (FLIP splits)", label_space="regression (target, °C)",
        parameters={"split": "human_cell", "flip_commit": FLIP_COMMIT,
                    "peer_reported_sizes": [24817, 3134, 3134],
                    "flip_notebook_counts": {"rows": 7158, "test": 1366}},
    ),
    task_type="regression",
    read=flip_reader("meltome_splits.zip", "human_cell"),
    smoke=flip_smoke("meltome_splits.zip", "human_cell", "meltome"),
)
TASKS = [beta_lactamase, aav, thermostability, fluorescence, stability]
