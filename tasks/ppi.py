"""Family 5, protein–protein interaction: multi-type PPI on SHS27k, SHS148k and STRING (GNN-PPI).

Each dataset is a STRING ``actions`` table plus a sequence dictionary (GNN-PPI files); the target
of an unordered protein pair is the set of its interaction modes (7 types, multi-label). No split
is shipped upstream: each run generates one (random / BFS / DFS, 20 % of the pairs as test, see
:mod:`protbench.evaluation.ppi_splits`), writes it beside the result and records its sha256.

Task ids: ``shs27k`` / ``shs148k`` / ``string`` use the BFS split (the main one, BENCHMARKS.md);
``<id>-dfs`` and ``<id>-random`` are the same data with the other split methods. Each split method
is its own task id so a result file always says which split produced it (the runner names result
files by task id only).

Protocols: ``gnn`` (default; GIN over the training graph on frozen embeddings) and ``pair-mlp``
(the same network without message passing). Parameters (``--param``): ``split_seed`` (default:
the run's seed, so every seed draws its own split; fix it to vary only the model's seed),
``split_file`` (reuse a saved split JSON), ``test_fraction`` (0.2), ``valid_fraction`` (0.1),
and the fields of :class:`~protbench.evaluation.ppi_gnn.PpiConfig` (``hidden``, ``max_epochs``,
``patience``, ``batch_size``, ``lr``, ``layers``...).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from protbench.evaluation import ppi_splits
from protbench.fetch import file_hash
from protbench.formats import gnn_ppi
from protbench.formats.gnn_ppi import MODES, Action
from protbench.interfaces import Embeddings, EvalOptions
from protbench.metrics import METRICS
from protbench.sequences import DropLog, clean_sequence
from protbench.smoke import GROUPS, random_sequence, rng_for
from protbench.spec import Capability, DataSource, Family, Record, SeedResult, TaskData, TaskSpec

PPI_METRICS = ("micro_f1", "macro_f1")
PROTOCOLS = ("gnn", "pair-mlp")
SPLIT_METHODS = ("bfs", "dfs", "random")
GNN_PPI_COMMIT = "cd1843ebec574577aacdd65b38e3a49c545f3541"   # lvguofeng/GNN_PPI commit holding data/
GNN_PPI_RAW = f"https://raw.githubusercontent.com/lvguofeng/GNN_PPI/{GNN_PPI_COMMIT}/data"
CITATION = ("Lv, Hu, Bi, Zhang 2021, Learning Unknown from Correlations: Graph Neural Network for "
            "Inter-novel-protein Interaction Prediction, IJCAI (arXiv 2105.06709); SHS27k/SHS148k from "
            "Chen et al. 2019 (PIPR); STRING v11, Szklarczyk et al. 2019")


# -- data -----------------------------------------------------------------------------------------
@dataclass
class PpiTaskData(TaskData):
    """Proteins as records (``splits["proteins"]``, graph node order) + pairs/labels in ``extra``.

    ``extra["pairs"]`` ``(E, 2)`` int64 node indices, ``extra["labels"]`` ``(E, 7)`` uint8 over
    :data:`MODES`, ``extra["pair_ids"]`` ``"A__B"`` keys. The fingerprint and split sizes cover
    the pairs too.
    """

    def split_sizes(self) -> dict[str, int]:
        return {**super().split_sizes(), "pairs": int(len(self.extra.get("pairs", ())))}

    def fingerprint(self) -> str:
        h = hashlib.sha256(super().fingerprint().encode())
        h.update(np.ascontiguousarray(self.extra["pairs"], dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(self.extra["labels"], dtype=np.uint8).tobytes())
        return h.hexdigest()


def read_ppi(actions_file: str, sequences_file: str):
    """Reader of a GNN-PPI dataset: nodes = proteins of the actions file that have a valid sequence.

    Pairs with a protein missing from the dictionary or with an invalid sequence are dropped
    and counted (``stats["dropped"]``); the sha256 of both files is recorded in ``stats``.
    """

    def read(files: Mapping[str, Path]) -> PpiTaskData:
        seqs = gnn_ppi.read_sequence_dictionary(files[sequences_file])
        inter = gnn_ppi.read_interactions(files[actions_file])
        log = DropLog()
        clean: dict[int, str] = {}
        for i, pid in enumerate(inter.proteins):
            where = f"{sequences_file}: {pid}"
            if pid not in seqs:
                log.drop("proteins", "no sequence in the dictionary", where)
                continue
            s = clean_sequence(seqs[pid], "proteins", where, log)
            if s is not None:
                clean[i] = s
        keep = np.array([a in clean and b in clean for a, b in inter.pairs], dtype=bool)
        for k in np.flatnonzero(~keep)[:1000]:
            log.drop("pairs", "protein without a valid sequence", f"{actions_file}: pair {inter.pair_ids()[k]}")
        dropped_pairs = int((~keep).sum())
        old = sorted(clean)
        new_index = {o: n for n, o in enumerate(old)}
        pairs = np.array([[new_index[a], new_index[b]] for a, b in inter.pairs[keep]], dtype=np.int64).reshape(-1, 2)
        proteins = [Record(id=inter.proteins[o], sequence=clean[o]) for o in old]
        stats = log.to_dict()
        if dropped_pairs:
            stats["dropped"]["pairs"] = {"protein without a valid sequence": dropped_pairs}
        stats.update({
            "action_rows": inter.rows, "pairs": int(len(pairs)), "proteins": len(proteins),
            "label_counts": dict(zip(MODES, inter.labels[keep].sum(axis=0).astype(int).tolist())),
            "files_sha256": {name: file_hash(Path(files[name]), "sha256") for name in (actions_file, sequences_file)},
        })
        return PpiTaskData(
            splits={"proteins": proteins},
            extra={"pairs": pairs, "labels": inter.labels[keep],
                   "pair_ids": [p for p, k in zip(inter.pair_ids(), keep) if k], "modes": MODES},
            stats=stats)

    return read


def write_ppi_smoke(actions_file: str, sequences_file: str, name: str, n_proteins: int = 80, degree: int = 8):
    """Smoke files in the exact GNN-PPI formats with a planted, learnable signal.

    Every protein gets a hidden group ``g`` (0–3) and a sequence biased toward residue group
    ``GROUPS[g]``; pairs link mostly within or between neighbouring groups, and a pair's modes
    are a fixed function of its two groups (plus 5 % noise), written as 1–2 action rows per mode
    in random orientation (as STRING lists both directions).
    """

    def write(folder: Path) -> dict[str, Path]:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        rng = rng_for("smoke", name)
        ids = [f"9606.ENSP{int(v):011d}" for v in rng.choice(10 ** 9, size=n_proteins, replace=False)]
        group = rng.integers(0, 4, size=n_proteins)
        seqs = {pid: random_sequence(rng, int(rng.integers(40, 120)), bias=GROUPS[int(g)], strength=0.5)
                for pid, g in zip(ids, group)}
        table = {(a, b): sorted({(a + b) % 7, (2 * min(a, b) + 1) % 7} | ({6} if a == b else set()))
                 for a in range(4) for b in range(4)}
        pairs: set[tuple[int, int]] = set()
        for i in range(n_proteins):
            for _ in range(degree // 2):
                near = np.flatnonzero(np.abs(group - group[i]) <= (0 if rng.random() < 0.6 else 1))
                j = int(rng.choice(near))
                if j != i:
                    pairs.add((min(i, j), max(i, j)))
        rows: list[Action] = []
        for i, j in sorted(pairs):
            modes = list(table[(int(group[i]), int(group[j]))])
            if rng.random() < 0.05:
                modes.append(int(rng.integers(0, 7)))
            for m in sorted(set(modes)):
                for _ in range(int(rng.integers(1, 3))):
                    a, b = (ids[i], ids[j]) if rng.random() < 0.5 else (ids[j], ids[i])
                    directional = "t" if MODES[m] in ("activation", "inhibition", "catalysis", "ptmod") else "f"
                    rows.append(Action(a, b, MODES[m], MODES[m] if directional == "t" else "", directional,
                                       "t" if rng.random() < 0.5 else "f", int(rng.integers(150, 1000))))
        order = rng.permutation(len(rows))
        gnn_ppi.write_actions(folder / actions_file, [rows[k] for k in order])
        gnn_ppi.write_sequence_dictionary(folder / sequences_file, seqs)
        return {actions_file: folder / actions_file, sequences_file: folder / sequences_file}

    return write


# -- evaluation -----------------------------------------------------------------------------------
def _artefact_dir(options: EvalOptions, task_id: str) -> Path | None:
    """Where split files go: ``<results>/<model>/.splits/<task>/``, beside the result JSON.

    The runner's ``workdir`` is ``<model dir>/.partial/<task>`` and is removed once the result is
    written, so splits go to ``<model dir>/.splits/<task>`` (a dot folder, so result collectors
    that read every ``*.json`` skip it); any other workdir is used as given.
    """
    wd = options.workdir
    if wd is None:
        return None
    wd = Path(wd)
    if wd.parent.name == ".partial":
        return wd.parent.parent / ".splits" / task_id
    return wd


@dataclass
class PpiTask:
    """A GNN-PPI benchmark for one dataset and one split method."""

    spec: TaskSpec
    actions_file: str
    sequences_file: str
    split_method: str = "bfs"
    smoke_size: int = 80
    _read: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._read = read_ppi(self.actions_file, self.sequences_file)

    def load(self, files: Mapping[str, Path]) -> PpiTaskData:
        return self._read(files)

    def write_smoke(self, folder: Path) -> dict[str, Path]:
        return write_ppi_smoke(self.actions_file, self.sequences_file, self.spec.id.split("-")[0],
                               n_proteins=self.smoke_size)(Path(folder))

    def requirements(self, protocol: str) -> set[Capability]:
        return {Capability.PROTEIN}

    def evaluate(self, data: TaskData, emb: Embeddings, seed: int, options: EvalOptions) -> SeedResult:
        from protbench.evaluation.ppi_gnn import PpiConfig, fit_pairs

        protocol = options.protocol or self.spec.protocol
        if protocol not in PROTOCOLS:
            raise ValueError(f"task {self.spec.id!r} has no protocol {protocol!r}; choose one of {PROTOCOLS}")
        params = dict(options.params)
        method = params.get("split", self.split_method)
        if method != self.split_method:
            base = self.spec.id.split("-")[0]
            other = base if method == "bfs" else f"{base}-{method}"
            raise ValueError(f"task {self.spec.id!r} uses the {self.split_method} split; for a {method} split run "
                             f"task {other!r} instead (each split method has its own task id and result file)")
        proteins = data.splits["proteins"]
        node_of = {r.id: i for i, r in enumerate(proteins)}
        pairs, labels = _pairs_on(data, node_of)
        x = emb.proteins([r.sequence for r in proteins])

        split_seed = int(params.get("split_seed", seed))
        if params.get("split_file"):
            split = ppi_splits.load_split(Path(params["split_file"]), len(pairs), params.get("split_sha256"))
        else:
            split = ppi_splits.make_split(pairs, len(proteins), method, seed=split_seed,
                                          test_fraction=float(params.get("test_fraction", 0.2)),
                                          valid_fraction=float(params.get("valid_fraction", 0.1)))
        split_info: dict[str, Any] = {
            "method": split.method, "seed": split.seed, "test_fraction": split.test_fraction,
            "valid_fraction": split.valid_fraction, "roots": split.roots,
            "sizes": {"train": len(split.train), "valid": len(split.valid), "test": len(split.test)},
            "sha256": split.sha256(),
            # GNN-PPI's BS / ES / NS: test pairs with both / one / no protein in a non-test pair
            "test_seen": ppi_splits.seen_shares(pairs, split.train + split.valid, split.test),
            "valid_seen": ppi_splits.seen_shares(pairs, split.train, split.valid),
        }
        out_dir = _artefact_dir(options, self.spec.id)
        if out_dir is not None:
            saved = ppi_splits.save_split(split, out_dir / f"{split.method}-seed{split.seed}.json")
            # relative to the result JSON's folder when written by the runner
            split_info["file"] = (f".splits/{self.spec.id}/{Path(saved['path']).name}"
                                  if out_dir.parent.name == ".splits" else str(saved["path"]))
            split_info["sha256"] = saved["sha256"]

        config = PpiConfig.from_params(params, quick=options.quick)
        select = METRICS[self.spec.main_metric]
        fit = fit_pairs(x, pairs, labels, np.asarray(split.train), np.asarray(split.valid), select, seed=seed,
                        graph=protocol == "gnn", config=config)
        preds = {s: fit.predict(pairs[getattr(split, s)]) for s in ("valid", "test")}
        ys = {s: labels[getattr(split, s)].astype(np.float32) for s in ("valid", "test")}
        scores = {s: {m: float(METRICS[m](ys[s], preds[s])) for m in self.spec.metrics} for s in ("valid", "test")}
        subsets = _subset_scores(pairs, split, ys["test"], preds["test"], self.spec.metrics)
        info = {"protocol": protocol, "split": split_info, "fit": fit.info(), "test_subsets": subsets,
                "nodes": len(proteins), "pairs": int(len(pairs))}
        return SeedResult(scores=scores, info=info,
                          predictions={"test": {"y_true": ys["test"].astype(np.uint8), "y_score": preds["test"],
                                                "edges": np.asarray(split.test, dtype=np.int64)}})


def _pairs_on(data: TaskData, node_of: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs/labels re-indexed onto the current protein records (``--limit`` may have removed some)."""
    pairs = np.asarray(data.extra["pairs"], dtype=np.int64)
    labels = np.asarray(data.extra["labels"], dtype=np.uint8)
    ids = [pid for pid in (p.split("__") for p in data.extra["pair_ids"])]
    mapped = np.array([[node_of.get(a, -1), node_of.get(b, -1)] for a, b in ids], dtype=np.int64).reshape(-1, 2)
    keep = (mapped >= 0).all(axis=1)
    if keep.all() and np.array_equal(mapped, pairs):
        return pairs, labels
    if not keep.any():
        raise ValueError("no pair has both proteins among the loaded records (is --limit too small for a graph?)")
    return mapped[keep], labels[keep]


