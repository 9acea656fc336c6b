"""PEER localization splits converted from LMDB to CSV: ``<name>_{train,valid,test}.csv[.gz]``.

Header ``primary,localization``; one protein per row, the class id as an
integer. This is a second accepted input for the localization tasks (the
canonical input is PEER's LMDB archive, :mod:`protbench.formats.peer_lmdb`);
the records are the same, only the container differs.
"""
from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Iterable, Mapping

COLUMNS = ("primary", "localization")


class PeerCSVFormatError(ValueError):
    """A localization CSV without the expected columns or with a malformed row."""


def _open(path: Path, mode: str = "rt"):
    return gzip.open(path, mode, newline="") if str(path).endswith(".gz") else open(path, mode, newline="")


def read_csv(path: Path, target: str = "localization") -> list[dict]:
    """Rows as ``{"primary": str, target: int}``; a missing column or non-integer label raises naming the line;
    a file that is not (gzipped) UTF-8 text — an HTML error page, a truncated download — raises naming the file."""
    path = Path(path)
    try:
        return _read_rows(path, target)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        head = path.read_bytes()[:64].lstrip() if path.is_file() else b""
        what = "; it looks like an HTML/XML page (an error page?)" if head[:1] == b"<" else ""
        raise PeerCSVFormatError(f"{path}: not a readable {'gzipped ' if str(path).endswith('.gz') else ''}"
                                 f"UTF-8 CSV ({type(exc).__name__}: {exc}{what}); delete it and fetch it "
                                 f"again") from exc


def _read_rows(path: Path, target: str) -> list[dict]:
    out = []
    with _open(path) as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        for need in ("primary", target):
            if need not in cols:
                raise PeerCSVFormatError(f"{path}: column {need!r} missing (header: {cols}); expected {COLUMNS}")
        for line, row in enumerate(reader, 2):
            raw = (row.get(target) or "").strip()
            try:
                label = int(float(raw)) if raw else None
            except (ValueError, OverflowError):   # "abc", "nan", "inf"
                raise PeerCSVFormatError(f"{path} line {line}: label {raw!r} is not an integer class id") from None
            if label is not None and float(raw) != label:
                raise PeerCSVFormatError(f"{path} line {line}: label {raw!r} is not an integer class id")
            out.append({"primary": row.get("primary") or "", target: label})
    return out


def write_csv(path: Path, rows: Iterable[Mapping], target: str = "localization") -> Path:
    """Write rows (``primary``, ``target``) in the converted-CSV layout (gzip if the name ends in .gz)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _open(path, "wt") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["primary", target])
        for r in rows:
            w.writerow([r["primary"], r[target]])
    return path
