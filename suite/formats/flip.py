"""FLIP split archives: ``splits/<landscape>/splits.zip`` holding ``splits/<split>.csv``.

Each CSV has the header ``sequence,target,set,validation`` (pandas ``to_csv(index=False)``, LF line ends,
no quoting). ``set`` is ``train``, ``test`` or **empty**: FLIP writes every row of its full table into every
split file, and a row that a split does not use has an empty ``set`` (AAV ``two_vs_many``: the ~201k
ML-designed variants). ``validation`` is ``True`` for the validation rows inside ``set == train`` and
either empty (AAV) or ``False`` (Meltome ``human_cell``) elsewhere. As in ProtST/torchdrug's FLIP loader
(and FLIP's own ``load_dataset``), train = ``set == train`` and not validation, valid = validation rows,
test = ``set == test`` (file order kept inside each split); rows with an empty ``set`` are left out and
returned under ``"unassigned"`` so the caller can count them.
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Iterable, Mapping

COLUMNS = ("sequence", "target", "set", "validation")
VALIDATION_VALUES = {"": False, "False": False, "True": True}


class FLIPFormatError(ValueError):
    """A FLIP zip without the requested split, or a CSV with missing columns / bad rows."""


def split_member(zf: zipfile.ZipFile, archive: Path, split: str) -> str:
    names = [n for n in zf.namelist() if not n.split("/")[-1].startswith("._") and not n.startswith("__MACOSX")]
    hits = [n for n in names if n.split("/")[-1] == f"{split}.csv"]
    if not hits:
        have = sorted(n.split("/")[-1][:-4] for n in names if n.endswith(".csv"))
        raise FLIPFormatError(f"{archive}: no split {split!r} ({split}.csv); the archive holds {have}")
    return sorted(hits, key=len)[0]


def _what_instead(archive: Path) -> str:
    """What a non-zip download most likely is, from its first bytes (a Git LFS pointer, an HTML/XML error page)."""
    try:
        head = archive.read_bytes()[:200].lstrip()
    except OSError:
        return ""
    if head.startswith(b"version https://git-lfs"):
        return "; it is a Git LFS pointer, not the file: the URL must be the repository's LFS media URL"
    if head[:1] == b"<":
        return "; it is an HTML/XML page (an error page?), not the zip"
    return ""


def read_split(archive: Path, split: str) -> dict[str, list[dict]]:
    """``{"train", "valid", "test"}`` → rows ``{"sequence", "target", "line"}``, ``"unassigned"`` → ``{"line"}``.

    ``target`` is a float or None (empty cell); ``line`` is the 1-based CSV line. ``unassigned`` lists the
    rows whose ``set`` is empty (not part of this split; their target is not checked). A ``set`` other than
    train/test/empty, a ``validation`` other than True/False/empty, or a validation row outside
    ``set == train`` raises, naming the file and line.
    """
    archive = Path(archive)
    try:
        with zipfile.ZipFile(archive) as zf:
            member = split_member(zf, archive, split)
            # streamed: an AAV split CSV holds all 284,009 variants (~200 MB of text)
            with io.TextIOWrapper(zf.open(member), encoding="utf-8", newline="") as fh:
                return _read_rows(csv.DictReader(fh), f"{archive}:{member}")
    except zipfile.BadZipFile as exc:
        raise FLIPFormatError(f"{archive}: not a readable zip ({exc}{_what_instead(archive)}); delete it and fetch "
                              f"it again") from exc
    except UnicodeDecodeError as exc:
        raise FLIPFormatError(f"{archive}: {split}.csv is not UTF-8 text ({exc}); delete it and fetch it again") \
            from exc


def _read_rows(reader: csv.DictReader, where_file: str) -> dict[str, list[dict]]:
    cols = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in cols]
    if missing:
        raise FLIPFormatError(f"{where_file}: columns {missing} missing (header {cols}); expected {COLUMNS}")
    out: dict[str, list[dict]] = {"train": [], "valid": [], "test": [], "unassigned": []}
    for line, row in enumerate(reader, 2):
        where = f"{where_file} line {line}"
        s = (row["set"] or "").strip()
        v = (row["validation"] or "").strip()
        if v not in VALIDATION_VALUES:
            raise FLIPFormatError(f"{where}: validation {v!r} is not True, False or empty")
        if s == "":
            out["unassigned"].append({"line": line})     # not in this split: only its line is kept
            continue
        raw = (row["target"] or "").strip()
        try:
            target = float(raw) if raw else None
        except ValueError:
            raise FLIPFormatError(f"{where}: target {raw!r} is not a number") from None
        rec = {"sequence": row["sequence"] or "", "target": target, "line": line}
        if s == "test":
            if VALIDATION_VALUES[v]:
                raise FLIPFormatError(f"{where}: a test row marked validation=True; validation rows are train rows")
            out["test"].append(rec)
        elif s == "train":
            out["valid" if VALIDATION_VALUES[v] else "train"].append(rec)
        else:
            raise FLIPFormatError(f"{where}: set {s!r} is neither 'train', 'test' nor empty")
    return out


def _cell(value) -> str:
    """How pandas writes a cell: True/False as words, None/NaN as an empty field."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def write_splits_zip(archive: Path, splits: Mapping[str, Iterable[Mapping]], folder_entry: bool = False) -> Path:
    """Write a FLIP-style zip: ``splits/<name>.csv`` per entry; rows carry sequence, target, set, validation.

    A missing ``validation`` is written ``False``; ``None`` cells (``set``, ``validation``) are written empty,
    as pandas writes NaN. ``folder_entry`` adds the ``splits/`` directory entry that ``zip -r`` writes.
    """
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        if folder_entry:
            zf.writestr("splits/", "")
        for name, rows in splits.items():
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(COLUMNS)
            for r in rows:
                w.writerow([r["sequence"], _cell(r["target"]), _cell(r["set"]), _cell(r.get("validation", False))])
            zf.writestr(f"splits/{name}.csv", buf.getvalue())
    return archive
