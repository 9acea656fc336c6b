"""Each hand-crafted feature against a value worked out by hand on a short sequence."""
from __future__ import annotations

import math

import numpy as np
import pytest

from protbench.models import features as F

I = F.AA_INDEX


def pair(a: str, b: str) -> int:
    return 20 * I[a] + I[b]


def test_aac_skips_nonstandard():
    v = F.aa_composition("AACX")
    assert v.shape == (20,)
    assert v[I["A"]] == pytest.approx(2 / 3) and v[I["C"]] == pytest.approx(1 / 3)
    assert v.sum() == pytest.approx(1.0)


def test_dpc_counts_adjacent_pairs():
    v = F.dipeptide_composition("AACA")      # pairs AA, AC, CA
    assert v.shape == (400,)
    for a, b in ("AA", "AC", "CA"):
        assert v[pair(a, b)] == pytest.approx(1 / 3)
    assert v.sum() == pytest.approx(1.0)
    # a pair touching X is not counted: AX, XC dropped, leaving AA and AC
    w = F.dipeptide_composition("AAXAC")
    assert w[pair("A", "A")] == pytest.approx(0.5) and w[pair("A", "C")] == pytest.approx(0.5)


def test_dde_against_hand_computation():
    v = F.dde("AAC")                          # pairs AA, AC: P = 2
    tm_aa = (4 / 61) * (4 / 61)               # A has 4 codons of 61
    tm_ac = (4 / 61) * (2 / 61)               # C has 2
    tm_ww = (1 / 61) * (1 / 61)               # W has 1
    expect_aa = (0.5 - tm_aa) / math.sqrt(tm_aa * (1 - tm_aa) / 2)
    expect_ac = (0.5 - tm_ac) / math.sqrt(tm_ac * (1 - tm_ac) / 2)
    expect_ww = (0.0 - tm_ww) / math.sqrt(tm_ww * (1 - tm_ww) / 2)
    assert v[pair("A", "A")] == pytest.approx(expect_aa, rel=1e-5)
    assert v[pair("A", "C")] == pytest.approx(expect_ac, rel=1e-5)
    assert v[pair("W", "W")] == pytest.approx(expect_ww, rel=1e-5)
    assert sum(F.CODONS.values()) == 61
    assert np.all(F.dde("A") == 0)


def test_moran_aca_is_scale_free():
    # p = [a, c, a]: deviations d/3, -2d/3, d/3 (d = a - c); variance 2d²/9;
    # lag 1: (-2d²/9 - 2d²/9)/2 = -2d²/9 -> -1; lag 2: (d²/9)/1 -> 0.5; longer lags 0.
    v = F.moran("ACA").reshape(8, F.MORAN_LAGS)
    assert v.shape == (8, 30)
    np.testing.assert_allclose(v[:, 0], -1.0, rtol=1e-6)
    np.testing.assert_allclose(v[:, 1], 0.5, rtol=1e-6)
    assert np.all(v[:, 2:] == 0)


def test_moran_uses_the_stated_scale_values():
    # "AG" for the hydrophobicity scale: one lag-1 product (a-m)(g-m) with m the mean, over variance:
    # ((a-g)/2 * (g-a)/2) / ((a-g)²/4) = -1 for any scale where A and G differ.
    v = F.moran("AGAG").reshape(8, 30)
    # p = a,g,a,g; deviations ±e; lag1 products all -e² -> -1; lag2 +e² -> 1; lag3 -1
    np.testing.assert_allclose(v[:, :3], np.tile([-1.0, 1.0, -1.0], (8, 1)), rtol=1e-6)
    assert list(F.MORAN_SCALES)[0] == "CIDH920105"
    assert F.MORAN_SCALES["DAYM780201"][1][F.AA_INDEX["A"]] == 100.0
    z = F.MORAN_TABLE
    np.testing.assert_allclose(z.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=1), 1, atol=1e-12)


def test_conjoint_triad():
    v = F.conjoint_triad("AAAAC")              # classes 0,0,0,0,6: triads (0,0,0) x2, (0,0,6) x1
    assert v.shape == (343,)
    assert v[0] == pytest.approx(1.0)          # (2 - 0) / 2
    assert v[6] == pytest.approx(0.5)          # (1 - 0) / 2
    assert np.count_nonzero(v) == 2
    assert v[49 * 4 + 7 * 5 + 6] == 0          # R(4) D(5) C(6) absent
    w = F.conjoint_triad("RDC")
    assert w[49 * 4 + 7 * 5 + 6] == 1.0


def test_ctd_hydrophobicity_and_charge():
    v = F.ctd("AKDE")
    assert v.shape == (147,)
    comp, trans, dist = v[:21].reshape(7, 3), v[21:42].reshape(7, 3), v[42:].reshape(7, 3, 5)
    # hydrophobicity groups: polar RKEDQN (0), neutral GASTPHY (1), hydrophobic (2): A=1, K,D,E=0
    np.testing.assert_allclose(comp[0], [3 / 4, 1 / 4, 0])
    np.testing.assert_allclose(trans[0], [1 / 3, 0, 0])        # only A->K crosses groups (0,1)
    np.testing.assert_allclose(dist[0, 0], [50, 50, 50, 75, 100])  # polar at positions 2,3,4 of 4
    np.testing.assert_allclose(dist[0, 1], [25] * 5)
    np.testing.assert_allclose(dist[0, 2], [0] * 5)
    # charge (index 4): K positive (0), A neutral (1), D E negative (2)
    np.testing.assert_allclose(comp[4], [1 / 4, 1 / 4, 1 / 2])
    np.testing.assert_allclose(trans[4], [1 / 3, 1 / 3, 0])     # A-K (0,1), K-D (0,2), D-E same group


def test_one_hot():
    x = F.one_hot("AXY")
    assert x.shape == (3, 21)
    assert x[0, I["A"]] == 1 and x[1, 20] == 1 and x[2, I["Y"]] == 1
    assert x.sum() == 3


@pytest.mark.parametrize("name", sorted(F.FEATURISERS))
def test_feature_model_shapes(name):
    m = F.FeatureModel(name)
    out = m.embed_proteins(["MKTAYIAKQR", "GG", "A"])
    assert out.shape == (3, m.meta.dim) and out.dtype == np.float32
    assert np.all(np.isfinite(out))
