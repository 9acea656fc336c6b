"""Family 2, mutation effects: regression of fitness-like targets (Spearman main; MAE, RMSE).

Each task is a declarative :class:`~protbench.tasks.base.ProbeTask`: the upstream file
(URL, checksum), the target field, the expected split sizes, and a smoke-data writer
that emits the same format with planted, learnable targets. Two upstream formats:
PEER/TAPE LMDB archives (β-lactamase, fluorescence, stability) and FLIP split zips
(AAV, thermostability).

Split sizes: torchdrug documents the number of *distinct* sequences per split
(TAPE stability train holds 53,614 LMDB records but 53,571 distinct sequences), so
the LMDB tasks drop later copies of a sequence within a split (first kept; counted
in the drop log as "duplicate sequence in split"). Only stability has such copies.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from protbench.formats import flip, peer_lmdb
from protbench.sequences import DropLog, clean_sequence
from protbench.smoke import mutants, planted_fitness, random_sequence, random_sequences, rng_for
from protbench.spec import DataSource, Family, Record, TaskData, TaskSpec

from .base import ProbeTask, dedup_within_split

REGRESSION_METRICS = ("spearman", "mae", "rmse")
PROTOCOLS = ("probe", "finetune", "alignment-knn")
PEER_S3 = "https://miladeepgraphlearningproteindata.s3.us-east-2.amazonaws.com/peerdata"
TAPE_S3 = "http://s3.amazonaws.com/songlabdata/proteindata/data_pytorch"
FLIP_COMMIT = "d5c35cc716ca93c3c74a0b43eef5b60cbf88521f"   # the FLIP revision ProtST's loaders pin


def peer_regression_reader(filename: str, name: str, target: str, dedup: bool = True):
    """Reader of a PEER/TAPE LMDB archive into regression records (drops logged, never silent)."""

    def read(files: Mapping[str, Path]) -> TaskData:
        raw = peer_lmdb.read_archive(files[filename], files.cache_dir, name)
        log = DropLog()
        splits = {}
        for split, recs in raw.items():
            out = []
            for i, r in enumerate(recs):
                where = f"{filename}:{name}_{split}.lmdb record {i}"
                seq = clean_sequence(r.get("primary", ""), split, where, log)
                if seq is None:
                    continue
                if target not in r:
                    raise peer_lmdb.LMDBFormatError(f"{where}: no target field {target!r} (fields: {sorted(r)})")
                y = r[target]
                if y is None or y != y:
                    log.drop(split, "missing target", where)
                    continue
                out.append(Record(id=f"{split}/{i}", sequence=seq, label=float(y)))
            splits[split] = dedup_within_split(out, split, log) if dedup else out
        return TaskData(splits=splits, stats={**log.to_dict(), "input_format": "peer-lmdb"})

    return read


def peer_regression_smoke(filename: str, name: str, target: str, sizes=(160, 40, 40), length: int = 80):
    """Writer of a smoke archive: mutants of one parent, target = planted fitness."""

    def write(folder: Path) -> dict[str, Path]:
        rng = rng_for("smoke", name)
        parent = random_sequence(rng, length)
        pool: list[str] = []
        while len(pool) < sum(sizes):     # distinct mutants, so no split holds a sequence twice
            pool = list(dict.fromkeys(pool + mutants(rng, parent, sum(sizes), max_mutations=max(2, length // 10))))
        splits, start = {}, 0
        for split, n in zip(("train", "valid", "test"), sizes):
            seqs, start = pool[start:start + n], start + n
            splits[split] = [{"primary": s, target: planted_fitness(s)} for s in seqs]
        return {filename: peer_lmdb.write_archive(Path(folder) / filename, name, splits)}

    return write


def flip_reader(filename: str, split_name: str, region: slice | None = None):
    """Reader of a FLIP ``splits.zip`` (one named split); ``region`` keeps a residue window (ProtST's AAV)."""

    def read(files: Mapping[str, Path]) -> TaskData:
        raw = flip.read_split(files[filename], split_name)
        log = DropLog()
        splits = {}
        for split, rows in raw.items():
            out = []
            for r in rows:
                where = f"{filename}:splits/{split_name}.csv line {r['line']}"
                seq = r["sequence"]
                if region is not None:
                    if len(seq) < region.stop:
                        log.drop(split, "sequence shorter than the kept region", where)
                        continue
                    seq = seq[region]
                seq = clean_sequence(seq, split, where, log)
                if seq is None:
                    continue
                if r["target"] is None or r["target"] != r["target"]:
                    log.drop(split, "missing target", where)
                    continue
                out.append(Record(id=f"{split}/{r['line']}", sequence=seq, label=float(r["target"])))
            splits[split] = out
        return TaskData(splits=splits, stats={**log.to_dict(), "input_format": "flip-zip"})

    return read


def flip_smoke(filename: str, split_name: str, kind: str):
    """Writer of a smoke FLIP zip: ``aav`` = mutants of a 735-residue capsid-like parent in positions
    561–588; ``meltome`` = unrelated proteins with a melting-point-like target."""

    def write(folder: Path) -> dict[str, Path]:
        rng = rng_for("smoke", filename, split_name)
        rows = []
        if kind == "aav":
            parent = random_sequence(rng, 735)
            window = parent[561:588]
            for i, m in enumerate(mutants(rng, window, 240, max_mutations=8)):
                seq = parent[:561] + m + parent[588:]
                rows.append({"sequence": seq, "target": round(planted_fitness(seq[474:674]) * 3, 5),
                             "set": "train" if i < 180 else "test", "validation": 140 <= i < 180})
        else:
            for i, seq in enumerate(random_sequences(rng, 240, 60, 200)):
                rows.append({"sequence": seq, "target": round(45 + 8 * planted_fitness(seq), 4),
                             "set": "train" if i < 180 else "test", "validation": 140 <= i < 180})
        return {filename: flip.write_splits_zip(Path(folder) / filename, {split_name: rows})}

    return write


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
    description="TAPE GFP fluorescence (Sarkisyan et al. 2016), LMDB splits", license="BSD-3-Clause (TAPE)",
)
STABILITY_SOURCE = DataSource(
    filename="stability.tar.gz", url=f"{TAPE_S3}/stability.tar.gz", md5="aa1e06eb5a59e0ecdae581e9ea029675",
    description="TAPE stability (Rocklin et al. 2017), LMDB splits", license="BSD-3-Clause (TAPE)",
)
UNVERIFIED = ("md5 taken from ProtST's dataset definition (FLIP commit pinned there); it could not be verified "
              "here because the file is not reachable offline")