def _subset_scores(pairs, split, y_true, y_score, metrics) -> dict[str, dict[str, float]]:
    """Test scores on GNN-PPI's BS / ES / NS subsets (both / one / none protein seen in training)."""
    seen = np.zeros(int(pairs.max()) + 1, dtype=bool)
    seen[pairs[np.asarray(split.train + split.valid, dtype=np.int64)].ravel()] = True
    k = seen[pairs[np.asarray(split.test, dtype=np.int64)]].sum(axis=1)
    out = {}
    for name, n_seen in (("both", 2), ("one", 1), ("none", 0)):
        m = k == n_seen
        out[name] = {"n": int(m.sum()), **({met: float(METRICS[met](y_true[m], y_score[m])) for met in metrics}
                                            if m.any() else {})}
    return out


# -- the datasets ---------------------------------------------------------------------------------
SHS27K_SOURCES = (
    DataSource(filename="protein.actions.SHS27k.STRING.txt", url=f"{GNN_PPI_RAW}/protein.actions.SHS27k.STRING.txt",
               md5="954beeecde1dbdecc50f26435077a8bf",
               sha256="6c79932d6489bed3c794fcde68a42ce603bc14e22c3cf549115685cd4fd6076a", size=3958672,
               description="SHS27k typed interactions (STRING actions format), GNN-PPI repository", license="MIT"),
    DataSource(filename="protein.SHS27k.sequences.dictionary.tsv",
               url=f"{GNN_PPI_RAW}/protein.SHS27k.sequences.dictionary.tsv",
               md5="a4a2a588c1a511fa2b866f13b49de21f",
               sha256="2fe6201a91c8f64f872ae954f497232ec500bd3209a1647a2f0b471bc19a530d", size=1002278,
               description="SHS27k protein sequences (STRING id <TAB> sequence)", license="MIT"),
)
SHS148K_SOURCES = (
    DataSource(filename="protein.actions.SHS148k.STRING.txt",
               url="https://zenodo.org/records/7213401/files/protein.actions.SHS148k.STRING.txt",
               unverified="not reachable while this task was written (not in the GNN-PPI GitHub repository, "
                          "which links a Baidu share; the URL is HIGH-PPI's Zenodo deposit of the same file "
                          "name); the sha256 actually read is recorded in each result's dataset stats",
               description="SHS148k typed interactions (STRING actions format)", license="MIT"),
    DataSource(filename="protein.SHS148k.sequences.dictionary.tsv",
               url=f"{GNN_PPI_RAW}/protein.SHS148k.sequences.dictionary.tsv",
               md5="4addcc80962a2418c6e2daa8d8466374",
               sha256="f29adec92b32a78717af69a172466525dd38d11c9b63a3a611c1ea349e6b127a", size=3209563,
               description="SHS148k protein sequences (STRING id <TAB> sequence)", license="MIT"),
)
STRING_SOURCES = (
    DataSource(filename="9606.protein.actions.all_connected.txt",
               url="https://pan.baidu.com/s/1FU-Ij3LxyP9dOHZxO3Aclw",
               unverified="GNN-PPI distributes its processed STRING files only through a Baidu share "
                          "(extraction code tibn; manual download, then put the file in a mirror folder); "
                          "not reachable here; the sha256 actually read is recorded in each result",
               description="STRING v11 Homo sapiens actions, GNN-PPI 'all connected' subset "
                           "(raw: stringdb-static.org/download/protein.actions.v11.0/9606.protein.actions.v11.0.txt.gz)",
               license="CC BY 4.0 (STRING)"),
    DataSource(filename="protein.STRING_all_connected.sequences.dictionary.tsv",
               url="https://pan.baidu.com/s/1FU-Ij3LxyP9dOHZxO3Aclw",
               unverified="GNN-PPI distributes it only through a Baidu share (extraction code tibn); not "
                          "reachable here; the sha256 actually read is recorded in each result",
               description="sequences of the STRING 'all connected' proteins "
                           "(raw: stringdb-static.org/download/protein.sequences.v11.0/9606.protein.sequences.v11.0.fa.gz)",
               license="CC BY 4.0 (STRING)"),
)

# (id, sources, actions file, sequences file, expected proteins / pairs, smoke size, description)
# SHS27k counts are measured on the mirror; SHS148k and STRING counts are those of the GNN-PPI
# paper (Table 1), not checked here.
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
                        f"test = 20% of the pairs by {method.upper()} (GNN-PPI){main}, regenerated per seed.",
            main_metric="micro_f1", metrics=PPI_METRICS, protocol="gnn", protocols=PROTOCOLS,
            sources=tuple(sources), splits={"proteins": n_proteins, "pairs": n_pairs},
            citation=CITATION, license=sources[0].license, label_space="7 multi-label (STRING action modes)",
            parameters={"split": method, "test_fraction": 0.2, "valid_fraction": 0.1,
                        "split_seed": "run seed", "graph": "training pairs only (GCT)", "aggregation": "mean",
                        "threshold": 0.5, "modes": list(MODES)},
        ),
        actions_file=sources[0].filename, sequences_file=sources[1].filename, split_method=method,
        smoke_size=smoke,
    )


TASKS = [make_task(*d, method=m) for d in DATASETS for m in SPLIT_METHODS]
