"""Family 1, function classification: localization (accuracy) and EC / GO (Fmax, micro-AUPR).

Upstream formats (one loader each, in :mod:`protbench.formats`): PEER LMDB archives
(``subcellular_localization{,_2}.tar.gz``, field ``localization``), the same records
converted to CSV (``primary,localization``; a second accepted input for ``binloc``),
torchdrug's DeepFRI zips (``EnzymeCommission.zip`` / ``GeneOntology.zip``: PDB chain
files per split, annotation TSV, test CSV with identity cutoffs), and DeepFRI's native
files (annotation TSV, split lists, test CSV, test-sequence FASTA).

Cleaning: invalid residues / empty sequences / labels outside the label space are
dropped and counted; later copies of a sequence within a split are dropped (torchdrug's
documented sizes count distinct sequences: the converted binloc CSVs hold
5,184 / 1,729 / 1,749 rows = 5,161 / 1,727 / 1,746 distinct sequences).

Partial variants (own ids, ``variant="partial: ..."``) cover what is reachable
without the full upstream files; they never pass as the full task.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Mapping

import numpy as np

from protbench.formats import deepfri, peer_csv, peer_lmdb
from protbench.sequences import DropLog, clean_sequence, read_fasta, write_fasta
from protbench.smoke import class_sequence, multilabel_sequence, rng_for
from protbench.spec import DataSource, Family, Record, TaskData, TaskSpec

from .base import ProbeTask, check_label, dedup_within_split

PEER_S3 = "https://miladeepgraphlearningproteindata.s3.us-east-2.amazonaws.com/peerdata"
ZENODO = "https://zenodo.org/record/6622158/files"
DEEPFRI_RAW = "https://raw.githubusercontent.com/flatironinstitute/DeepFRI/master/preprocessing/data"
SPLITS = ("train", "valid", "test")
PROTOCOLS = ("probe", "finetune", "alignment-knn")
MULTILABEL_METRICS = ("fmax", "micro_aupr")
CUTOFF = 0.95


# ---------------------------------------------------------------------------------------------- localization
def _class_records(rows, split: str, where_fmt: str, n_classes: int, log: DropLog, field: str) -> list[Record]:
    out = []
    for i, r in enumerate(rows):
        where = where_fmt.format(i=i)
        seq = clean_sequence(r.get("primary", ""), split, where, log)
        if seq is None or not check_label(r.get(field), n_classes, split, where, log):
            continue
        out.append(Record(id=f"{split}/{i}", sequence=seq, label=int(r[field])))
    return dedup_within_split(out, split, log)


def peer_class_reader(filename: str, name: str, n_classes: int, field: str = "localization"):
    """Reader of a PEER LMDB classification archive (class id under ``field``)."""

    def read(files: Mapping[str, Path]) -> TaskData:
        raw = peer_lmdb.read_archive(files[filename], files.cache_dir, name)
        log = DropLog()
        splits = {s: _class_records(raw[s], s, f"{filename}:{name}_{s}.lmdb record {{i}}", n_classes, log, field)
                  for s in SPLITS}
        return TaskData(splits=splits, extra={"n_outputs": n_classes},
                        stats={**log.to_dict(), "input_format": "peer-lmdb"})

    return read


def peer_csv_rows(files: Mapping[str, Path], filename: str, split: str, n_classes: int, log: DropLog,
                  field: str = "localization") -> list[Record]:
    rows = peer_csv.read_csv(files[filename], field)
    return _class_records(rows, split, f"{filename} line {{i}}+2", n_classes, log, field)


def localization_reader(archive: str, name: str, csv_names: Mapping[str, str], n_classes: int):
    """Reads the PEER LMDB archive when fetched, else the converted CSVs (same records)."""
    lmdb_read = peer_class_reader(archive, name, n_classes)

    def read(files: Mapping[str, Path]) -> TaskData:
        if archive in files:
            return lmdb_read(files)
        missing = [f for f in csv_names.values() if f not in files]
        if missing:
            raise FileNotFoundError(f"{name}: neither {archive} nor the converted CSVs {missing} were provided")
        log = DropLog()
        splits = {s: peer_csv_rows(files, csv_names[s], s, n_classes, log) for s in SPLITS}
        return TaskData(splits=splits, extra={"n_outputs": n_classes},
                        stats={**log.to_dict(), "input_format": "peer-csv"})

    return read


def _class_smoke_rows(key: str, n: int, n_classes: int) -> list[dict]:
    rng = rng_for("smoke", key)
    labels = rng.integers(0, n_classes, size=n)
    return [{"primary": class_sequence(rng, int(c), 40, 160), "localization": int(c)} for c in labels]


def localization_smoke(archive: str, name: str, n_classes: int, sizes=(200, 50, 50)):
    def write(folder: Path) -> dict[str, Path]:
        splits = {s: _class_smoke_rows(f"{name}/{s}", n, n_classes) for s, n in zip(SPLITS, sizes)}
        return {archive: peer_lmdb.write_archive(Path(folder) / archive, name, splits)}

    return write


def subloc_partial_reader(valid_csv: str, test_csv: str, n_classes: int, seed: int, train_fraction: float):
    """PEER valid CSV split (seeded, stratified by nothing) into train/valid; PEER test CSV as test."""

    def read(files: Mapping[str, Path]) -> TaskData:
        log = DropLog()
        pool = peer_csv_rows(files, valid_csv, "valid", n_classes, log)
        test = peer_csv_rows(files, test_csv, "test", n_classes, log)
        order = np.random.default_rng(seed).permutation(len(pool))
        n_train = int(round(train_fraction * len(pool)))
        train = [pool[i] for i in sorted(order[:n_train])]
        valid = [pool[i] for i in sorted(order[n_train:])]
        for r in train:
            r.id = "train-from-" + r.id
        return TaskData(splits={"train": train, "valid": valid, "test": test}, extra={"n_outputs": n_classes},
                        stats={**log.to_dict(), "input_format": "peer-csv",
                               "partial_scheme": f"PEER valid split {train_fraction:.0%}/{1 - train_fraction:.0%} "
                                                 f"into train/valid (seed {seed}); PEER test unchanged"})

    return read


def subloc_partial_smoke(valid_csv: str, test_csv: str, n_classes: int):
    def write(folder: Path) -> dict[str, Path]:
        return {valid_csv: peer_csv.write_csv(Path(folder) / valid_csv, _class_smoke_rows("subloc-p/valid", 250, n_classes)),
                test_csv: peer_csv.write_csv(Path(folder) / test_csv, _class_smoke_rows("subloc-p/test", 60, n_classes))}

    return write


# ---------------------------------------------------------------------------------------------- EC / GO
def _multilabel_records(split: str, chains: Mapping[str, str], ann: deepfri.Annotations, branch: str,
                        log: DropLog, where: str) -> list[Record]:
    index = {c: i for i, c in enumerate(ann.classes[branch])}
    out = []
    for cid, seq in chains.items():
        s = clean_sequence(seq, split, f"{where} {cid}", log)
        if s is None:
            continue
        if cid not in ann.labels:
            log.drop(split, "chain without annotation", f"{where} {cid}")
            continue
        out.append(Record(id=cid, sequence=s, label=tuple(sorted(index[x] for x in ann.labels[cid][branch]))))
    return out


def deepfri_zip_reader(filename: str, name: str, kind: str, branch: str, cutoff: float = CUTOFF):
    """Reader of torchdrug's ``EnzymeCommission.zip`` / ``GeneOntology.zip`` for one label branch."""

    def read(files: Mapping[str, Path]) -> TaskData:
        ann, chains, passes = deepfri.read_torchdrug_zip(files[filename], files.cache_dir, name, kind, cutoff)
        log = DropLog()
        splits = {}
        for split in SPLITS:
            cs = chains[split]
            if split == "test":
                dropped = [c for c in cs if not passes.get(c, True)]
                for c in dropped:
                    log.drop("test", f"identity to train ≥ {cutoff:.0%} (test CSV)", c)
                cs = {c: s for c, s in cs.items() if passes.get(c, True)}
            splits[split] = _multilabel_records(split, cs, ann, branch, log, f"{filename}:{split}")
        return TaskData(splits=splits, extra={"n_outputs": len(ann.classes[branch]), "labels": ann.classes[branch]},
                        stats={**log.to_dict(), "input_format": "torchdrug-deepfri-zip"})

    return read


