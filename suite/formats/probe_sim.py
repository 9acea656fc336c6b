"""PROBE (Unsal et al. 2022, github.com/kansil/PROBE) semantic-similarity files.

* ``human_{MF,BP,CC}_proteinSimilarityMatrix_for_highest_annotated_{500,200}_proteins.csv``
  (repository folder ``data/preprocess/``): a square matrix written by pandas
  *without* an index column — the header row holds the UniProt accessions and
  row ``i`` belongs to the ``i``-th accession of the header (PROBE sets the index
  from the columns when reading).
* ``SparsifiedSimilarityCoordinates_{MF,BP,CC}_for_highest_500.npy``
  (``data/auxilary_input/``): an integer array of ``(i, j)`` positions into the
  500-protein matrix; PROBE scores only pairs with ``j > i`` of it ("Sparse" set).

These layouts are taken from PROBE's evaluation script; the files themselves
were not reachable while this reader was written (see the tasks' sources).
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


class ProbeFormatError(ValueError):
    """A PROBE file does not have the expected layout; the message names the file."""


def matrix_filename(aspect: str, n: int) -> str:
    return f"human_{aspect.upper()}_proteinSimilarityMatrix_for_highest_annotated_{n}_proteins.csv"


def sparse_filename(aspect: str) -> str:
    return f"SparsifiedSimilarityCoordinates_{aspect.upper()}_for_highest_500.npy"


def read_matrix(path: Path) -> tuple[list[str], np.ndarray]:
    """``(accessions, S)`` with ``S`` ``(n, n)`` float32, checked square, finite and symmetric (1e-4)."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise ProbeFormatError(f"{path}: empty file") from None
        if header and header[0] == "":
            raise ProbeFormatError(f"{path}: first header cell is empty — this looks like a matrix written "
                                   f"with an index column, not PROBE's layout (accessions in the header only)")
        rows = []
        for line, row in enumerate(reader, start=2):
            if len(row) != len(header):
                raise ProbeFormatError(f"{path}:{line}: {len(row)} values, expected {len(header)} (one per accession)")
            try:
                rows.append([float(v) for v in row])
            except ValueError as exc:
                raise ProbeFormatError(f"{path}:{line}: non-numeric value ({exc})") from None
    s = np.asarray(rows, dtype=np.float32)
    if s.shape != (len(header), len(header)):
        raise ProbeFormatError(f"{path}: matrix is {s.shape}, expected {len(header)}×{len(header)} from the header")
    if len(set(header)) != len(header):
        raise ProbeFormatError(f"{path}: duplicate accessions in the header")
    if not np.all(np.isfinite(s)):
        raise ProbeFormatError(f"{path}: matrix has non-finite values")
    if not np.allclose(s, s.T, atol=1e-4):
        raise ProbeFormatError(f"{path}: matrix is not symmetric")
    return [h.strip() for h in header], s


def write_matrix(path: Path, accessions: list[str], s: np.ndarray) -> Path:
    """Write in PROBE's layout (header of accessions, no index column)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(accessions)
        for row in np.asarray(s):
            w.writerow([repr(float(v)) for v in row])
    return Path(path)


def read_sparse_pairs(path: Path, n: int) -> np.ndarray:
    """Pairs ``(k, 2)`` int64 with ``i < j`` (PROBE skips the others), checked against ``n`` proteins."""
    path = Path(path)
    arr = np.load(path, allow_pickle=False)
    if arr.ndim != 2 or 2 not in arr.shape:
        raise ProbeFormatError(f"{path}: expected an array of (i, j) pairs, got shape {arr.shape}")
    if arr.shape[1] != 2:
        arr = arr.T
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(arr == np.round(arr)):
            raise ProbeFormatError(f"{path}: pair coordinates are not integers")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= n:
        raise ProbeFormatError(f"{path}: coordinates outside 0..{n - 1}")
    return arr[arr[:, 1] > arr[:, 0]]


def write_sparse_pairs(path: Path, pairs: np.ndarray) -> Path:
    with open(path, "wb") as fh:
        np.save(fh, np.asarray(pairs, dtype=np.int64))
    return Path(path)
