"""GNN-PPI files (Lv et al. 2021): a protein sequence dictionary and a STRING ``actions`` table.

* ``protein.<name>.sequences.dictionary.tsv``: one ``STRING_ID<TAB>SEQUENCE`` per line, no header.
* ``protein.actions.<name>.STRING.txt`` (and STRING's own ``9606.protein.actions.*.txt[.gz]``):
  a tab-separated table with header ``item_id_a item_id_b mode action is_directional a_is_acting score``.
  Every row is one typed action; all rows of an *unordered* pair {a, b} together give the pair's
  multi-label target over the 7 :data:`MODES`.

:func:`read_interactions` keeps GNN-PPI's orders: proteins are numbered in order of first
appearance in the actions file, pairs in order of first appearance (so edge index ``i`` here is
edge ``i`` of GNN-PPI's split JSON files). Files ending in ``.gz`` are read and written gzipped.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import numpy as np

# GNN-PPI's class order (label column j is MODES[j])
MODES = ("reaction", "binding", "ptmod", "activation", "inhibition", "catalysis", "expression")
ACTIONS_HEADER = ("item_id_a", "item_id_b", "mode", "action", "is_directional", "a_is_acting", "score")


class GnnPpiFormatError(ValueError):
    """A malformed line; the message names the file, the line number and what to fix."""


def _open(path: Path, mode: str = "rt"):
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, mode, encoding="utf-8", newline="")
    return open(path, mode, encoding="utf-8", newline="")


def read_sequence_dictionary(path: Path) -> dict[str, str]:
    """``{STRING id: sequence}`` in file order.

    A repeated id with the same sequence is ignored (GNN-PPI keeps the first); a repeated id
    with a *different* sequence, a line without a tab or an empty field raises
    :class:`GnnPpiFormatError`.
    """
    out: dict[str, str] = {}
    with _open(path) as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
                raise GnnPpiFormatError(
                    f"{path}:{n}: expected 'STRING_ID<TAB>SEQUENCE', got {line[:80]!r}")
            pid, seq = parts[0].strip(), parts[1].strip()
            if pid in out and out[pid] != seq:
                raise GnnPpiFormatError(f"{path}:{n}: protein {pid} appears twice with different sequences")
            out.setdefault(pid, seq)
    return out


def write_sequence_dictionary(path: Path, sequences: Mapping[str, str] | Iterable[tuple[str, str]]) -> Path:
    """Write ``STRING_ID<TAB>SEQUENCE`` lines (no header), as GNN-PPI ships them."""
    items = sequences.items() if isinstance(sequences, Mapping) else sequences
    with _open(path, "wt") as fh:
        for pid, seq in items:
            fh.write(f"{pid}\t{seq}\n")
    return Path(path)


@dataclass(frozen=True)
class Action:
    """One row of an actions file (``score`` is STRING's combined score, 0–1000)."""

    a: str
    b: str
    mode: str
    action: str = ""
    is_directional: str = "f"
    a_is_acting: str = "f"
    score: int = 0


def read_actions(path: Path) -> Iterator[Action]:
    """Rows of an actions file; the header must be :data:`ACTIONS_HEADER`, every mode one of :data:`MODES`."""
    with _open(path) as fh:
        header = fh.readline().rstrip("\r\n").split("\t")
        if tuple(h.strip() for h in header) != ACTIONS_HEADER:
            raise GnnPpiFormatError(
                f"{path}:1: header {header} is not the STRING actions header {list(ACTIONS_HEADER)} "
                f"(tab-separated); is this a protein.actions file? (A web page saved under this name by a "
                f"download? Delete it and fetch the file by hand from the task's source URL.)")
        for n, line in enumerate(fh, 2):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            f = line.split("\t")
            if len(f) != len(ACTIONS_HEADER):
                raise GnnPpiFormatError(f"{path}:{n}: expected {len(ACTIONS_HEADER)} tab-separated fields, "
                                        f"got {len(f)}: {line[:100]!r}")
            if f[2] not in MODES:
                raise GnnPpiFormatError(f"{path}:{n}: unknown mode {f[2]!r}; expected one of {MODES}")
            try:
                score = int(f[6])
            except ValueError:
                raise GnnPpiFormatError(f"{path}:{n}: score {f[6]!r} is not an integer") from None
            yield Action(f[0], f[1], f[2], f[3], f[4], f[5], score)


def write_actions(path: Path, actions: Iterable[Action]) -> Path:
    """Write an actions table with the STRING header (tab-separated)."""
    with _open(path, "wt") as fh:
        fh.write("\t".join(ACTIONS_HEADER) + "\n")
        for r in actions:
            fh.write(f"{r.a}\t{r.b}\t{r.mode}\t{r.action}\t{r.is_directional}\t{r.a_is_acting}\t{r.score}\n")
    return Path(path)


@dataclass
class Interactions:
    """Unordered typed pairs of an actions file.

    ``proteins``: ids in order of first appearance (node index = position);
    ``pairs``: ``(E, 2)`` int64 node indices, GNN-PPI's orientation (the id that sorts first as a
    string comes first), pair order = first appearance; ``labels``: ``(E, 7)`` uint8 over
    :data:`MODES`; ``rows``: number of action rows read.
    """

    proteins: list[str]
    pairs: np.ndarray
    labels: np.ndarray
    rows: int

    def pair_ids(self) -> list[str]:
        """``"A__B"`` keys as GNN-PPI writes them."""
        return [f"{self.proteins[i]}__{self.proteins[j]}" for i, j in self.pairs]


def collect_interactions(actions: Iterable[Action]) -> Interactions:
    """Merge action rows into unordered pairs with 7-mode multi-label targets."""
    index: dict[str, int] = {}
    pair_index: dict[tuple[str, str], int] = {}
    labels: list[list[int]] = []
    pairs: list[tuple[int, int]] = []
    rows = 0
    mode_col = {m: j for j, m in enumerate(MODES)}
    for r in actions:
        rows += 1
        for pid in (r.a, r.b):
            if pid not in index:
                index[pid] = len(index)
        key = (r.a, r.b) if r.a < r.b else (r.b, r.a)
        k = pair_index.get(key)
        if k is None:
            k = pair_index[key] = len(pairs)
            pairs.append((index[key[0]], index[key[1]]))
            labels.append([0] * len(MODES))
        labels[k][mode_col[r.mode]] = 1
    return Interactions(proteins=list(index), pairs=np.asarray(pairs, dtype=np.int64).reshape(-1, 2),
                        labels=np.asarray(labels, dtype=np.uint8).reshape(-1, len(MODES)), rows=rows)


def read_interactions(path: Path) -> Interactions:
    """:func:`collect_interactions` over :func:`read_actions` of ``path``."""
    return collect_interactions(read_actions(path))