def _smoke_annotations(key: str, branches: tuple[str, ...], n_labels: int, sizes=(200, 50, 50)):
    """Synthetic chains with planted label motifs: classes, labels and sequences per split."""
    rng = rng_for("smoke", key)
    classes = {b: [f"{b.upper()}:{j:04d}" if b != "ec" else f"{1 + j % 6}.{j // 6 + 1}.1.-" for j in range(n_labels)]
               for b in branches}
    labels: dict[str, dict[str, list[str]]] = {}
    chains: dict[str, dict[str, str]] = {}
    k = 0
    for split, n in zip(SPLITS, sizes):
        chains[split] = {}
        for _ in range(n):
            k += 1
            cid = f"{k:03d}{'ABCD'[k % 4]}-{'AB'[k % 2]}"
            per = {b: sorted(set(rng.choice(n_labels, size=int(rng.integers(1, 4)), replace=False).tolist()))
                   for b in branches}
            motif_ids = sorted({j + n_labels * bi for bi, b in enumerate(branches) for j in per[b]})
            chains[split][cid] = multilabel_sequence(rng, motif_ids, 60, 150)
            labels[cid] = {b: [classes[b][j] for j in per[b]] for b in branches}
    return classes, labels, chains


def deepfri_zip_smoke(filename: str, name: str, kind: str, branches: tuple[str, ...], n_labels: int = 12):
    def write(folder: Path) -> dict[str, Path]:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        classes, labels, chains = _smoke_annotations(name, branches, n_labels)
        tsv = deepfri.write_annotations(folder / f"nrPDB-{kind}_annot.tsv", classes, labels)
        # two test chains are flagged as ≥ 95% identical to train and must be excluded by the loader
        flags = {c: ((0, 0, 0, 0, 0) if i < 2 else (0, 1, 1, 1, 1)) for i, c in enumerate(chains["test"])}
        csv = deepfri.write_test_csv(folder / f"nrPDB-{kind}_test.csv", flags)
        out = deepfri.write_torchdrug_zip(folder / filename, name, kind, tsv, csv, chains)
        tsv.unlink()
        csv.unlink()
        return {filename: out}

    return write


