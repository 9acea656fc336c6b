"""Mutation family: smoke data — small deterministic files in the exact upstream formats, with planted signal."""
from __future__ import annotations

from pathlib import Path

from protbench.formats import flip, peer_lmdb
from protbench.smoke import (
    mutants,
    planted_fitness,
    random_sequence,
    random_sequences,
    rng_for,
)


def peer_regression_smoke(filename: str, name: str, target: str, sizes=(160, 40, 40), length: int = 80):
    """Writer of a smoke archive: mutants of one parent, target = planted fitness."""

    def write(folder: Path) -> dict[str, Path]:
        rng = rng_for("smoke", name)
        parent = random_sequence(rng, length)
        pool: list[str] = []
        while len(pool) < sum(sizes):     # distinct mutants, so no split holds a sequence twice
            pool = list(dict.fromkeys(pool + mutants(rng, parent, sum(sizes), max_mutations=max(2, length // 10))))
        splits, start = {}, 0
        for split, n in zip(("train", "valid", "test"), sizes):
            seqs, start = pool[start:start + n], start + n
            splits[split] = [{"primary": s, target: planted_fitness(s)} for s in seqs]
        return {filename: peer_lmdb.write_archive(Path(folder) / filename, name, splits)}

    return write


def flip_smoke(filename: str, split_name: str, kind: str):
    """Writer of a smoke FLIP zip: ``aav`` = mutants of a 735-residue capsid-like parent in positions
    561–588; ``meltome`` = unrelated proteins with a melting-point-like target."""

    def write(folder: Path) -> dict[str, Path]:
        rng = rng_for("smoke", filename, split_name)
        rows = []
        if kind == "aav":
            parent = random_sequence(rng, 735)
            window = parent[561:588]
            for i, m in enumerate(mutants(rng, window, 240, max_mutations=8)):
                seq = parent[:561] + m + parent[588:]
                rows.append({"sequence": seq, "target": round(planted_fitness(seq[474:674]) * 3, 5),
                             "set": "train" if i < 180 else "test", "validation": 140 <= i < 180})
        else:
            for i, seq in enumerate(random_sequences(rng, 240, 60, 200)):
                rows.append({"sequence": seq, "target": round(45 + 8 * planted_fitness(seq), 4),
                             "set": "train" if i < 180 else "test", "validation": 140 <= i < 180})
        return {filename: flip.write_splits_zip(Path(folder) / filename, {split_name: rows})}

    return write
