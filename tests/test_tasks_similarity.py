"""Similarity tasks: PROBE file reader, smoke data round trip, planted signal, real-data variant."""
import numpy as np
import pytest

from protbench.fetch import Files
from protbench.formats import probe_sim
from protbench.stages import evaluate_seed
from protbench.registry import load_registries
from protbench.spec import Capability, ModelMeta
from protbench.tasks.similarity import TASKS


class ArrayEmbeddings:
    """An Embeddings view over a fixed featuriser (amino-acid composition)."""

    def __init__(self, fn, dim):
        self.fn = fn
        self.meta = ModelMeta(name="fn", fingerprint="fn", dim=dim, max_length=10 ** 6,
                              capabilities=frozenset({Capability.PROTEIN}))
        self.model = None

    def proteins(self, seqs):
        return np.stack([self.fn(s) for s in seqs]).astype(np.float32)


def aac(seq):
    return np.array([seq.count(a) / len(seq) for a in "ACDEFGHIKLMNPQRSTVWY"])


def task(tid):
    return next(t for t in TASKS if t.spec.id == tid)


def test_registered():
    reg = load_registries(entry_points=False)
    for tid in ("simsem-mf", "simsem-bp", "simsem-cc", "simsem-mf-human", "simsem-bp-human", "simsem-cc-human"):
        assert tid in reg.tasks


def test_probe_matrix_round_trip_and_errors(tmp_path):
    s = np.array([[1.0, 0.25], [0.25, 1.0]])
    p = probe_sim.write_matrix(tmp_path / "m.csv", ["P1", "P2"], s)
    assert p.read_text().splitlines()[0] == '"P1","P2"'      # PROBE layout: accessions in the header only
    accs, got = probe_sim.read_matrix(p)
    assert accs == ["P1", "P2"] and np.allclose(got, s)
    (tmp_path / "bad.csv").write_text("P1,P2\n1.0,0.2\n0.3,1.0\n")
    with pytest.raises(probe_sim.ProbeFormatError, match="symmetric"):
        probe_sim.read_matrix(tmp_path / "bad.csv")
    (tmp_path / "idx.csv").write_text(",P1,P2\nP1,1.0,0.2\nP2,0.2,1.0\n")
    with pytest.raises(probe_sim.ProbeFormatError, match="index column"):
        probe_sim.read_matrix(tmp_path / "idx.csv")
    np.save(tmp_path / "pairs.npy", np.array([[0, 1], [1, 0], [1, 1]]))
    pairs, skipped = probe_sim.read_sparse_pairs(tmp_path / "pairs.npy", 2)
    assert pairs.tolist() == [[0, 1]] and skipped == 2                     # only j > i
    with pytest.raises(probe_sim.ProbeFormatError, match="outside"):
        probe_sim.read_sparse_pairs(tmp_path / "pairs.npy", 1)


@pytest.mark.parametrize("tid", ["simsem-cc", "simsem-mf-human"])
def test_smoke_round_trip_and_planted_signal(tmp_path, tid):
    t = task(tid)
    files = Files(t.write_smoke(tmp_path), tmp_path)
    assert set(files) == {s.filename for s in t.spec.sources}
    data = t.load(files)
    assert len(data.splits["test"]) == (60 if tid.endswith("-human") else 57)   # PROBE's "500" is not 500
    res = evaluate_seed(t, data, ArrayEmbeddings(aac, 20), 0)
    assert res.scores["test"]["spearman-manhattan"] > 0.2       # family composition is planted in sequences
    shuffled = ArrayEmbeddings(lambda s: aac(s[::-1])[np.random.default_rng(len(s)).permutation(20)], 20)
    rand = evaluate_seed(t, data, shuffled, 0)
    assert rand.scores["test"]["spearman-manhattan"] < res.scores["test"]["spearman-manhattan"]
    if not t.spec.id.endswith("-human"):
        assert "sparse" in res.scores and res.info["sparse"] > 0


def test_computed_smoke_filters_iea_and_nd(tmp_path):
    t = task("simsem-bp-human")
    data = t.load(Files(t.write_smoke(tmp_path), tmp_path))
    join = data.stats["go"]["join"]
    assert join["rows with excluded evidence IEA"] == 60 and join["rows with excluded evidence ND"] == 1
    s = data.extra["go_similarity"]["test"]
    np.testing.assert_allclose(np.diag(s), 1.0, rtol=1e-6)
    assert s.min() >= 0 and s.max() <= 1 + 1e-6


@pytest.mark.slow
def test_real_human_variant(mirror):
    from protbench.fetch import Fetcher

    t = task("simsem-cc-human")
    f = Fetcher(mirrors=[mirror], offline=True)
    files = Files(f.fetch_all(t.spec.sources), f.cache_dir)
    data = t.load(files)
    assert data.split_sizes() == {"test": 500, "200": 200}
    assert [r.id for r in data.splits["200"]] == [r.id for r in data.splits["test"][:200]]
    s = data.extra["go_similarity"]["test"]
    assert s.shape == (500, 500) and s.dtype == np.float32
    np.testing.assert_allclose(np.diag(s), 1.0, rtol=1e-5)
    res = evaluate_seed(t, data, ArrayEmbeddings(aac, 20), 0)
    assert -1 <= res.scores["test"]["spearman-manhattan"] <= 1
