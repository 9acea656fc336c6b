"""``moran-torchdrug``: torchdrug's Physicochemical(type="moran") pairing, checked three independent ways."""
from __future__ import annotations

import numpy as np
import pytest

from protbench.models.physicochemical import (AAIDX_COLUMNS, NLAG, PROPERTY, PROPERTY_SCALES, TORCHDRUG_RESIDUES,
                                              MoranTorchdrug, moran_torchdrug, moran_torchdrug_factory)

AA = "ACDEFGHIKLMNPQRSTVWY"


def slow_reference(seq: str, nlag: int = NLAG) -> np.ndarray:
    """Explicit loop over torchdrug's index arithmetic for one protein, ``(nlag, 8)``.

    Mask 0 holds (residue i, lag d) with i < N - d, mask 1 holds (residue i', lag d') with i' >= d'; both are read
    residue-major (for i: for d:) and the k-th entries are multiplied; the product is credited to mask 0's lag.
    """
    table = {a: PROPERTY[TORCHDRUG_RESIDUES.index(a)] for a in TORCHDRUG_RESIDUES}
    x = np.array([table.get(a, table["G"]) for a in seq], dtype=np.float64).reshape(len(seq), 8)
    n = len(seq)
    dev = x - x.mean(axis=0) if n else x
    first = [(i, d) for i in range(n) for d in range(1, nlag + 1) if i < n - d]
    second = [i for i in range(n) for d in range(1, nlag + 1) if i >= d]
    assert len(first) == len(second)
    num = np.zeros((nlag, 8))
    for (i, d), j in zip(first, second):
        num[d - 1] += dev[i] * dev[j] / (max(n - d, 0) + 1e-10)
    den = (dev ** 2).sum(axis=0) / n if n else np.zeros(8)
    return num / (den + 1e-10)


def test_ac_repeat_matches_hand_derivation_and_published_rounding():
    feats = moran_torchdrug(["AC" * 50])[0].reshape(NLAG, 8)
    ref = slow_reference("AC" * 50)
    np.testing.assert_allclose(feats, ref, rtol=1e-5, atol=1e-6)
    # two residue types: every scale is an affine image of the others, so all 8 columns agree
    np.testing.assert_allclose(feats, feats[:, :1].repeat(8, axis=1), atol=1e-6)
    assert [round(float(v), 2) for v in feats[:4, 0]] == [-0.62, -0.63, -0.65, -0.71]
    # the textbook definition would give -1, +1, -1, +1 here
    assert not np.allclose(feats[:4, 0], [-1, 1, -1, 1], atol=0.2)


@pytest.mark.parametrize("n", [1, 2, 5, 17, 30, 31, 32, 45, 61, 97])
def test_random_sequences_match_slow_loop(n):
    rng = np.random.default_rng(n)
    seq = "".join(rng.choice(list(AA), size=n))
    np.testing.assert_allclose(moran_torchdrug([seq])[0].reshape(NLAG, 8), slow_reference(seq), rtol=1e-5,
                               atol=1e-6)


def test_shorter_than_lag_range_zero_fills_missing_lags():
    seq = "MKTAYIAKQR"                       # 10 residues < 30 lags
    f = moran_torchdrug([seq])[0].reshape(NLAG, 8)
    assert np.all(f[9:] == 0)                # lags >= N have no pairs: 0 / (0 + 1e-10)
    assert np.any(f[:9] != 0)
    np.testing.assert_allclose(f, slow_reference(seq), rtol=1e-5, atol=1e-6)
    assert np.all(moran_torchdrug(["M", ""]) == 0)


def test_unknown_residues_are_glycine_as_in_torchdrug():
    a = moran_torchdrug(["MKXXAYBIZKQRU"])
    b = moran_torchdrug(["MKGGAYGIGKQRG"])
    np.testing.assert_array_equal(a, b)


def test_batch_matches_one_by_one_and_is_deterministic():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list(AA), size=int(k))) for k in rng.integers(1, 120, size=40)]
    batch = moran_torchdrug(seqs, chunk_elements=5_000)      # forces several chunks per length group
    single = np.concatenate([moran_torchdrug([s]) for s in seqs])
    np.testing.assert_array_equal(batch, single)
    np.testing.assert_array_equal(batch, moran_torchdrug(seqs))