AAV_SOURCE = DataSource(
    filename="aav_splits.zip", url=f"https://github.com/J-SNACKKB/FLIP/raw/{FLIP_COMMIT}/splits/aav/splits.zip",
    md5="cabdd41f3386f4949b32ca220db55c58",
    description=f"FLIP AAV splits (upstream name splits/aav/splits.zip, stored as aav_splits.zip); {UNVERIFIED}",
    license="AFL-3.0 (FLIP splits)",
)
MELTOME_SOURCE = DataSource(
    filename="meltome_splits.zip", url=f"https://github.com/J-SNACKKB/FLIP/raw/{FLIP_COMMIT}/splits/meltome/splits.zip",
    md5="0f8b1e848568f7566713d53594c0ca90",
    description=f"FLIP Meltome splits (upstream name splits/meltome/splits.zip, stored as meltome_splits.zip); "
                f"{UNVERIFIED}",
    license="AFL-3.0 (FLIP splits)",
)
DEDUP_NOTE = "later copies of a sequence within a split are dropped (torchdrug's documented sizes count distinct sequences)"

beta_lactamase = ProbeTask(
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

fluorescence = ProbeTask(
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

stability = ProbeTask(
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

aav = ProbeTask(
    spec=_spec(
        id="aav",
        description="AAV capsid (VP1) variant fitness, FLIP split two_vs_many (train ≤ 2 mutations, test more); "
                    "residues 474:674 kept as in ProtST. Split sizes come from the split file (PEER reports "
                    "22,246 / 2,462 / 50,432; not verified here).",
        sources=(AAV_SOURCE,), splits={"train": None, "valid": None, "test": None},
        citation="Bryant et al. 2021, Nat Biotechnol 39:691; FLIP, Dallago et al. 2021 (NeurIPS Datasets)",
        license="AFL-3.0 (FLIP splits)", label_space="regression (target)",
        parameters={"split": "two_vs_many", "region": [474, 674], "flip_commit": FLIP_COMMIT,
                    "reported_sizes_unverified": [22246, 2462, 50432]},
    ),
    task_type="regression",
    read=flip_reader("aav_splits.zip", "two_vs_many", region=slice(474, 674)),
    smoke=flip_smoke("aav_splits.zip", "two_vs_many", "aav"),
)

thermostability = ProbeTask(
    spec=_spec(
        id="thermostability",
        description="Protein melting temperature (Meltome atlas), FLIP split human_cell. Split sizes come from "
                    "the split file (PEER reports 24,817 / 3,134 / 3,134; not verified here).",
        sources=(MELTOME_SOURCE,), splits={"train": None, "valid": None, "test": None},
        citation="Jarzab et al. 2020, Nat Methods 17:495; FLIP, Dallago et al. 2021 (NeurIPS Datasets)",
        license="AFL-3.0 (FLIP splits)", label_space="regression (target, °C)",
        parameters={"split": "human_cell", "flip_commit": FLIP_COMMIT,
                    "reported_sizes_unverified": [24817, 3134, 3134]},
    ),
    task_type="regression",
    read=flip_reader("meltome_splits.zip", "human_cell"),
    smoke=flip_smoke("meltome_splits.zip", "human_cell", "meltome"),
)

TASKS = [beta_lactamase, aav, thermostability, fluorescence, stability]