def ec_partial_reader(prefix: str, seed: int, fractions=(0.6, 0.2, 0.2), cutoff: float = CUTOFF):
    """DeepFRI native files with test sequences only: the test chains passing ``cutoff`` are re-split into
    train/valid/test by PDB entry (all chains of one entry in one split), seeded."""
    annot, test_csv, test_txt, fasta = (f"{prefix}_annot.tsv", f"{prefix}_test.csv", f"{prefix}_test.txt",
                                        f"{prefix}_test_sequences.fasta")

    def read(files: Mapping[str, Path]) -> TaskData:
        ann = deepfri.read_annotations(files[annot])
        ids = deepfri.read_split_list(files[test_txt])
        passes = deepfri.read_test_cutoffs(Path(files[test_csv]), cutoff)
        seqs = {r.id: r.sequence for r in read_fasta(files[fasta], validate=False)}
        log = DropLog()
        keep: dict[str, str] = {}
        for cid in ids:
            if not passes.get(cid, True):
                log.drop("pool", f"identity to train ≥ {cutoff:.0%} (test CSV)", cid)
            elif cid not in seqs:
                log.drop("pool", "no sequence in FASTA", cid)
            else:
                keep[cid] = seqs[cid]
        pool = _multilabel_records("pool", keep, ann, "ec", log, fasta)
        by_entry: dict[str, list[Record]] = defaultdict(list)
        for r in pool:
            by_entry[r.id.split("-")[0]].append(r)
        entries = sorted(by_entry)
        order = np.random.default_rng(seed).permutation(len(entries))
        bounds = np.cumsum(fractions)[:2] * len(pool)
        splits: dict[str, list[Record]] = {s: [] for s in SPLITS}
        filled = 0
        for j in order:
            split = "train" if filled < bounds[0] else "valid" if filled < bounds[1] else "test"
            splits[split].extend(by_entry[entries[j]])
            filled += len(by_entry[entries[j]])
        for s in SPLITS:
            splits[s].sort(key=lambda r: r.id)
        return TaskData(splits=splits, extra={"n_outputs": len(ann.classes["ec"]), "labels": ann.classes["ec"]},
                        stats={**log.to_dict(), "input_format": "deepfri-native",
                               "partial_scheme": f"DeepFRI test chains (cutoff {cutoff}) re-split "
                                                 f"{'/'.join(f'{f:.0%}' for f in fractions)} by PDB entry, seed {seed}"})

    return read


