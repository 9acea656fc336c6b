"""Weight-free sequence feature baselines (PEER's hand-crafted features).

Each featuriser maps a sequence to a fixed-length float32 vector from its
residues alone; :class:`FeatureModel` wraps one as a suite model. Residues
outside the 20 standard amino acids are ignored in counts.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from protbench.spec import Capability, ModelMeta
from protbench.sequences import STANDARD

AA_INDEX = {a: i for i, a in enumerate(STANDARD)}
FEATURE_VERSION = "1"


def aa_composition(seq: str) -> np.ndarray:
    """Amino-acid composition: fraction of each of the 20 standard residues, ``(20,)``, order ``ACDEFGHIKLMNPQRSTVWY``.

    Fractions are over standard residues only; a sequence without any gives zeros.
    """
    counts = np.zeros(20, dtype=np.float64)
    for c in seq:
        i = AA_INDEX.get(c)
        if i is not None:
            counts[i] += 1
    total = counts.sum()
    return (counts / total if total else counts).astype(np.float32)


FEATURISERS: dict[str, tuple[Callable[[str], np.ndarray], int, str]] = {
    "aac": (aa_composition, 20, "amino-acid composition (20 fractions)"),
}


@dataclass
class FeatureModel:
    """A suite model computing a hand-crafted feature vector per sequence (no weights)."""

    feature: str = "aac"

    def __post_init__(self) -> None:
        try:
            self.fn, dim, desc = FEATURISERS[self.feature]
        except KeyError:
            raise ValueError(f"unknown feature {self.feature!r}; choose one of {sorted(FEATURISERS)}") from None
        fp = hashlib.sha256(f"{self.feature}:{FEATURE_VERSION}".encode()).hexdigest()[:16]
        self.meta = ModelMeta(name=self.feature, fingerprint=f"feature-{self.feature}-{fp}", dim=dim,
                              max_length=1_000_000, capabilities=frozenset({Capability.PROTEIN}),
                              pooling="none", layer="none", description=desc)

    def embed_proteins(self, seqs: Sequence[str]) -> np.ndarray:
        """``(len(seqs), dim)`` float32 features."""
        return np.stack([self.fn(s) for s in seqs]).astype(np.float32) if len(seqs) else \
            np.zeros((0, self.meta.dim), np.float32)
