"""Weight-free sequence feature baselines (PEER's hand-crafted features) and one-hot encoding.

Each featuriser maps a sequence to a fixed-length float32 vector from its
residues alone; :class:`FeatureModel` wraps one as a suite model. Residues
outside the 20 standard amino acids (``X B Z U O``) are skipped: they are
dropped from counts, and a pair/triplet/lag that touches one is not counted.
Amino-acid order everywhere is ``ACDEFGHIKLMNPQRSTVWY``; dipeptide ``ab`` sits
at index ``20 * idx(a) + idx(b)``.

Definitions (``N`` = number of standard residues, ``n_ab`` = count of adjacent
pairs ``ab`` in the sequence):

* ``aac`` (20): ``count(a) / N``.
* ``dpc`` (400): ``n_ab / P`` with ``P`` the number of adjacent standard pairs (``N - 1`` without non-standard
  residues).
* ``dde`` (400), Saravanan & Gautham 2015: ``Dc = n_ab / P``; theoretical mean ``Tm = (C_a / 61) (C_b / 61)``
  with ``C_a`` the number of codons of residue ``a`` (61 sense codons, standard code); theoretical variance
  ``Tv = Tm (1 - Tm) / P``; ``DDE = (Dc - Tm) / sqrt(Tv)``.
* ``moran`` (240): Moran autocorrelation for 8 AAindex scales × lags 1..30 (the iFeature/PEER setting), see
  :data:`MORAN_SCALES`. Each scale is standardised over the 20 amino acids (mean 0, population std 1); for a
  sequence of property values ``p_1..p_N`` with mean ``p̄``,
  ``I(d) = [Σ_{i=1}^{N-d} (p_i - p̄)(p_{i+d} - p̄) / (N - d)] / [Σ_i (p_i - p̄)² / N]``; 0 when ``d >= N`` or
  the denominator is 0. Layout: scale-major (``[scale0 lag1..30, scale1 lag1..30, ...]``).
* ``ct`` (343), conjoint triad (Shen et al. 2007): residues are mapped to 7 classes
  (:data:`TRIAD_CLASSES`); ``f_k`` counts consecutive class triples ``k = 49 c1 + 7 c2 + c3``; the feature is
  Shen's normalisation ``d_k = (f_k - min f) / max f`` (zeros when ``max f = 0``).
* ``ctd`` (147), Dubchak et al. 1995 composition/transition/distribution over 7 attributes with 3 groups each
  (:data:`CTD_GROUPS`): C = fraction of residues in each group (21); T = ``(n_rs + n_sr) / (N - 1)`` for group
  pairs (1,2), (1,3), (2,3) (21); D = for each group, the position (1-based, as a fraction of ``N`` × 100) of the
  first, 25 %, 50 %, 75 % and 100 % residue of that group, where the ``q`` % residue is the
  ``max(1, floor(q/100 · count))``-th one; 0 when the group is absent (105).
* :func:`one_hot` (``(L, 21)``): the 20 standard residues plus a 21st channel for anything else (CNN input).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from protbench.sequences import STANDARD
from protbench.spec import Capability, ModelMeta

AA_INDEX = {a: i for i, a in enumerate(STANDARD)}
FEATURE_VERSION = "2"
_CODE = np.full(256, -1, dtype=np.int64)
for _a, _i in AA_INDEX.items():
    _CODE[ord(_a)] = _i

# Number of sense codons per amino acid in the standard genetic code (they sum to 61).
CODONS = {"A": 4, "C": 2, "D": 2, "E": 2, "F": 2, "G": 4, "H": 2, "I": 3, "K": 2, "L": 6,
          "M": 1, "N": 2, "P": 4, "Q": 2, "R": 6, "S": 6, "T": 4, "V": 4, "W": 1, "Y": 2}

# AAindex1 entries used by Moran (the 8 default properties of iFeature, as used by PEER), values in
# ACDEFGHIKLMNPQRSTVWY order, copied from the AAindex1 database records named by their accession.
MORAN_SCALES: dict[str, tuple[str, tuple[float, ...]]] = {
    "CIDH920105": ("normalised average hydrophobicity (Cid et al. 1992)",
                   (0.02, 0.77, -1.04, -1.14, 1.35, -0.8, 0.26, 1.81, -0.41, 1.14,
                    1.0, -0.77, -0.09, -1.1, -0.42, -0.97, -0.77, 1.13, 1.71, 1.11)),
    "BHAR880101": ("average flexibility (Bhaskaran & Ponnuswamy 1988)",
                   (0.357, 0.346, 0.511, 0.497, 0.314, 0.544, 0.323, 0.462, 0.466, 0.365,
                    0.295, 0.463, 0.509, 0.493, 0.529, 0.507, 0.444, 0.386, 0.305, 0.42)),
    "CHAM820101": ("polarizability (Charton & Charton 1982)",
                   (0.046, 0.128, 0.105, 0.151, 0.29, 0.0, 0.23, 0.186, 0.219, 0.186,
                    0.221, 0.134, 0.131, 0.18, 0.291, 0.062, 0.108, 0.14, 0.409, 0.298)),
    "CHAM820102": ("free energy of solution in water, kcal/mol (Charton & Charton 1982)",
                   (-0.368, 4.53, 2.06, 1.77, 1.06, -0.525, 0.0, 0.791, 0.0, 1.07,
                    0.656, 0.0, -2.24, 0.731, -1.03, -0.524, 0.0, 0.401, 1.6, 4.91)),
    "CHOC760101": ("residue accessible surface area in tripeptide (Chothia 1976)",
                   (115.0, 135.0, 150.0, 190.0, 210.0, 75.0, 195.0, 175.0, 200.0, 170.0,
                    185.0, 160.0, 145.0, 180.0, 225.0, 115.0, 140.0, 155.0, 255.0, 230.0)),
    "BIGC670101": ("residue volume (Bigelow 1967)",
                   (52.6, 68.3, 68.4, 84.7, 113.9, 36.3, 91.9, 102.0, 105.1, 102.0,
                    97.7, 75.7, 73.6, 89.7, 109.1, 54.9, 71.2, 85.1, 135.4, 116.2)),
    "CHAM810101": ("steric parameter (Charton 1981)",
                   (0.52, 0.62, 0.76, 0.68, 0.7, 0.0, 0.7, 1.02, 0.68, 0.98,
                    0.78, 0.76, 0.36, 0.68, 0.68, 0.53, 0.5, 0.76, 0.7, 0.7)),
    "DAYM780201": ("relative mutability (Dayhoff et al. 1978)",
                   (100.0, 20.0, 106.0, 102.0, 41.0, 49.0, 66.0, 96.0, 56.0, 40.0,
                    94.0, 134.0, 56.0, 93.0, 65.0, 120.0, 97.0, 74.0, 18.0, 41.0)),
}
MORAN_LAGS = 30

# Conjoint triad classes (Shen et al. 2007), by dipole and side-chain volume.
TRIAD_CLASSES = ("AGV", "ILFP", "YMTS", "HNQW", "RK", "DE", "C")

# CTD attributes (Dubchak et al. 1995; PROFEAT grouping): three residue groups each.
CTD_GROUPS: dict[str, tuple[str, str, str]] = {
    "hydrophobicity": ("RKEDQN", "GASTPHY", "CLVIMFW"),
    "normalized_vdw_volume": ("GASTPDC", "NVEQIL", "MHKFRYW"),
    "polarity": ("LIFWCMVY", "PAGST", "HQRKNED"),
    "polarizability": ("GASDT", "CPNVEQIL", "KMHFRYW"),
    "charge": ("KR", "ANCQGHILMFPSTWYV", "DE"),
    "secondary_structure": ("EALMQKRH", "VIYCWFT", "GNPSD"),
    "solvent_accessibility": ("ALFCGIVW", "RKQEND", "MPSTHY"),
}


def encode(seq: str) -> np.ndarray:
    """``(L,)`` int64 residue indices into ``ACDEFGHIKLMNPQRSTVWY``; -1 for any other character."""
    return _CODE[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)] if seq else np.zeros(0, np.int64)


def _pairs(seq: str) -> np.ndarray:
    """``(400,)`` counts of adjacent standard-residue pairs."""
    c = encode(seq)
    a, b = c[:-1], c[1:]
    ok = (a >= 0) & (b >= 0)
    return np.bincount(20 * a[ok] + b[ok], minlength=400).astype(np.float64)


def aa_composition(seq: str) -> np.ndarray:
    """Amino-acid composition: fraction of each of the 20 standard residues, ``(20,)``.

    Fractions are over standard residues only; a sequence without any gives zeros.
    """
    c = encode(seq)
    counts = np.bincount(c[c >= 0], minlength=20).astype(np.float64)
    total = counts.sum()
    return (counts / total if total else counts).astype(np.float32)


def dipeptide_composition(seq: str) -> np.ndarray:
    """Dipeptide composition ``(400,)``: adjacent pair counts over the number of adjacent standard pairs."""
    n = _pairs(seq)
    total = n.sum()
    return (n / total if total else n).astype(np.float32)


_CODON_FRAC = np.array([CODONS[a] for a in STANDARD], dtype=np.float64) / 61.0
DDE_TM = np.outer(_CODON_FRAC, _CODON_FRAC).ravel()   # (400,) theoretical mean of each dipeptide


def dde(seq: str) -> np.ndarray:
    """Dipeptide deviation from expected mean ``(400,)`` (zeros for sequences without an adjacent pair)."""
    n = _pairs(seq)
    total = n.sum()
    if not total:
        return np.zeros(400, np.float32)
    tv = DDE_TM * (1.0 - DDE_TM) / total
    return ((n / total - DDE_TM) / np.sqrt(tv)).astype(np.float32)


def _standardised_scales() -> np.ndarray:
    raw = np.array([v for _, v in MORAN_SCALES.values()], dtype=np.float64)   # (8, 20)
    return (raw - raw.mean(axis=1, keepdims=True)) / raw.std(axis=1, keepdims=True)


MORAN_TABLE = _standardised_scales()


def moran(seq: str, lags: int = MORAN_LAGS) -> np.ndarray:
    """Moran autocorrelation ``(8 * lags,)``, scale-major, over the standard residues of ``seq``."""
    c = encode(seq)
    c = c[c >= 0]
    out = np.zeros((len(MORAN_TABLE), lags), dtype=np.float64)
    n = len(c)
    if n < 2:
        return out.ravel().astype(np.float32)
    p = MORAN_TABLE[:, c]                                     # (8, N)
    dev = p - p.mean(axis=1, keepdims=True)
    denom = (dev ** 2).sum(axis=1) / n                        # (8,)
    for d in range(1, min(lags, n - 1) + 1):
        num = (dev[:, :-d] * dev[:, d:]).sum(axis=1) / (n - d)
        out[:, d - 1] = np.divide(num, denom, out=np.zeros_like(num), where=denom > 0)
    return out.ravel().astype(np.float32)


_TRIAD = np.full(20, -1, dtype=np.int64)
for _k, _group in enumerate(TRIAD_CLASSES):
    for _a in _group:
        _TRIAD[AA_INDEX[_a]] = _k


def conjoint_triad(seq: str) -> np.ndarray:
    """Conjoint triad ``(343,)``: class-triple counts ``f``, normalised ``(f - min f) / max f``."""
    c = encode(seq)
    k = np.where(c >= 0, _TRIAD[np.maximum(c, 0)], -1)
    a, b, d = k[:-2], k[1:-1], k[2:]
    ok = (a >= 0) & (b >= 0) & (d >= 0)
    f = np.bincount(49 * a[ok] + 7 * b[ok] + d[ok], minlength=343).astype(np.float64)
    if f.max() == 0:
        return np.zeros(343, np.float32)
    return ((f - f.min()) / f.max()).astype(np.float32)


_CTD = np.zeros((len(CTD_GROUPS), 20), dtype=np.int64)
for _r, _groups in enumerate(CTD_GROUPS.values()):
    for _g, _letters in enumerate(_groups):
        for _a in _letters:
            _CTD[_r, AA_INDEX[_a]] = _g


def ctd(seq: str) -> np.ndarray:
    """Composition/transition/distribution ``(147,)``: ``[C (7×3), T (7×3), D (7×3×5)]`` per attribute."""
    c = encode(seq)
    c = c[c >= 0]
    n = len(c)
    comp = np.zeros((len(CTD_GROUPS), 3))
    trans = np.zeros((len(CTD_GROUPS), 3))
    dist = np.zeros((len(CTD_GROUPS), 3, 5))
    if n == 0:
        return np.concatenate([comp.ravel(), trans.ravel(), dist.ravel()]).astype(np.float32)
    for r in range(len(CTD_GROUPS)):
        g = _CTD[r, c]
        comp[r] = np.bincount(g, minlength=3) / n
        if n > 1:
            a, b = g[:-1], g[1:]
            for j, (x, y) in enumerate(((0, 1), (0, 2), (1, 2))):
                trans[r, j] = (((a == x) & (b == y)) | ((a == y) & (b == x))).sum() / (n - 1)
        for x in range(3):
            pos = np.flatnonzero(g == x) + 1            # 1-based positions of group x
            if len(pos) == 0:
                continue
            for j, q in enumerate((0, 25, 50, 75, 100)):
                rank = max(1, int(np.floor(q / 100 * len(pos))))
                dist[r, x, j] = pos[rank - 1] / n * 100
    return np.concatenate([comp.ravel(), trans.ravel(), dist.ravel()]).astype(np.float32)


def one_hot(seq: str) -> np.ndarray:
    """``(L, 21)`` float32 one-hot: channels 0..19 the standard residues, 20 anything else."""
    c = encode(seq)
    out = np.zeros((len(c), 21), dtype=np.float32)
    out[np.arange(len(c)), np.where(c >= 0, c, 20)] = 1.0
    return out


FEATURISERS: dict[str, tuple[Callable[[str], np.ndarray], int, str]] = {
    "aac": (aa_composition, 20, "amino-acid composition (20 fractions)"),
    "dpc": (dipeptide_composition, 400, "dipeptide composition (400 fractions)"),
    "dde": (dde, 400, "dipeptide deviation from expected mean (400; codon-based expectation)"),
    "moran": (moran, 8 * MORAN_LAGS, f"Moran autocorrelation, 8 AAindex scales × lags 1..{MORAN_LAGS} (240)"),
    "ct": (conjoint_triad, 343, "conjoint triad, 7 residue classes, Shen normalisation (343)"),
    "ctd": (ctd, 147, "composition/transition/distribution over 7 attributes (147)"),
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
        version = FEATURE_VERSION if self.feature != "aac" else "1"   # aac values unchanged since v1
        fp = hashlib.sha256(f"{self.feature}:{version}".encode()).hexdigest()[:16]
        params = {"feature": self.feature}
        if self.feature == "moran":
            params.update(scales=list(MORAN_SCALES), lags=MORAN_LAGS)
        self.meta = ModelMeta(name=self.feature, fingerprint=f"feature-{self.feature}-{fp}", dim=dim,
                              max_length=1_000_000, capabilities=frozenset({Capability.PROTEIN}),
                              pooling="none", layer="none", description=desc, parameters=params)

    def embed_proteins(self, seqs: Sequence[str]) -> np.ndarray:
        """``(len(seqs), dim)`` float32 features."""
        return np.stack([self.fn(s) for s in seqs]).astype(np.float32) if len(seqs) else \
            np.zeros((0, self.meta.dim), np.float32)