def ec_partial_smoke(prefix: str, n_labels: int = 12):
    def write(folder: Path) -> dict[str, Path]:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        classes, labels, chains = _smoke_annotations("ec-partial", ("ec",), n_labels, sizes=(0, 0, 300))
        test = chains["test"]
        out = {f"{prefix}_annot.tsv": deepfri.write_annotations(folder / f"{prefix}_annot.tsv", classes, labels)}
        flags = {c: ((0, 0, 0, 0, 0) if i < 3 else (1, 1, 1, 1, 1)) for i, c in enumerate(test)}
        out[f"{prefix}_test.csv"] = deepfri.write_test_csv(folder / f"{prefix}_test.csv", flags)
        (folder / f"{prefix}_test.txt").write_text("\n".join(test) + "\n")
        out[f"{prefix}_test.txt"] = folder / f"{prefix}_test.txt"
        write_fasta(folder / f"{prefix}_test_sequences.fasta", ((f"{c} nrPDB_test", s) for c, s in test.items()))
        out[f"{prefix}_test_sequences.fasta"] = folder / f"{prefix}_test_sequences.fasta"
        return out

    return write


# ---------------------------------------------------------------------------------------------- sources
SUBLOC_SOURCE = DataSource(
    filename="subcellular_localization.tar.gz", url=f"{PEER_S3}/subcellular_localization.tar.gz",
    md5="37cb6138b8d4603512530458b7c8a77d", description="PEER DeepLoc 10-class localization, LMDB splits",
    license="Apache-2.0 (PEER)")
BINLOC_SOURCE = DataSource(
    filename="subcellular_localization_2.tar.gz", url=f"{PEER_S3}/subcellular_localization_2.tar.gz",
    md5="5d2309bf1c0c2aed450102578e434f4e", description="PEER DeepLoc binary (membrane/soluble), LMDB splits",
    license="Apache-2.0 (PEER)")
CONVERTED = "converted from PEER's LMDB to CSV (primary,localization); no public download of this file"
BINLOC_CSV_MD5 = {"train": "88cd5763b72de473eaf91c710cd21e6a", "valid": "a8e773292304a6f7f13c8a23e78c4d99",
                  "test": "6ea4505d90e1433df3816bd8aab00a9e"}
BINLOC_CSV_SOURCES = tuple(
    DataSource(filename=f"subcellular_localization_2_{s}.csv.gz",
               url=f"{PEER_S3}/subcellular_localization_2.tar.gz#converted-csv-{s}", md5=m,
               description=f"binloc {s} split {CONVERTED}", license="Apache-2.0 (PEER)")
    for s, m in BINLOC_CSV_MD5.items())
SUBLOC_CSV_SOURCES = tuple(
    DataSource(filename=f"subcellular_localization_{s}.csv.gz",
               url=f"{PEER_S3}/subcellular_localization.tar.gz#converted-csv-{s}", md5=m,
               description=f"subloc {s} split {CONVERTED}", license="Apache-2.0 (PEER)")
    for s, m in (("valid", "71d627bc3d5b69ab5cd5423d5bfc36cf"), ("test", "d1745b1ed573fb0db360de9da479434a")))
ZIP_NOTE = "md5 as in torchdrug's dataset definition (prefix as in BENCHMARKS.md); not verifiable offline here"
EC_SOURCE = DataSource(filename="EnzymeCommission.zip", url=f"{ZENODO}/EnzymeCommission.zip",
                       md5="33f799065f8ad75f87b709a87293bc65",
                       description=f"torchdrug/DeepFRI EC dataset, PDB chains per split; {ZIP_NOTE}", license="BSD-3-Clause (DeepFRI)")