def test_torch_reenactment_of_masks_on_a_packed_batch():
    """Re-enact torchdrug's forward with torch boolean indexing on several proteins packed together."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list(AA), size=int(k))) for k in (3, 44, 29, 71, 1, 30)]
    ids = [[TORCHDRUG_RESIDUES.index(a) for a in s] for s in seqs]
    size = torch.tensor([len(s) for s in seqs])
    prop = torch.tensor(PROPERTY, dtype=torch.float64)
    x = prop[torch.tensor(sum(ids, []))]
    graph = torch.repeat_interleave(torch.arange(len(seqs)), size)
    mean = torch.zeros(len(seqs), 8, dtype=torch.float64).index_add_(0, graph, x) / size[:, None]
    dev = x - mean[graph]
    total = int(size.sum())

    def slice_mask(starts, ends):          # union of [start, end) per column, as multi_slice_mask
        m = torch.zeros(total + 1, NLAG, dtype=torch.long)
        m.scatter_add_(0, starts, torch.ones_like(starts))
        m.scatter_add_(0, ends, -torch.ones_like(ends))
        return m[:-1].cumsum(0).bool()

    steps = (size[:, None] - torch.arange(1, NLAG + 1)[None]).clamp(min=0)
    starts = (size.cumsum(0) - size)[:, None].expand(-1, NLAG)
    mask0 = slice_mask(starts, starts + steps)
    ends = size.cumsum(0)[:, None].expand(-1, NLAG)
    mask1 = slice_mask(ends - steps, ends)
    expanded = dev[:, None, :].expand(-1, NLAG, -1)
    numerator = torch.zeros(total, NLAG, 8, dtype=torch.float64)
    numerator[mask0] = expanded[mask0] * expanded[mask1]
    numerator = numerator / (steps[graph][..., None] + 1e-10)
    numerator = torch.zeros(len(seqs), NLAG, 8, dtype=torch.float64).index_add_(0, graph, numerator)
    den = torch.zeros(len(seqs), 8, dtype=torch.float64).index_add_(0, graph, dev ** 2) / size[:, None]
    expected = (numerator / (den[:, None, :] + 1e-10)).flatten(1, 2).numpy()
    np.testing.assert_allclose(moran_torchdrug(seqs), expected, rtol=1e-5, atol=1e-6)


def test_property_table_standardised_like_torch_std():
    assert PROPERTY.shape == (20, 8)
    np.testing.assert_allclose(PROPERTY.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(PROPERTY.std(axis=0, ddof=1), 1, atol=1e-8)
    assert list(PROPERTY_SCALES) == ["CIDH920105", "BHAR880101", "CHAM820101", "CHAM820102",
                                     "CHOC760101", "BIGC670101", "CHAM810101", "DAYM780201"]


def test_scales_agree_with_the_textbook_moran_table():
    """Same AAindex numbers as features.MORAN_SCALES (which lists them in ACDEFGHIKLMNPQRSTVWY order)."""
    features = pytest.importorskip("protbench.models.features")
    for key, values in PROPERTY_SCALES.items():
        ours = dict(zip(AAIDX_COLUMNS, values))
        theirs = dict(zip(AA, features.MORAN_SCALES[key][1]))
        assert ours == pytest.approx(theirs), key


def test_model_meta_shapes_and_factory():
    m = moran_torchdrug_factory(unused="ignored")
    assert isinstance(m, MoranTorchdrug)
    assert m.meta.name == "moran-torchdrug" and m.meta.dim == 240
    assert "textbook" in m.meta.description and "PEER" in m.meta.description
    out = m.embed_proteins(["MKTAYIAKQRQISFVKSHFSRQ", "AC" * 50, "G"])
    assert out.shape == (3, 240) and out.dtype == np.float32
    assert m.embed_proteins([]).shape == (0, 240)
    assert MoranTorchdrug(nlag=10).meta.fingerprint != m.meta.fingerprint
    assert MoranTorchdrug().meta.fingerprint == m.meta.fingerprint
    # lag-major layout: first 8 values are lag 1 of the 8 scales
    np.testing.assert_allclose(out[1, :8], -0.6162, atol=1e-4)
