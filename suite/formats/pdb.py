"""Minimal PDB reader: the residue sequence of a chain from its ATOM records.

Residues are taken in file order from ``ATOM`` records (plus ``HETATM``
selenomethionine ``MSE`` read as M) of the first model; a residue is one
(chain, residue number, insertion code) group. Three-letter names map to one
letter (:data:`THREE_TO_ONE`); other names become ``X``. This is the sequence
"as observed in the structure" that torchdrug builds from the chain files of
``EnzymeCommission.zip`` / ``GeneOntology.zip``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

THREE_TO_ONE = {
    "ALA": "A", "ARG": "R", "ASN": "N", "ASP": "D", "CYS": "C", "GLN": "Q", "GLU": "E", "GLY": "G", "HIS": "H",
    "ILE": "I", "LEU": "L", "LYS": "K", "MET": "M", "PHE": "F", "PRO": "P", "SER": "S", "THR": "T", "TRP": "W",
    "TYR": "Y", "VAL": "V", "SEC": "U", "PYL": "O", "MSE": "M", "ASX": "B", "GLX": "Z", "UNK": "X",
}
ONE_TO_THREE = {v: k for k, v in THREE_TO_ONE.items() if k not in ("MSE", "UNK")}


class PDBFormatError(ValueError):
    """A PDB file without residues for the requested chain."""


def chain_sequences(lines: Iterable[str]) -> dict[str, str]:
    """``{chain id: sequence}`` of the first model, chains in order of appearance."""
    seqs: dict[str, list[str]] = {}
    last: dict[str, tuple[str, str]] = {}
    for line in lines:
        rec = line[:6]
        if rec.startswith("ENDMDL"):
            break
        if not (rec == "ATOM  " or (rec == "HETATM" and line[17:20] == "MSE")):
            continue
        if len(line) < 27:
            continue
        res, chain, num, icode = line[17:20].strip(), line[21], line[22:26].strip(), line[26]
        key = (num, icode)
        if last.get(chain) == key:
            continue
        last[chain] = key
        seqs.setdefault(chain, []).append(THREE_TO_ONE.get(res, "X"))
    return {c: "".join(s) for c, s in seqs.items()}


def read_chain(path: Path, chain: str | None = None) -> str:
    """Sequence of ``chain`` (or of the file's only / first chain when None); raises if absent or empty."""
    path = Path(path)
    with open(path, errors="replace") as fh:
        seqs = chain_sequences(fh)
    if not seqs:
        raise PDBFormatError(f"{path}: no ATOM records; not a PDB coordinate file or empty")
    if chain is None or (chain not in seqs and len(seqs) == 1):
        return next(iter(seqs.values()))
    if chain not in seqs:
        raise PDBFormatError(f"{path}: chain {chain!r} not present (chains: {sorted(seqs)})")
    return seqs[chain]


def write_ca_chain(path: Path, sequence: str, chain: str = "A") -> Path:
    """Write a minimal PDB file: one CA atom per residue on a line (for smoke data and tests)."""
    path = Path(path)
    lines = []
    for i, aa in enumerate(sequence, 1):
        res = ONE_TO_THREE.get(aa, "UNK")
        lines.append(f"ATOM  {i:5d}  CA  {res} {chain}{i:4d}    {3.8 * i:8.3f}{0.0:8.3f}{0.0:8.3f}  1.00  0.00           C")
    lines += ["TER", "END"]
    path.write_text("\n".join(lines) + "\n")
    return path