GO_SOURCE = DataSource(filename="GeneOntology.zip", url=f"{ZENODO}/GeneOntology.zip",
                       md5="376be1f088cd1fe720e1eaafb701b5cb",
                       description=f"torchdrug/DeepFRI GO dataset, PDB chains per split; {ZIP_NOTE}", license="BSD-3-Clause (DeepFRI)")
EC_PREFIX = "nrPDB-EC_2020.04"
EC_NATIVE_MD5 = {"annot.tsv": "3fb463ce2701177f7d470d3db4aac064", "test.csv": "3394115a32967ca84b59504bf9ca0009",
                 "test.txt": "bf1ccb681d243c5a25a026f7272bda5a", "test_sequences.fasta": "c4e43fb3d248aded9258303e67c05a3a"}
EC_NATIVE_SOURCES = tuple(DataSource(filename=f"{EC_PREFIX}_{k}", url=f"{DEEPFRI_RAW}/{EC_PREFIX}_{k}", md5=m,
                                     description=f"DeepFRI native EC file {k} (md5 of the mirror copy)",
                                     license="BSD-3-Clause (DeepFRI)")
                          for k, m in EC_NATIVE_MD5.items())

LOC_CITE = ("Almagro Armenteros et al. 2017, Bioinformatics 33:3387 (DeepLoc); PEER, Xu et al. 2022 "
            "(arXiv 2206.02096)")
DEEPFRI_CITE = "Gligorijević et al. 2021, Nat Commun 12:3168 (DeepFRI); Zhang et al. 2022 (GearNet, torchdrug splits)"


def _fspec(**kw) -> TaskSpec:
    return TaskSpec(family=Family.FUNCTION, protocol="probe", protocols=PROTOCOLS, **kw)


subloc = ProbeTask(
    spec=_fspec(id="subloc", description="10-class subcellular localization (DeepLoc), PEER split.",
                main_metric="accuracy", metrics=("accuracy",), sources=(SUBLOC_SOURCE,),
                splits={"train": 8945, "valid": 2248, "test": 2768}, citation=LOC_CITE, license="Apache-2.0 (PEER)",
                label_space="10 classes", parameters={"field": "localization", "dedup_within_split": True}),
    task_type="classification", n_outputs=10,
    read=peer_class_reader("subcellular_localization.tar.gz", "subcellular_localization", 10),
    smoke=localization_smoke("subcellular_localization.tar.gz", "subcellular_localization", 10),
)

SUBLOC_PARTIAL_SEED, SUBLOC_PARTIAL_FRACTION = 0, 0.8
subloc_partial = ProbeTask(
    spec=_fspec(id="subloc-partial",
                description="PARTIAL subloc: PEER's train split is not reachable, so the converted PEER valid CSV "
                            "(2,811 rows, 2,807 distinct sequences; torchdrug documents 2,248 for valid) is split "
                            "80/20 (seed 0) into train/valid and PEER's test split (2,768 distinct) is the test set. "
                            "Scores are not comparable with the full task (about a quarter of the training data).",
                main_metric="accuracy", metrics=("accuracy",), sources=SUBLOC_CSV_SOURCES,
                splits={"train": 2246, "valid": 561, "test": 2768}, citation=LOC_CITE, license="Apache-2.0 (PEER)",
                label_space="10 classes", variant="partial: train/valid carved from PEER valid; PEER test",
                parameters={"field": "localization", "dedup_within_split": True, "partial_seed": SUBLOC_PARTIAL_SEED,
                            "partial_train_fraction": SUBLOC_PARTIAL_FRACTION}),
    task_type="classification", n_outputs=10,
    read=subloc_partial_reader("subcellular_localization_valid.csv.gz", "subcellular_localization_test.csv.gz", 10,
                               SUBLOC_PARTIAL_SEED, SUBLOC_PARTIAL_FRACTION),
    smoke=subloc_partial_smoke("subcellular_localization_valid.csv.gz", "subcellular_localization_test.csv.gz", 10),
)

