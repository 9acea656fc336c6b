"""Protein sequences: the residue alphabet, validation with clear errors, FASTA I/O.

Accepted residues are the 20 standard amino acids plus the IUPAC ambiguity
and rare codes ESM-2's vocabulary knows (``X B Z U O``); lowercase is upper-cased.
Anything else (digits, ``*``, gaps, whitespace inside a sequence) is invalid.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

STANDARD = "ACDEFGHIKLMNPQRSTVWY"
EXTENDED = STANDARD + "XBZUO"
_VALID = frozenset(EXTENDED)


class SequenceError(ValueError):
    """An invalid sequence; the message names the file and record."""


def invalid_residues(seq: str) -> set[str]:
    """Characters of ``seq`` outside :data:`EXTENDED` (expects upper case)."""
    return set(seq) - _VALID


def check_sequence(seq: str, where: str, max_length: int | None = None) -> str:
    """Upper-cased ``seq``, or :class:`SequenceError` naming ``where`` (e.g. ``"file.fasta record 12 (P12345)"``)."""
    s = seq.strip().upper()
    if not s:
        raise SequenceError(f"{where}: empty sequence; remove the record or supply its residues")
    bad = invalid_residues(s)
    if bad:
        raise SequenceError(
            f"{where}: invalid residue(s) {''.join(sorted(bad))!r}; allowed are {EXTENDED} "
            f"(use X for unknown residues, strip gaps and stop codons)"
        )
    if max_length is not None and len(s) > max_length:
        raise SequenceError(f"{where}: sequence of {len(s)} residues exceeds the limit of {max_length}")
    return s


@dataclass
class DropLog:
    """Counts records dropped while cleaning, by split and reason (kept in task results)."""

    counts: dict[str, Counter] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def drop(self, split: str, reason: str, record: str) -> None:
        self.counts.setdefault(split, Counter())[reason] += 1
        ex = self.examples.setdefault(reason, [])
        if len(ex) < 5:
            ex.append(record)

    def to_dict(self) -> dict:
        return {"dropped": {s: dict(c) for s, c in self.counts.items()}, "drop_examples": self.examples}

    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())


def clean_sequence(seq: str, split: str, record: str, log: DropLog) -> str | None:
    """Upper-cased valid sequence, or None after logging why it was dropped (empty / invalid residue)."""
    s = (seq or "").strip().upper()
    if not s:
        log.drop(split, "empty sequence", record)
        return None
    if invalid_residues(s):
        log.drop(split, "invalid residue", record)
        return None
    return s


@dataclass(frozen=True)
class FastaRecord:
    header: str        # the full header line without '>'
    sequence: str
    line: int          # 1-based line number of the header

    @property
    def id(self) -> str:
        return self.header.split(None, 1)[0] if self.header.strip() else ""


def read_fasta(path: Path, validate: bool = True, log: DropLog | None = None,
               split: str = "fasta") -> Iterator[FastaRecord]:
    """Yield records of a FASTA file; malformed input raises :class:`SequenceError` naming file and line.

    A record id (first word of the header) seen twice is an error naming the file, the id and both
    header lines — unless both records hold the same sequence: then the repeat is skipped and counted
    in ``log`` (reason ``"duplicate FASTA record"`` under ``split``) when one is given.
    """
    path = Path(path)
    header: str | None = None
    start = 0
    chunks: list[str] = []
    seen: dict[str, tuple[int, str]] = {}

    def finish() -> FastaRecord | None:
        seq = "".join(chunks)
        where = f"{path} line {start} (>{header})"
        if validate:
            seq = check_sequence(seq, where)
        rec = FastaRecord(header or "", seq, start)
        first = seen.get(rec.id)
        if first is None:
            seen[rec.id] = (start, seq)
            return rec
        if first[1].upper() == seq.upper():
            if log is not None:
                log.drop(split, "duplicate FASTA record", f"{path} line {start} ({rec.id})")
            return None
        raise SequenceError(f"{path}: duplicate record id {rec.id!r} at lines {first[0]} and {start} with "
                            f"different sequences; ids must be unique (rename or remove one)")

    opener = _open_text(path)
    with opener as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if line.startswith(">"):
                if header is not None and (rec := finish()) is not None:
                    yield rec
                header, start, chunks = line[1:].strip(), lineno, []
                if not header:
                    raise SequenceError(f"{path} line {lineno}: empty FASTA header; every record needs an id after '>'")
            elif line.strip():
                if header is None:
                    raise SequenceError(
                        f"{path} line {lineno}: sequence data before the first '>' header; is this a FASTA file?"
                    )
                chunks.append(line.strip())
        if header is not None and (rec := finish()) is not None:
            yield rec


def write_fasta(path: Path, records: Iterable[tuple[str, str]], width: int = 60) -> None:
    """Write ``(header, sequence)`` pairs, wrapping sequences at ``width``."""
    with open(path, "w") as fh:
        for header, seq in records:
            fh.write(f">{header}\n")
            for i in range(0, len(seq), width):
                fh.write(seq[i:i + width] + "\n")


def _open_text(path: Path):
    if str(path).endswith(".gz"):
        import gzip

        return gzip.open(path, "rt")
    return open(path)
