"""PrimeKG (Chandak et al. 2023, Harvard Dataverse doi:10.7910/DVN/IXA7BM) and BioBridge's protein table.

* ``kg.csv``: one row per directed edge, columns ``relation, display_relation,
  x_index, x_id, x_type, x_name, x_source, y_index, y_id, y_type, y_name,
  y_source`` (``*_index`` = PrimeKG node index; every undirected edge appears in
  both directions). Node types used here: ``gene/protein``,
  ``biological_process``, ``molecular_function``, ``cellular_component``,
  ``drug``, ``disease``.
* ``nodes.csv``: ``node_index, node_id, node_type, node_name, node_source``.
* ``drug_features.csv`` / ``disease_features.csv``: one row per drug / disease
  node (``node_index`` plus text fields, e.g. ``description`` for drugs and
  ``mondo_name``, ``mondo_definition``, ``umls_description`` for diseases).
* BioBridge ``data/Processed/protein.csv`` (a Git LFS file): ``node_index, node_id, node_type,
  node_name, node_source, sequence`` — the amino-acid sequence of each protein node.

``kg.csv`` is ~1 GB: :func:`read_edges` streams it in chunks and keeps only the
rows of one (head type, tail type) pair.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

KG_COLUMNS = ("relation", "display_relation", "x_index", "x_id", "x_type", "x_name", "x_source",
              "y_index", "y_id", "y_type", "y_name", "y_source")
NODE_COLUMNS = ("node_index", "node_id", "node_type", "node_name", "node_source")
PROTEIN_COLUMNS = ("node_index", "node_id", "node_type", "node_name", "node_source", "sequence")
DRUG_TEXT_FIELDS = ("description",)
DISEASE_TEXT_FIELDS = ("mondo_definition", "umls_description", "orphanet_definition")


class PrimeKGFormatError(ValueError):
    """A PrimeKG/BioBridge file lacks expected columns; the message names the file and the fix."""


def _header(path: Path) -> list[str]:
    """The CSV header; an HTML page, a Git LFS pointer or Dataverse's tab-separated archival copy is refused.

    The archival copy is refused rather than read: Dataverse rewrites an ingested CSV (quoting, missing
    values, numbers), so only the original upload is the file PrimeKG published and its md5 describes.
    """
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        first = fh.readline()
    if first.lstrip().lower().startswith(("<!doctype", "<html")):
        raise PrimeKGFormatError(f"{path}: an HTML page, not a CSV — download the file itself from Harvard "
                                 f"Dataverse (doi:10.7910/DVN/IXA7BM) and put it in the cache or a mirror folder")
    if first.startswith("version https://git-lfs.github.com/spec/v1"):
        raise PrimeKGFormatError(f"{path}: a Git LFS pointer, not the CSV — download the real file (GitHub's "
                                 f"media.githubusercontent.com/media/... URL, or `git lfs pull` in a clone)")
    if "\t" in first and "," not in first:
        raise PrimeKGFormatError(
            f"{path}: tab-separated, not comma-separated — this is Harvard Dataverse's archival copy of an "
            f"ingested CSV (listed as .tab). Download the original upload: append `?format=original` to the "
            f"api/access/datafile/<id> URL, and put it in the cache or a mirror folder")
    return next(csv.reader([first]))


def _require(path: Path, columns: Iterable[str]) -> list[str]:
    header = _header(path)
    missing = [c for c in columns if c not in header]
    if missing:
        raise PrimeKGFormatError(f"{path}: missing columns {missing} (found {header[:14]})")
    return header


@dataclass
class Edges:
    """Edges of one (head type → tail type) pair: parallel lists of PrimeKG node indices."""

    head: list[int]
    tail: list[int]
    relations: dict[str, int]        # relation name -> rows kept
    head_names: dict[int, str]
    tail_names: dict[int, str]


def read_edges(path: Path, head_type: str, tail_type: str, relations: Iterable[str] | None = None,
               chunksize: int = 1_000_000) -> Edges:
    """Rows of ``kg.csv`` with ``x_type == head_type`` and ``y_type == tail_type`` (and ``relation`` in
    ``relations`` when given), duplicates removed, first-seen order."""
    path = Path(path)
    _require(path, KG_COLUMNS)
    wanted = set(relations) if relations is not None else None
    seen: dict[tuple[int, int], None] = {}
    rel_counts: dict[str, int] = {}
    head_names: dict[int, str] = {}
    tail_names: dict[int, str] = {}
    cols = ["relation", "x_index", "x_type", "x_name", "y_index", "y_type", "y_name"]
    for chunk in pd.read_csv(path, usecols=cols, chunksize=chunksize, dtype={"x_index": "int64", "y_index": "int64",
                                                                              "x_name": str, "y_name": str},
                             low_memory=False):
        keep = (chunk["x_type"] == head_type) & (chunk["y_type"] == tail_type)
        if wanted is not None:
            keep &= chunk["relation"].isin(wanted)
        sub = chunk[keep]
        for rel, x, xn, y, yn in zip(sub["relation"], sub["x_index"], sub["x_name"], sub["y_index"], sub["y_name"]):
            x, y = int(x), int(y)
            if (x, y) not in seen:
                seen[(x, y)] = None
                rel_counts[rel] = rel_counts.get(rel, 0) + 1
                head_names.setdefault(x, str(xn))
                tail_names.setdefault(y, str(yn))
    pairs = list(seen)
    return Edges([h for h, _ in pairs], [t for _, t in pairs], rel_counts, head_names, tail_names)


def read_nodes(path: Path, node_type: str | None = None) -> pd.DataFrame:
    """``nodes.csv`` (optionally one node type), indexed by ``node_index``."""
    path = Path(path)
    _require(path, NODE_COLUMNS)
    df = pd.read_csv(path, dtype={"node_id": str, "node_name": str}, low_memory=False)
    if node_type is not None:
        df = df[df["node_type"] == node_type]
    return df.set_index("node_index", drop=False)


def read_protein_sequences(path: Path) -> dict[int, str]:
    """BioBridge ``protein.csv``: ``{node_index: sequence}`` (rows without a sequence skipped)."""
    path = Path(path)
    _require(path, ("node_index", "sequence"))
    df = pd.read_csv(path, usecols=["node_index", "sequence"], dtype={"sequence": str})
    return {int(i): s for i, s in zip(df["node_index"], df["sequence"]) if isinstance(s, str) and s}


def read_feature_texts(path: Path, fields: Iterable[str]) -> dict[int, str]:
    """``{node_index: text}`` from a features CSV: the given text fields joined by a space (blanks skipped).

    Several rows of one node (PrimeKG groups diseases) are joined in file order, duplicates dropped.
    """
    path = Path(path)
    fields = list(fields)
    header = _require(path, ["node_index"])
    present = [f for f in fields if f in header]
    if not present:
        raise PrimeKGFormatError(f"{path}: none of the text columns {fields} (found {header[:14]})")
    df = pd.read_csv(path, usecols=["node_index", *present], dtype={f: str for f in present}, low_memory=False)
    out: dict[int, list[str]] = {}
    for row in df.itertuples(index=False):
        parts = [str(getattr(row, f)).strip() for f in present]
        text = " ".join(p for p in parts if p and p.lower() != "nan")
        if text:
            lst = out.setdefault(int(row.node_index), [])
            if text not in lst:
                lst.append(text)
    return {k: " ".join(v) for k, v in out.items()}


# ---------------------------------------------------------------------------------------------
# writers (smoke data in the same formats)

def write_kg(path: Path, rows: Iterable[Mapping[str, object]]) -> Path:
    pd.DataFrame(list(rows), columns=list(KG_COLUMNS)).to_csv(path, index=False)
    return Path(path)


def write_nodes(path: Path, rows: Iterable[Mapping[str, object]]) -> Path:
    pd.DataFrame(list(rows), columns=list(NODE_COLUMNS)).to_csv(path, index=False)
    return Path(path)


def write_proteins(path: Path, rows: Iterable[Mapping[str, object]]) -> Path:
    pd.DataFrame(list(rows), columns=list(PROTEIN_COLUMNS)).to_csv(path, index=False)
    return Path(path)


def write_features(path: Path, rows: Iterable[Mapping[str, object]], columns: Iterable[str]) -> Path:
    pd.DataFrame(list(rows), columns=["node_index", *columns]).to_csv(path, index=False)
    return Path(path)
