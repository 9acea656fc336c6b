"""Function family: readers of the upstream files into records (every dropped record counted)."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Mapping

import numpy as np
from protbench.formats import deepfri, peer_csv, peer_lmdb
from protbench.sequences import DropLog, clean_sequence, read_fasta
from protbench.spec import Record, TaskData

from ..cleaning import check_label, dedup_within_split

SPLITS = ("train", "valid", "test")
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
        log = DropLog()
        ann, chains, passes = deepfri.read_torchdrug_zip(files[filename], files.cache_dir, name, kind, cutoff, log)
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


def ec_partial_reader(prefix: str, seed: int, fractions=(0.6, 0.2, 0.2), cutoff: float = CUTOFF):
    """DeepFRI native files with test sequences only: the test chains passing ``cutoff`` are re-split into
    train/valid/test by PDB entry (all chains of one entry in one split), seeded."""
    annot, test_csv, test_txt, fasta = (f"{prefix}_annot.tsv", f"{prefix}_test.csv", f"{prefix}_test.txt",
                                        f"{prefix}_test_sequences.fasta")

    def read(files: Mapping[str, Path]) -> TaskData:
        ann = deepfri.read_annotations(files[annot])
        ids = deepfri.read_split_list(files[test_txt])
        passes = deepfri.read_test_cutoffs(Path(files[test_csv]), cutoff)
        log = DropLog()
        seqs = {r.id: r.sequence for r in read_fasta(files[fasta], validate=False, log=log, split="pool")}
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
