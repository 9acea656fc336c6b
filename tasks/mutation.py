"""Family 2, mutation effects: regression of fitness-like targets (Spearman main).

Each task is a declarative :class:`~protbench.tasks.base.ProbeTask`: the upstream file
(URL, md5), the target field, the expected split sizes, and a smoke-data writer
that emits the same archive format with planted, learnable targets.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from protbench.formats import peer_lmdb
from protbench.sequences import DropLog, clean_sequence
from protbench.smoke import mutants, planted_fitness, random_sequence, rng_for
from protbench.spec import DataSource, Family, Record, TaskData, TaskSpec

from .base import ProbeTask

REGRESSION_METRICS = ("spearman", "mae", "rmse")


def peer_regression_reader(filename: str, name: str, target: str):
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
            splits[split] = out
        return TaskData(splits=splits, stats=log.to_dict())

    return read


def peer_regression_smoke(filename: str, name: str, target: str, sizes=(160, 40, 40), length: int = 80):
    """Writer of a smoke archive: mutants of one parent, target = planted fitness."""

    def write(folder: Path) -> dict[str, Path]:
        rng = rng_for("smoke", name)
        parent = random_sequence(rng, length)
        splits = {}
        for split, n in zip(("train", "valid", "test"), sizes):
            seqs = mutants(rng, parent, n, max_mutations=max(2, length // 10))
            splits[split] = [{"primary": s, target: planted_fitness(s)} for s in seqs]
        return {filename: peer_lmdb.write_archive(Path(folder) / filename, name, splits)}

    return write


BETA_LACTAMASE_SOURCE = DataSource(
    filename="beta_lactamase.tar.gz",
    url="https://miladeepgraphlearningproteindata.s3.us-east-2.amazonaws.com/peerdata/beta_lactamase.tar.gz",
    md5="65766a3969cc0e94b101d4063d204ba4", size=114480,
    description="PEER β-lactamase (Gray et al. 2018) TEM-1 mutants, LMDB splits", license="Apache-2.0 (PEER)",
)

beta_lactamase = ProbeTask(
    spec=TaskSpec(
        id="beta-lactamase", family=Family.MUTATION,
        description="Fitness of TEM-1 β-lactamase single mutants (ampicillin resistance), PEER split.",
        main_metric="spearman", metrics=REGRESSION_METRICS, protocol="probe", protocols=("probe", "finetune", "alignment-knn"),
        sources=(BETA_LACTAMASE_SOURCE,), splits={"train": 4158, "valid": 520, "test": 520},
        citation="Gray et al. 2018, Cell Systems 6(1):116; PEER benchmark, Xu et al. 2022 (arXiv 2206.02096)",
        license="Apache-2.0 (PEER)", label_space="regression (scaled_effect1)",
        parameters={"target": "scaled_effect1"},
    ),
    task_type="regression",
    read=peer_regression_reader("beta_lactamase.tar.gz", "beta_lactamase", "scaled_effect1"),
    smoke=peer_regression_smoke("beta_lactamase.tar.gz", "beta_lactamase", "scaled_effect1", length=120),
)

TASKS = [beta_lactamase]
