"""PROBE (Unsal et al. 2022; github.com/HUBioDataLab/PROBE, formerly kansil/PROBE) semantic-similarity files.

Where the bytes are (HUBioDataLab/PROBE @ 9ff8219c14fb5bdb8fe5f8ed66142ed9f9bf4290, README.md "Download
Benchmark Datasets"): the GO similarity matrices are **not** in the repository (``data/.gitignore`` ignores
everything); they are in ``datasets.zip``, a Google Drive file (id ``1elGfjI4jwzcjOBT6LoMnz-7DtdwPFV6i``) that
"creates ``data/auxilary_input/`` and ``data/preprocess/``" when unzipped into ``data/``. No checksum or size is
published for it. The Sparse pair coordinates *are* in the repository as small ``.npy`` files.

* ``preprocess/human_{MF,BP,CC}_proteinSimilarityMatrix_for_highest_annotated_{500,200}_proteins.csv`` (inside
  ``datasets.zip``): a comma-separated square matrix with **no index column** — one header row of UniProt
  accessions, then one row of floats per accession in header order. Evidence: PROBE's evaluator
  (``bin/semantic_similarity_infer.py`` lines 78-80) reads it with pandas' defaults and then labels the rows with
  the column names (``set_index(columns)``), which only works when there are as many rows as header cells; the
  full matrices were written by R ``write.csv(..., row.names=FALSE)`` (``paper_reproduction_scripts/preprocess/
  calculate_semSim.R`` line 22), i.e. header cells in double quotes, numbers unquoted, missing values as ``NA``;
  GOSemSim's ``mgeneSim`` (Lin, best-match average, IEA dropped; line 19) gives values in [0, 1] rounded to 3
  decimals (the 247 values of ``SparsifiedSimilarites_for_highest_500.npy`` are such: 0.0, 0.012, 0.017, ...).
  The "500" matrices hold **497 (MF, BP) and 495 (CC)** proteins, the "200" ones 200
  (``paper_reproduction_scripts/preprocess/Similarity_Matrix_Stats.ipynb``, cell 3 output).
* ``SparsifiedSimilarityCoordinates_{MF,BP,CC}_for_highest_500.npy`` (repository folder
  ``paper_reproduction_scripts/semantic_similarity_inference/auxilary_input/``; PROBE's evaluator loads the copy in
  ``data/auxilary_input/`` of the archive): ``.npy`` version 1.0, dtype ``<i8``, C order, shape ``(k, 2)`` with
  k = 247 (MF), 247 (BP), 245 (CC); rows are ``(i, j)`` positions into the 500 matrix, all with ``i <= j``; the MF
  file has one diagonal pair ``i == j``. PROBE scores only pairs with ``j > i`` (``parallelSimilarity``, line 37),
  so the Sparse MF set has 246 pairs — the p-values PROBE published for AAC (``results/
  Semantic_sim_inference_Sparse_AAC.csv``) fit 246 / 247 / 245 pairs.

Zip members are read in place (``zipfile``), not unpacked: the archive also holds the full 3,077-6,154-protein
matrices, which no task needs. A member is found by its file name, whatever folder the archive puts it in.
"""
from __future__ import annotations

import csv
import hashlib
import io
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Iterable

import numpy as np

ARCHIVE = "datasets.zip"
MISSING = ("NA", "NaN", "nan", "")   # how R and pandas write a missing value


class ProbeFormatError(ValueError):
    """A PROBE file does not have the expected layout; the message names the file."""


def matrix_filename(aspect: str, n: int) -> str:
    return f"human_{aspect.upper()}_proteinSimilarityMatrix_for_highest_annotated_{n}_proteins.csv"


def sparse_filename(aspect: str) -> str:
    return f"SparsifiedSimilarityCoordinates_{aspect.upper()}_for_highest_500.npy"


def parse_matrix(lines: Iterable[str], where: str) -> tuple[list[str], np.ndarray]:
    """``(accessions, S)`` from CSV text lines; ``S`` ``(n, n)`` float32, checked square, finite and symmetric."""
    reader = csv.reader(lines)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ProbeFormatError(f"{where}: empty file") from None
    if header and header[0] == "":
        raise ProbeFormatError(f"{where}: first header cell is empty — this looks like a matrix written "
                               f"with an index column, not PROBE's layout (accessions in the header only)")
    rows = []
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise ProbeFormatError(f"{where}:{line}: {len(row)} values, expected {len(header)} (one per accession "
                                   f"of the header; PROBE's matrices have no index column)")
        try:
            values = [np.nan if v.strip() in MISSING else float(v) for v in row]
        except ValueError as exc:
            raise ProbeFormatError(f"{where}:{line}: non-numeric value ({exc})") from None
        if not all(np.isfinite(values)):
            col = next(k for k, v in enumerate(values) if not np.isfinite(v))
            who = header[len(rows)] if len(rows) < len(header) else f"row {len(rows) + 1}"
            raise ProbeFormatError(f"{where}:{line}: missing similarity (NA) for {who} × {header[col]}; "
                                   f"PROBE's matrices have none — this copy is not PROBE's file")
        rows.append(values)
    s = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(header))
    if s.shape != (len(header), len(header)):
        raise ProbeFormatError(f"{where}: matrix is {s.shape}, expected {len(header)}×{len(header)} from the header")
    if len(set(header)) != len(header):
        raise ProbeFormatError(f"{where}: duplicate accessions in the header")
    if not np.allclose(s, s.T, atol=1e-4):
        raise ProbeFormatError(f"{where}: matrix is not symmetric")
    return header, s


