"""Minimal PDB reader: the residue sequence of a chain as observed in its coordinate records.

Rules (PDB format 3.3, "Coordinate section": record name columns 1-6, atom name 13-16, altLoc 17, residue
name 18-20, chain 22, residue number 23-26, insertion code 27):

* only the first model is read (everything after the first ``ENDMDL`` is ignored);
* a residue is one (chain, residue number, insertion code) group, in file order; alternate locations
  (altLoc A/B) of a group are one residue named by its first record (microheterogeneity keeps the first);
* a group with an ``ATOM`` record is a residue: the 20 standard names, SEC/PYL, ASX/GLX map to one letter,
  the modified residues in :data:`MODIFIED` to their parent, any other name to ``X``;
* a ``HETATM``-only group is a residue only when it has a C-alpha atom (atom name ``" CA "``; calcium is
  ``"CA  "``), i.e. a modified amino acid such as selenomethionine ``MSE`` → M or phosphoserine ``SEP`` → S
  (unknown ones → ``X``); ligands, ions and waters have none and are not part of the sequence;
* residues missing from the coordinates (unobserved) are not filled in.

How this differs upstream: torchdrug (``data.Protein.from_molecule`` on RDKit's ``Chem.MolFromPDBFile``)
starts a residue at every change of (number, insertion code, name), keeps every group, HETATM ligands and
ions included, and reads any non-standard name as glycine; DeepFRI's ``*_sequences.fasta`` hold the SEQRES
sequence (all residues of the construct, observed or not, modified ones mapped by wwPDB).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

THREE_TO_ONE = {
    "ALA": "A", "ARG": "R", "ASN": "N", "ASP": "D", "CYS": "C", "GLN": "Q", "GLU": "E", "GLY": "G", "HIS": "H",
    "ILE": "I", "LEU": "L", "LYS": "K", "MET": "M", "PHE": "F", "PRO": "P", "SER": "S", "THR": "T", "TRP": "W",
    "TYR": "Y", "VAL": "V", "SEC": "U", "PYL": "O", "ASX": "B", "GLX": "Z", "UNK": "X",
}
# modified amino acids seen as HETATM in PDB entries, read as their parent residue (wwPDB chemical components)
MODIFIED = {
    "MSE": "M", "SEP": "S", "TPO": "T", "PTR": "Y", "CSO": "C", "CSD": "C", "CME": "C", "OCS": "C",
    "KCX": "K", "LLP": "K", "MLY": "K", "HYP": "P",
}
ONE_TO_THREE = {v: k for k, v in THREE_TO_ONE.items() if k != "UNK"}


class PDBFormatError(ValueError):
    """A PDB file without residues for the requested chain."""


def chain_sequences(lines: Iterable[str]) -> dict[str, str]:
    """``{chain id: sequence}`` of the first model, chains in order of appearance (rules in the module doc)."""
    groups: dict[str, dict[tuple[str, str], list]] = {}     # chain -> (number, icode) -> [name, atom?, CA?]
    for line in lines:
        rec = line[:6]
        if rec.startswith("ENDMDL"):
            break
        if rec not in ("ATOM  ", "HETATM") or len(line) < 27:
            continue
        chain, key = line[21], (line[22:26].strip(), line[26])
        g = groups.setdefault(chain, {}).setdefault(key, [line[17:20].strip(), False, False])
        g[1] = g[1] or rec == "ATOM  "
        g[2] = g[2] or line[12:16] == " CA "
    out = {}
    for chain, residues in groups.items():
        seq = "".join(THREE_TO_ONE.get(name) or MODIFIED.get(name, "X")
                      for name, is_atom, has_ca in residues.values() if is_atom or has_ca)
        if seq:
            out[chain] = seq
    return out


def read_chain(path: Path, chain: str | None = None) -> str:
    """Sequence of ``chain`` (or of the file's only / first chain when None); raises if absent or empty."""
    path = Path(path)
    with open(path, errors="replace") as fh:
        seqs = chain_sequences(fh)
    if not seqs:
        raise PDBFormatError(f"{path}: no amino-acid residues in ATOM/HETATM records; "
                             "not a PDB coordinate file, or empty")
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
