"""Mutation family: readers of the upstream files into records (every dropped record counted)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

from protbench.formats import flip, peer_lmdb
from protbench.sequences import DropLog, clean_sequence
from protbench.spec import Record, TaskData

from ..cleaning import dedup_within_split


def usable_target(y: Any, split: str, where: str, log: DropLog) -> float | None:
    """A regression target as float, or None after logging the drop ("missing target" for None/NaN,
    "non-finite target" for ±inf); a string or vector raises naming the record."""
    if y is not None and (isinstance(y, bool) or not isinstance(y, (int, float))):
        raise peer_lmdb.LMDBFormatError(f"{where}: target {y!r} is not a number "
                                        f"(a {type(y).__name__}); expected one float per record")
    if y is None or y != y:
        log.drop(split, "missing target", where)
        return None
    if not math.isfinite(y):
        log.drop(split, "non-finite target", where)
        return None
    return float(y)


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
                y = usable_target(r[target], split, where, log)
                if y is not None:
                    out.append(Record(id=f"{split}/{i}", sequence=seq, label=y))
            splits[split] = dedup_within_split(out, split, log) if dedup else out
        return TaskData(splits=splits, stats={**log.to_dict(), "input_format": "peer-lmdb"})

    return read


UNASSIGNED = "empty set field: row not part of this FLIP split"


def flip_reader(filename: str, split_name: str, region: slice | None = None):
    """Reader of a FLIP ``splits.zip`` (one named split); ``region`` keeps a residue window (ProtST's AAV).

    Rows with an empty ``set`` (FLIP writes its whole table into each split file) are left out, as FLIP's and
    ProtST's loaders do, and counted under the drop-log split ``unassigned``.
    """

    def read(files: Mapping[str, Path]) -> TaskData:
        raw = flip.read_split(files[filename], split_name)
        log = DropLog()
        for r in raw["unassigned"]:
            log.drop("unassigned", UNASSIGNED, f"{filename}:splits/{split_name}.csv line {r['line']}")
        splits = {}
        for split in ("train", "valid", "test"):
            rows = raw[split]
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
                y = usable_target(r["target"], split, where, log)
                if y is not None:
                    out.append(Record(id=f"{split}/{r['line']}", sequence=seq, label=y))
            splits[split] = out
        return TaskData(splits=splits, stats={**log.to_dict(), "input_format": "flip-zip"})

    return read