def read_matrix(path: Path) -> tuple[list[str], np.ndarray]:
    """Read a matrix CSV that is a plain file (see :func:`parse_matrix`)."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return parse_matrix(fh, str(path))


def find_member(zf: zipfile.ZipFile, archive: Path, name: str) -> zipfile.ZipInfo:
    """The one member of ``zf`` whose file name is ``name`` (any folder); an error names the archive otherwise."""
    hits = [i for i in zf.infolist() if not i.is_dir()
            and PurePosixPath(i.filename.replace("\\", "/")).name == name
            and not PurePosixPath(i.filename).name.startswith("._")]
    if not hits:
        raise ProbeFormatError(f"{archive}: no member {name!r} (PROBE's datasets.zip has it under preprocess/); "
                               f"is this PROBE's benchmark-data archive? Delete it and fetch it again")
    if len(hits) > 1:
        raise ProbeFormatError(f"{archive}: {len(hits)} members named {name!r} "
                               f"({', '.join(h.filename for h in hits)}); cannot tell which is PROBE's")
    return hits[0]


def read_archive_matrix(archive: Path, aspect: str, n: int) -> tuple[list[str], np.ndarray, str]:
    """``(accessions, S, md5 of the member's bytes)`` of one matrix inside PROBE's ``datasets.zip``."""
    archive = Path(archive)
    name = matrix_filename(aspect, n)
    try:
        with zipfile.ZipFile(archive) as zf:
            info = find_member(zf, archive, name)
            data = zf.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ProbeFormatError(f"{archive}: not a readable zip archive ({type(exc).__name__}: {exc}); a Google "
                               f"Drive download that returned an HTML page or was cut short — delete it and "
                               f"download it again") from exc
    text = data.decode("utf-8-sig")
    accs, s = parse_matrix(io.StringIO(text, newline=""), f"{archive}:{info.filename}")
    return accs, s, hashlib.md5(data).hexdigest()


def write_matrix(path: Path, accessions: list[str], s: np.ndarray, quoted_header: bool = True) -> Path:
    """Write in PROBE's layout (header of accessions, no index column), as R ``write.csv(row.names=FALSE)`` does:
    header cells in double quotes, values unquoted."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write(",".join(f'"{a}"' if quoted_header else a for a in accessions) + "\n")
        for row in np.asarray(s):
            fh.write(",".join(repr(float(v)) for v in row) + "\n")
    return Path(path)


def write_archive(path: Path, matrices: dict[str, Path], sparse: dict[str, Path]) -> Path:
    """A ``datasets.zip`` in PROBE's folder layout: ``preprocess/<matrix>.csv``, ``auxilary_input/<pairs>.npy``."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, p in matrices.items():
            zf.write(p, f"preprocess/{name}")
        for name, p in sparse.items():
            zf.write(p, f"auxilary_input/{name}")
    return Path(path)


def read_sparse_pairs(path: Path, n: int) -> tuple[np.ndarray, int]:
    """``(pairs (k, 2) int64 with i < j, number of rows skipped because j <= i)``, checked against ``n`` proteins.

    PROBE's files are ``<i8`` arrays of shape ``(k, 2)``; anything else (other shape, non-integers, a pickled
    object array) is refused with an error naming the file."""
    path = Path(path)
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ProbeFormatError(f"{path}: not a numpy .npy array of pair coordinates ({exc})") from None
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ProbeFormatError(f"{path}: expected an array of (i, j) rows, shape (k, 2), got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ProbeFormatError(f"{path}: pair coordinates have dtype {arr.dtype}, expected integers (<i8)")
    arr = arr.astype(np.int64)
    if len(arr) and (arr.min() < 0 or arr.max() >= n):
        raise ProbeFormatError(f"{path}: coordinates outside 0..{n - 1} (the 500 matrix has {n} proteins); "
                               f"pairs and matrix are of different aspects or releases")
    keep = arr[:, 1] > arr[:, 0]
    return arr[keep], int((~keep).sum())


def write_sparse_pairs(path: Path, pairs: np.ndarray) -> Path:
    with open(path, "wb") as fh:
        np.save(fh, np.asarray(pairs, dtype="<i8"))
    return Path(path)
