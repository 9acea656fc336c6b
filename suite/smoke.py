"""Deterministic synthetic proteins with planted, learnable signal (for ``--profile smoke`` and tests).

Sequences are drawn from a seeded generator; labels and targets are functions
of planted sequence features (residue-group composition, motifs), so a model
that reads the sequence can beat chance and a table of smoke results shows
real differences between models. Nothing here is real biology.
"""
from __future__ import annotations

import numpy as np

from .sequences import STANDARD

HYDROPHOBIC = "AILMFVW"
CHARGED = "DEKR"
# residue groups used to plant class identity (class c prefers group c % len(GROUPS))
GROUPS = ("AILMV", "DE", "KR", "ST", "FWY", "GP", "NQ", "CHM")


def rng_for(*keys: object) -> np.random.Generator:
    """A generator seeded from any hashable keys (stable across processes and runs)."""
    import hashlib

    digest = hashlib.sha256(repr(keys).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def random_sequence(rng: np.random.Generator, length: int, bias: str = "", strength: float = 0.0) -> str:
    """A sequence of ``length`` standard residues; ``bias`` residues get ``strength`` extra probability mass."""
    p = np.full(20, 1.0 / 20)
    if bias and strength > 0:
        idx = [STANDARD.index(a) for a in bias]
        p = p * (1 - strength)
        p[idx] += strength / len(idx)
    return "".join(np.array(list(STANDARD))[rng.choice(20, size=length, p=p)])


def random_sequences(rng: np.random.Generator, n: int, min_len: int = 30, max_len: int = 120) -> list[str]:
    return [random_sequence(rng, int(rng.integers(min_len, max_len + 1))) for _ in range(n)]


def planted_fitness(seq: str) -> float:
    """Regression target: hydrophobic minus charged fraction, plus a bonus per ``WW`` motif."""
    n = max(len(seq), 1)
    hyd = sum(seq.count(a) for a in HYDROPHOBIC) / n
    chg = sum(seq.count(a) for a in CHARGED) / n
    return float(3.0 * hyd - 2.0 * chg + 0.2 * seq.count("WW"))


def mutants(rng: np.random.Generator, parent: str, n: int, max_mutations: int = 4) -> list[str]:
    """``n`` variants of ``parent`` with 1..max_mutations random substitutions (a mutational landscape)."""
    out = []
    for _ in range(n):
        s = list(parent)
        for pos in rng.choice(len(s), size=int(rng.integers(1, max_mutations + 1)), replace=False):
            s[pos] = STANDARD[int(rng.integers(20))]
        out.append("".join(s))
    return out


def class_sequence(rng: np.random.Generator, label: int, min_len: int = 30, max_len: int = 120,
                   strength: float = 0.35) -> str:
    """A sequence whose composition is biased toward residue group ``GROUPS[label % 8]``."""
    return random_sequence(rng, int(rng.integers(min_len, max_len + 1)), GROUPS[label % len(GROUPS)], strength)


def multilabel_sequence(rng: np.random.Generator, labels: list[int], min_len: int = 40, max_len: int = 120) -> str:
    """A sequence with a planted 3-residue motif per label (motif of label k is fixed by k)."""
    seq = list(random_sequence(rng, int(rng.integers(min_len, max_len + 1))))
    for k in labels:
        motif = "".join(STANDARD[(k * 7 + j * 3) % 20] for j in range(3))
        pos = int(rng.integers(0, len(seq) - 3))
        seq[pos:pos + 3] = motif
    return "".join(seq)