binloc = ProbeTask(
    spec=_fspec(id="binloc",
                description="Binary localization (membrane-bound vs soluble, DeepLoc), PEER split. Accepts the PEER "
                            "LMDB archive or the same splits converted to CSV (primary,localization).",
                main_metric="accuracy", metrics=("accuracy",), sources=(BINLOC_SOURCE,),
                splits={"train": 5161, "valid": 1727, "test": 1746}, citation=LOC_CITE, license="Apache-2.0 (PEER)",
                label_space="2 classes",
                parameters={"field": "localization", "dedup_within_split": True,
                            "alternative_input": [s.filename for s in BINLOC_CSV_SOURCES]}),
    task_type="classification", n_outputs=2,
    read=localization_reader("subcellular_localization_2.tar.gz", "subcellular_localization_2",
                             {s: f"subcellular_localization_2_{s}.csv.gz" for s in SPLITS}, 2),
    smoke=localization_smoke("subcellular_localization_2.tar.gz", "subcellular_localization_2", 2),
    alternatives=(BINLOC_CSV_SOURCES,),
)

ec = ProbeTask(
    spec=_fspec(id="ec", description="Enzyme Commission numbers of PDB chains (DeepFRI split), test chains with "
                                     "< 95% identity to train.",
                main_metric="fmax", metrics=MULTILABEL_METRICS, sources=(EC_SOURCE,),
                splits={"train": 15011, "valid": 1664, "test": 1840}, citation=DEEPFRI_CITE,
                license="BSD-3-Clause (DeepFRI)", label_space="538 multi-label",
                parameters={"test_cutoff": CUTOFF, "branch": "ec"}),
    task_type="multilabel", n_outputs=538,
    read=deepfri_zip_reader("EnzymeCommission.zip", "EnzymeCommission", "EC", "ec"),
    smoke=deepfri_zip_smoke("EnzymeCommission.zip", "EnzymeCommission", "EC", ("ec",)),
)

EC_PARTIAL_SEED = 0
ec_partial = ProbeTask(
    spec=_fspec(id="ec-partial",
                description="PARTIAL ec: only DeepFRI's test chains have sequences here. The 1,919 test chains "
                            "(all < 95% identity to DeepFRI train) are re-split 60/20/20 into train/valid/test by "
                            "PDB entry (seed 0) with DeepFRI's EC labels (538-label space). Identity between these "
                            "partial splits is not controlled; scores are not comparable with the full task.",
                main_metric="fmax", metrics=MULTILABEL_METRICS, sources=EC_NATIVE_SOURCES,
                splits={"train": 1152, "valid": 384, "test": 383}, citation=DEEPFRI_CITE,
                license="BSD-3-Clause (DeepFRI)", label_space="538 multi-label",
                variant="partial: DeepFRI test chains re-split by PDB entry",
                parameters={"test_cutoff": CUTOFF, "branch": "ec", "partial_seed": EC_PARTIAL_SEED,
                            "partial_fractions": [0.6, 0.2, 0.2]}),
    task_type="multilabel", n_outputs=538,
    read=ec_partial_reader(EC_PREFIX, EC_PARTIAL_SEED),
    smoke=ec_partial_smoke(EC_PREFIX),
)


def _go(branch: str, n: int, long: str) -> ProbeTask:
    return ProbeTask(
        spec=_fspec(id=f"go-{branch}", description=f"Gene Ontology {long} terms of PDB chains (DeepFRI split), "
                                                   "test chains with < 95% identity to train.",
                    main_metric="fmax", metrics=MULTILABEL_METRICS, sources=(GO_SOURCE,),
                    splits={"train": 27496, "valid": 3053, "test": 2991}, citation=DEEPFRI_CITE,
                    license="BSD-3-Clause (DeepFRI)", label_space=f"{n} multi-label",
                    parameters={"test_cutoff": CUTOFF, "branch": branch}),
        task_type="multilabel", n_outputs=n,
        read=deepfri_zip_reader("GeneOntology.zip", "GeneOntology", "GO", branch),
        smoke=deepfri_zip_smoke("GeneOntology.zip", "GeneOntology", "GO", ("mf", "bp", "cc")),
    )


go_bp = _go("bp", 1943, "biological-process")
go_mf = _go("mf", 489, "molecular-function")
go_cc = _go("cc", 320, "cellular-component")

TASKS = [subloc, subloc_partial, binloc, ec, ec_partial, go_bp, go_mf, go_cc]
