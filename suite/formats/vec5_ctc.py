"""GNN-PPI's per-residue input table ``vec5_CTC.txt`` (lvguofeng/GNN_PPI ``data/``, MIT).

Layout (the file in the repository at cd1843ebec57, 2,335 bytes, git blob
6fd5b9813687ea1d15a894d47b3033e9e0fbf562): 26 lines, one per letter ``A``–``Z``, each
``<letter><TAB><13 space-separated numbers>`` — 5 continuous values and an 8-way one-hot class code
(the conjoint-triad class of the residue), e.g. ``A\\t-0.17691335 -0.19057421 0.045527875 -0.175985
1.1090639 1.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0``. GNN-PPI's ``GNN_DATA.vectorize`` maps every residue of a
sequence to its letter's row (a letter outside the table is an error there), then truncates to the first
``max_len`` (2,000) residues or pads with zero rows at the end.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

DIM = 13


class Vec5FormatError(ValueError):
    """A ``vec5_CTC.txt`` line that is not ``letter<TAB>13 numbers``; the message names file and line."""


def read_vec5(path: Path) -> dict[str, np.ndarray]:
    """``{letter: (13,) float32}`` from a ``vec5_CTC.txt``; every row must have the same width."""
    path = Path(path)
    table: dict[str, np.ndarray] = {}
    try:
        text = path.read_text(encoding="ascii")
    except UnicodeDecodeError as exc:
        raise Vec5FormatError(f"{path}: not an ASCII text table ({exc}); is this GNN-PPI's vec5_CTC.txt?") from None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        letter, tab, rest = line.partition("\t")
        try:
            values = np.array([float(v) for v in rest.split()], dtype=np.float32)
        except ValueError:
            values = np.zeros(0, np.float32)
        if not tab or len(letter) != 1 or not letter.isalpha() or len(values) != DIM or not np.isfinite(values).all():
            raise Vec5FormatError(f"{path} line {lineno}: expected '<letter><TAB>{DIM} numbers', got {line[:60]!r}; "
                                  f"replace the file with GNN-PPI's data/vec5_CTC.txt")
        if letter in table:
            raise Vec5FormatError(f"{path} line {lineno}: letter {letter!r} appears twice")
        table[letter] = values
    if not table:
        raise Vec5FormatError(f"{path}: empty; expected 26 lines 'letter<TAB>{DIM} numbers'")
    return table


def featurize(seq: str, table: dict[str, np.ndarray], max_len: int = 2000) -> np.ndarray:
    """``(max_len, 13)`` float32: each residue's row, truncated to ``max_len`` or zero-padded at the end."""
    out = np.zeros((max_len, DIM), dtype=np.float32)
    rows = seq[:max_len]
    missing = sorted({a for a in rows if a not in table})
    if missing:
        raise Vec5FormatError(f"residues {missing} have no row in the vec5 table (letters: {''.join(sorted(table))})")
    if rows:
        out[:len(rows)] = np.stack([table[a] for a in rows])
    return out
