"""FLIP split archives: ``splits/<landscape>/splits.zip`` holding ``splits/<split>.csv``.

Each CSV has columns ``sequence, target, set, validation``: ``set`` is
``train`` or ``test``; ``validation == True`` marks the validation rows inside
``set == train``. As in ProtST/torchdrug's FLIP loader, train = ``set == train``
and not validation, valid = validation rows, test = ``set == test`` (file order
kept inside each split).
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Iterable, Mapping

COLUMNS = ("sequence", "target", "set", "validation")


class FLIPFormatError(ValueError):
    """A FLIP zip without the requested split, or a CSV with missing columns / bad rows."""


def split_member(zf: zipfile.ZipFile, archive: Path, split: str) -> str:
    names = [n for n in zf.namelist() if not n.split("/")[-1].startswith("._") and not n.startswith("__MACOSX")]
    hits = [n for n in names if n.split("/")[-1] == f"{split}.csv"]
    if not hits:
        have = sorted(n.split("/")[-1][:-4] for n in names if n.endswith(".csv"))
        raise FLIPFormatError(f"{archive}: no split {split!r} ({split}.csv); the archive holds {have}")
    return sorted(hits, key=len)[0]


def read_split(archive: Path, split: str) -> dict[str, list[dict]]:
    """``{"train": [...], "valid": [...], "test": [...]}`` of ``{"sequence", "target", "line"}`` rows.

    ``target`` is a float or None (empty cell); ``line`` is the 1-based CSV line.
    """
    archive = Path(archive)
    try:
        with zipfile.ZipFile(archive) as zf:
            member = split_member(zf, archive, split)
            text = zf.read(member).decode("utf-8")
    except zipfile.BadZipFile as exc:
        raise FLIPFormatError(f"{archive}: not a readable zip ({exc}); delete it and fetch it again") from exc
    reader = csv.DictReader(io.StringIO(text))
    cols = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in cols]
    if missing:
        raise FLIPFormatError(f"{archive}:{member}: columns {missing} missing (header {cols}); expected {COLUMNS}")
    out: dict[str, list[dict]] = {"train": [], "valid": [], "test": []}
    for line, row in enumerate(reader, 2):
        s = (row["set"] or "").strip()
        raw = (row["target"] or "").strip()
        try:
            target = float(raw) if raw else None
        except ValueError:
            raise FLIPFormatError(f"{archive}:{member} line {line}: target {raw!r} is not a number") from None
        rec = {"sequence": row["sequence"] or "", "target": target, "line": line}
        if s == "test":
            out["test"].append(rec)
        elif s == "train":
            out["valid" if (row["validation"] or "").strip() == "True" else "train"].append(rec)
        else:
            raise FLIPFormatError(f"{archive}:{member} line {line}: set {s!r} is neither 'train' nor 'test'")
    return out


def write_splits_zip(archive: Path, splits: Mapping[str, Iterable[Mapping]]) -> Path:
    """Write a FLIP-style zip: ``splits/<name>.csv`` per entry; rows carry sequence, target, set, validation."""
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, rows in splits.items():
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(COLUMNS)
            for r in rows:
                w.writerow([r["sequence"], r["target"], r["set"], "True" if r.get("validation") else "False"])
            zf.writestr(f"splits/{name}.csv", buf.getvalue())
    return archive
