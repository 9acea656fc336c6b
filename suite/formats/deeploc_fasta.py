"""DeepLoc FASTA (HannesStark/protein-localization copy): ``>ACCESSION Location-M|S|U [test]``.

Example header: ``>Q9H400 Cell.membrane-M test``. The location is one of the
10 DeepLoc classes (:data:`LOCATIONS`, in PEER's class-id order); the suffix is
the membrane class (M = membrane, S = soluble, U = unknown); ``test`` marks the
DeepLoc test set.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from protbench.sequences import read_fasta, write_fasta

# DeepLoc's 10 locations in PEER's class-id order (index = PEER ``localization`` id); checked against the
# mirror: every DeepLoc test sequence found in PEER's converted test CSV carries exactly this id
LOCATIONS = ("Cell.membrane", "Cytoplasm", "Endoplasmic.reticulum", "Golgi.apparatus", "Lysosome/Vacuole",
             "Mitochondrion", "Nucleus", "Peroxisome", "Plastid", "Extracellular")
MEMBRANE = ("M", "S", "U")
# the HannesStark copy also labels 23 proteins with a dual location; they have no single class id
DUAL = ("Cytoplasm-Nucleus",)


class DeepLocFormatError(ValueError):
    """A header that does not follow ``>ACCESSION Location-M|S|U [test]``."""


@dataclass(frozen=True)
class DeepLocRecord:
    accession: str
    sequence: str
    location: str
    membrane: str      # M, S or U
    test: bool
    line: int

    @property
    def class_id(self) -> int | None:
        """PEER class id of the location; None for a dual location."""
        return LOCATIONS.index(self.location) if self.location in LOCATIONS else None


def parse_header(header: str, where: str) -> tuple[str, str, str, bool]:
    parts = header.split()
    if len(parts) < 2 or "-" not in parts[1]:
        raise DeepLocFormatError(f"{where}: header {header!r} is not 'ACCESSION Location-M|S|U [test]'")
    loc, _, mem = parts[1].rpartition("-")
    if loc not in LOCATIONS and loc not in DUAL:
        raise DeepLocFormatError(f"{where}: location {loc!r} is not one of the 10 DeepLoc classes {LOCATIONS} "
                                 f"(or the dual location {DUAL})")
    if mem not in MEMBRANE:
        raise DeepLocFormatError(f"{where}: membrane class {mem!r} is not one of M, S, U")
    return parts[0], loc, mem, len(parts) > 2 and parts[2].lower() == "test"


def read_deeploc(path: Path) -> Iterator[DeepLocRecord]:
    """Records of a DeepLoc FASTA (sequences not validated here; clean them with a DropLog)."""
    for rec in read_fasta(Path(path), validate=False):
        acc, loc, mem, test = parse_header(rec.header, f"{path} line {rec.line}")
        yield DeepLocRecord(acc, rec.sequence, loc, mem, test, rec.line)


def write_deeploc(path: Path, records: Iterable[tuple[str, str, str, str, bool]]) -> Path:
    """Write ``(accession, sequence, location, membrane, test)`` tuples."""
    write_fasta(Path(path), ((f"{a} {loc}-{m}" + (" test" if t else ""), s) for a, s, loc, m, t in records))
    return Path(path)
