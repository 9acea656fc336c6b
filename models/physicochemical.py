"""``moran-torchdrug``: the Moran feature exactly as torchdrug computes it (and as PEER's table used it).

PEER (Xu et al. 2022) reports its "Moran" baseline from torchdrug's ``models.Physicochemical`` with
``type: moran, nlag: 30`` (``config/single_task/Moran/*.yaml`` in DeepGraphLearning/PEER_Benchmark).
That implementation departs from the textbook Moran autocorrelation (the ``moran`` feature of
:mod:`protbench.models.features`): it pairs residues through boolean masks read in residue-major order, so
the product summed under "lag ``d``" is generally **not** ``p_i · p_{i+d}``. This module reproduces the
torchdrug computation so the published numbers can be reproduced; use ``moran`` for the textbook feature.

Source read (not copied): ``torchdrug/models/physicochemical.py`` at commit ``09ffe181a3b0`` (and
``torchdrug/layers/functional`` ``multi_slice_mask``; ``torchdrug/data/protein.py`` for the residue
vocabulary). The computation, in words, for one protein of ``N`` residues and ``L = nlag = 30``:

1. Residues are mapped to torchdrug's 20 residue types; any other letter (``X B Z U O``, lower case) is
   treated as glycine ``G``, as ``Protein.from_sequence`` does (it warns and substitutes ``G``). Residues are
   never dropped, so ``N`` is the full sequence length.
2. Property table: the 8 AAindex1 scales ``CIDH920105, BHAR880101, CHAM820101, CHAM820102, CHOC760101,
   BIGC670101, CHAM810101, DAYM780201`` read from ``AAidx.txt`` (torchdrug downloads it from its S3 bucket,
   md5 ``ec612f4df41b93ae03c31ae376c23ce0``; it is iFeature's ``data/AAidx.txt``, AAindex1 values, columns
   ``ARNDCQEGHILKMFPSTWYV``; "NA" would read as 0, none of these 8 has one). Each scale is standardised over
   the 20 residue types with the *sample* standard deviation (``torch.std``, ``n - 1``):
   ``(v - mean) / (std + 1e-10)``. (Moran is invariant to this affine rescaling, up to the epsilons.)
3. ``x_i`` = property vector of residue ``i`` (``i = 0..N-1``), ``x̄`` the mean over the protein,
   ``dev_i = x_i - x̄``.
4. For lag ``d = 1..L`` let ``s_d = max(N - d, 0)``. Mask 0 marks, per lag, the first ``s_d`` residues
   (``i < N - d``); mask 1 the last ``s_d`` (``i >= d``). Both ``(N, L)`` masks are read in **row-major
   (residue-major) order**, giving two equally long lists:
   ``A = [(i, d) for i in 0..N-1 for d in 1..L if i < N - d]`` and
   ``B = [i' for i' in 0..N-1 for d' in 1..L if i' >= d']``.
   The ``k``-th entries are multiplied: ``dev_{A_k.i} * dev_{B_k}`` is added to lag ``A_k.d``.
   (The textbook definition would read the masks lag-major, pairing ``i`` with ``i + d``.) In the middle of a
   long protein this pairs ``i`` with ``i + 15`` for lags 1..15 and ``i + 16`` for 16..30 (``L = 30``).
5. ``num_d = Σ_k [A_k.d = d] dev_{A_k.i} dev_{B_k} / (s_d + 1e-10)``;
   ``den = Σ_i dev_i² / N``; ``feature_d = num_d / (den + 1e-10)`` (per property; 0 when ``s_d = 0``).
6. Output layout ``(L, 8)`` flattened **lag-major**: index ``(d - 1) * 8 + property`` (torchdrug's
   ``flatten(1, 2)`` of ``(batch, nlag, 8)``) → 240 values.

Batching does not mix proteins: both mask orders visit residues graph by graph and each graph contributes the
same count to both, so the ``k``-th pair always lies inside one protein; padding never enters (torchdrug
packs residues without padding). torchdrug works in float32; this module computes in float64 and returns
float32 (differences ~1e-6). For ``"AC" * 50`` the textbook lags 1–4 are −1, +1, −1, +1, while this gives
−0.6162, −0.6327, −0.6495, −0.7083 (identical for all 8 properties: with two residue types every scale is an
affine image of the others).

In torchdrug the 240 features then pass through the model's own ``Linear(240, 512) → ReLU`` (``hidden_dims:
[512]``) before the task's MLP head; that trainable part belongs to the training protocol, not to this
weight-free featuriser.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Sequence

import numpy as np

from protbench.spec import Capability, ModelMeta

CODE_VERSION = "1"
NLAG = 30

# torchdrug ``data.Protein.id2residue_symbol`` order (residue type ids 0..19).
TORCHDRUG_RESIDUES = "GASPVTCILNDQKEMHFRYW"
# Column order of AAidx.txt (iFeature data/AAidx.txt, the file torchdrug downloads).
AAIDX_COLUMNS = "ARNDCQEGHILKMFPSTWYV"

# The 8 AAindex1 scales torchdrug's Physicochemical uses (``property_key``), values in AAIDX_COLUMNS order
# as listed in AAidx.txt. Numbers are facts from AAindex1 (Kawashima et al., NAR 2008) via that file.
PROPERTY_SCALES: dict[str, tuple[float, ...]] = {
    # Normalized average hydrophobicity scales for alpha-proteins (Cid et al. 1992)
    "CIDH920105": (0.02, -0.42, -0.77, -1.04, 0.77, -1.1, -1.14, -0.8, 0.26, 1.81,
                   1.14, -0.41, 1.0, 1.35, -0.09, -0.97, -0.77, 1.71, 1.11, 1.13),
    # Average flexibility indices (Bhaskaran-Ponnuswamy 1988)
    "BHAR880101": (0.357, 0.529, 0.463, 0.511, 0.346, 0.493, 0.497, 0.544, 0.323, 0.462,
                   0.365, 0.466, 0.295, 0.314, 0.509, 0.507, 0.444, 0.305, 0.42, 0.386),
    # Polarizability parameter (Charton-Charton 1982)
    "CHAM820101": (0.046, 0.291, 0.134, 0.105, 0.128, 0.18, 0.151, 0.0, 0.23, 0.186,
                   0.186, 0.219, 0.221, 0.29, 0.131, 0.062, 0.108, 0.409, 0.298, 0.14),
    # Free energy of solution in water, kcal/mole (Charton-Charton 1982)
    "CHAM820102": (-0.368, -1.03, 0.0, 2.06, 4.53, 0.731, 1.77, -0.525, 0.0, 0.791,
                   1.07, 0.0, 0.656, 1.06, -2.24, -0.524, 0.0, 1.6, 4.91, 0.401),
    # Residue accessible surface area in tripeptide (Chothia 1976)
    "CHOC760101": (115.0, 225.0, 160.0, 150.0, 135.0, 180.0, 190.0, 75.0, 195.0, 175.0,
                   170.0, 200.0, 185.0, 210.0, 145.0, 115.0, 140.0, 255.0, 230.0, 155.0),
    # Residue volume (Bigelow 1967)
    "BIGC670101": (52.6, 109.1, 75.7, 68.4, 68.3, 89.7, 84.7, 36.3, 91.9, 102.0,
                   102.0, 105.1, 97.7, 113.9, 73.6, 54.9, 71.2, 135.4, 116.2, 85.1),
    # Steric parameter (Charton 1981)
    "CHAM810101": (0.52, 0.68, 0.76, 0.76, 0.62, 0.68, 0.68, 0.0, 0.7, 1.02,
                   0.98, 0.68, 0.78, 0.7, 0.36, 0.53, 0.5, 0.7, 0.7, 0.76),
    # Relative mutability (Dayhoff et al. 1978b)
    "DAYM780201": (100.0, 65.0, 134.0, 106.0, 20.0, 93.0, 102.0, 49.0, 66.0, 96.0,
                   40.0, 56.0, 94.0, 41.0, 56.0, 120.0, 97.0, 18.0, 41.0, 74.0),
}


def property_table() -> np.ndarray:
    """``(20, 8)`` float64 standardised properties, rows in torchdrug residue-id order (``G A S P ...``)."""
    raw = np.zeros((len(PROPERTY_SCALES), 20))
    cols = [TORCHDRUG_RESIDUES.index(a) for a in AAIDX_COLUMNS]
    for r, values in enumerate(PROPERTY_SCALES.values()):
        raw[r, cols] = values
    mean = raw.mean(axis=1, keepdims=True)
    std = raw.std(axis=1, ddof=1, keepdims=True)       # torch.std default: unbiased
    return ((raw - mean) / (std + 1e-10)).T


PROPERTY = property_table()
_CODE = np.zeros(256, dtype=np.int64)                  # anything unknown -> G (id 0), as torchdrug does
for _i, _a in enumerate(TORCHDRUG_RESIDUES):
    _CODE[ord(_a)] = _i


def residue_ids(seq: str) -> np.ndarray:
    """torchdrug residue-type ids of ``seq`` (unknown letters become glycine, id 0)."""
    if not seq:
        return np.zeros(0, np.int64)
    return _CODE[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]


def pair_index(n: int, nlag: int = NLAG) -> np.ndarray:
    """``(n, nlag)`` partner index of torchdrug's pairing: entry ``[i, d-1]`` is the residue multiplied with
    residue ``i`` under lag ``d``; ``n`` (one past the end, a zero row) where mask 0 excludes ``(i, d)``."""
    return _pair_index(int(n), int(nlag))


@lru_cache(maxsize=512)
def _pair_index(n: int, nlag: int) -> np.ndarray:
    i = np.arange(n)
    a = np.clip(np.minimum(nlag, n - 1 - i), 0, None)   # lags of residue i in mask 0 (i < n - d)
    b = np.clip(np.minimum(nlag, i), 0, None)           # lags of residue i in mask 1 (i >= d)
    k = int(a.sum())
    i0 = np.repeat(i, a)
    d0 = np.arange(k) - np.repeat(np.cumsum(a) - a, a)  # 0-based lag within residue i's run
    i1 = np.repeat(i, b)
    out = np.full((n, nlag), n, dtype=np.intp)
    out[i0, d0] = i1
    out.setflags(write=False)
    return out


def moran_torchdrug(seqs: Sequence[str], nlag: int = NLAG, chunk_elements: int = 4_000_000) -> np.ndarray:
    """``(len(seqs), nlag * 8)`` float32 torchdrug Moran features, lag-major (see module docstring).

    Sequences are grouped by length; each group is processed as a batch of gathers bounded by
    ``chunk_elements`` float64 values (``batch × N × nlag × 8``).
    """
    n_seq = len(seqs)
    out = np.zeros((n_seq, nlag, PROPERTY.shape[1]), dtype=np.float64)
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=n_seq)
    for n in np.unique(lengths):
        n = int(n)
        idx = np.flatnonzero(lengths == n)
        if n < 2:
            continue                                   # no lag has a pair; torchdrug gives 0 / (0 + 1e-10) = 0
        partner = pair_index(n, nlag)
        steps = np.clip(n - np.arange(1, nlag + 1), 0, None).astype(np.float64)
        per_seq = n * nlag * PROPERTY.shape[1]
        batch = max(1, chunk_elements // per_seq)
        for start in range(0, len(idx), batch):
            sel = idx[start:start + batch]
            ids = np.stack([residue_ids(seqs[j]) for j in sel])          # (B, n)
            x = PROPERTY[ids]                                              # (B, n, 8)
            dev = x - x.mean(axis=1, keepdims=True)
            padded = np.concatenate([dev, np.zeros((len(sel), 1, dev.shape[2]))], axis=1)
            num = np.einsum("bnp,bnlp->blp", dev, padded[:, partner, :])  # (B, nlag, 8)
            num /= (steps + 1e-10)[None, :, None]
            den = (dev ** 2).sum(axis=1) / n                               # (B, 8)
            out[sel] = num / (den[:, None, :] + 1e-10)
    return out.reshape(n_seq, nlag * PROPERTY.shape[1]).astype(np.float32)


class MoranTorchdrug:
    """Weight-free suite model: torchdrug's Moran feature (240 = 30 lags × 8 AAindex scales)."""

    def __init__(self, nlag: int = NLAG) -> None:
        if nlag < 1:
            raise ValueError(f"nlag must be >= 1, got {nlag}")
        self.nlag = int(nlag)
        fp = hashlib.sha256(f"moran-torchdrug:{CODE_VERSION}:{self.nlag}:"
                            f"{sorted(PROPERTY_SCALES.items())}".encode()).hexdigest()[:16]
        self.meta = ModelMeta(
            name="moran-torchdrug", fingerprint=f"feature-moran-torchdrug-{fp}", dim=8 * self.nlag,
            max_length=1_000_000, capabilities=frozenset({Capability.PROTEIN}), pooling="none", layer="none",
            description=(f"Moran autocorrelation as torchdrug's models.Physicochemical computes it (8 AAindex scales"
                         f" x lags 1..{self.nlag}); reproduces the published implementation PEER's table used, which"
                         " departs from the textbook Moran definition (residue-major mask pairing; see 'moran' for"
                         " the textbook feature)"),
            parameters={"feature": "moran-torchdrug", "nlag": self.nlag, "scales": list(PROPERTY_SCALES),
                        "layout": "lag-major", "code_version": CODE_VERSION,
                        "source": "torchdrug/models/physicochemical.py@09ffe181a3b0"})

    def embed_proteins(self, seqs: Sequence[str]) -> np.ndarray:
        """``(len(seqs), 8 * nlag)`` float32 features."""
        return moran_torchdrug(list(seqs), self.nlag)


def moran_torchdrug_factory(nlag: int = NLAG, **_: object) -> MoranTorchdrug:
    """Registry factory for ``moran-torchdrug``."""
    return MoranTorchdrug(nlag=nlag)
