"""Record cleaning shared by the readers: label checks and within-split de-duplication (every drop counted)."""
from __future__ import annotations

from protbench.sequences import DropLog
from protbench.spec import Record


def check_label(label: int, n_classes: int, split: str, where: str, log: DropLog) -> bool:
    """True for a class id in ``0..n_classes-1``; otherwise log a counted drop ("label outside label space")."""
    if label is None or not (0 <= int(label) < n_classes):
        log.drop(split, "label outside label space", f"{where} (label {label!r})")
        return False
    return True


def dedup_within_split(records: list[Record], split: str, log: DropLog) -> list[Record]:
    """Keep the first record of each distinct sequence in a split; later copies are logged drops.

    torchdrug's documented split sizes count distinct sequences (e.g. TAPE stability train: 53,614 LMDB
    records, 53,571 distinct), so the tasks that document such sizes apply this.
    """
    seen: set[str] = set()
    out = []
    for r in records:
        if r.sequence in seen:
            log.drop(split, "duplicate sequence in split", r.id)
            continue
        seen.add(r.sequence)
        out.append(r)
    return out
