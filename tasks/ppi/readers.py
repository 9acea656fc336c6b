"""PPI family: readers of the upstream files into records (every dropped record counted)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
from protbench.fetch import file_hash
from protbench.formats import gnn_ppi
from protbench.formats.gnn_ppi import MODES
from protbench.sequences import DropLog, clean_sequence
from protbench.spec import (
    Record,
    TaskData,
)


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
