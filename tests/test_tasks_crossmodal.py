"""Cross-modal tasks: split, smoke round trip, bridge learns planted links, zero-shot on a shared-space pair."""
import re

import numpy as np
import pytest

from protbench.cache import EmbeddingCache
from protbench.embed import CachedEmbeddings
from protbench.fetch import Fetcher, Files
from protbench.stages import evaluate_seed
from protbench.registry import load_registries
from protbench.runner import RunConfig, Runner
from protbench.smoke import GROUPS
from protbench.spec import Capability, ModelMeta
from protbench.tasks.crossmodal import TASKS
from protbench.tasks.crossmodal.readers import holdout_split
from protbench.tasks.crossmodal.smoke import FAMILY_WORDS

P, T, S = Capability.PROTEIN, Capability.TEXT, Capability.SHARED_SPACE


def task(tid):
    return next(t for t in TASKS if t.spec.id == tid)


class PlantedCLIP:
    """A 'pretrained' shared-space pair: proteins → residue-group fractions of the 6 smoke families,
    texts → indicator of the family a text names, both through the same 6-d space."""

    def __init__(self):
        self.meta = ModelMeta(name="planted-clip", fingerprint="planted-clip-1", dim=6, text_dim=6,
                              max_length=10 ** 6, capabilities=frozenset({P, T, S}))

    def embed_proteins(self, seqs):
        x = np.array([[sum(s.count(a) for a in GROUPS[f]) / len(s) for f in range(6)] for s in seqs])
        return (x - x.mean(1, keepdims=True)).astype(np.float32)

    def embed_texts(self, texts):
        out = np.zeros((len(texts), 6), np.float32)
        for i, t in enumerate(texts):
            for f, w in enumerate(FAMILY_WORDS):
                if w in t or re.search(rf"family {f}\b", t):
                    out[i, f] = 1.0
        return out


class AAC:
    def __init__(self):
        self.meta = ModelMeta(name="aac-test", fingerprint="aac-test-1", dim=20, max_length=10 ** 6,
                              capabilities=frozenset({P}))

    def embed_proteins(self, seqs):
        return np.stack([[s.count(a) / len(s) for a in "ACDEFGHIKLMNPQRSTVWY"] for s in seqs]).astype(np.float32)


def view(model, tmp_path):
    return CachedEmbeddings(model, EmbeddingCache(tmp_path / "emb"))


def test_registered_with_protocols():
    reg = load_registries(entry_points=False)
    for tid in ("prot2bp", "prot2mf", "prot2cc", "prot2drug", "disease2prot", "prot2bp-goa", "prot2mf-goa",
                "prot2cc-goa"):
        t = reg.tasks.get(tid)
        assert t.spec.protocols == ("bridge", "zero-shot") and t.spec.main_metric == "mrr"
        from protbench import protocols

        assert protocols.get("zero-shot").requires == {P, T, S} and protocols.get("bridge").requires == {P}


def test_holdout_split_biobridge_style():
    s = holdout_split(list(range(1000)))
    assert len(s["test"]) == 100 and len(s["valid"]) == 90 and len(s["train"]) == 810
    assert not (set(s["test"]) & set(s["train"])) and not (set(s["valid"]) & set(s["train"]))
    assert s == holdout_split(list(reversed(range(1000))))          # depends on the ids only


def test_primekg_smoke_round_trip(tmp_path):
    t = task("disease2prot")
    files = Files(t.write_smoke(tmp_path), tmp_path)
    assert set(files) == {s.filename for s in t.spec.sources}
    data = t.load(files)
    assert data.extra["head_kind"] == "text" and data.extra["tail_kind"] == "protein"
    assert all(r.sequence == "" and "disorder" in r.text for r in data.splits["test"])
    assert data.protein_sequences() == data.extra["tail_items"]     # only the candidate proteins get embedded
    heads = {r.id for s in data.splits.values() for r in s}
    assert len(heads) == data.stats["heads"]


def test_zero_shot_on_shared_space_pair(tmp_path):
    t = task("prot2mf")
    data = t.load(Files(t.write_smoke(tmp_path), tmp_path))
    res = evaluate_seed(t, data, view(PlantedCLIP(), tmp_path), 0, "zero-shot")
    n_cand = data.stats["candidates"]
    random_mrr = np.mean(1 / np.arange(1, n_cand + 1))
    # a family's 4 tails share one text vector: pessimistic ties put a true tail at rank ~3-4 → MRR ≈ 0.3
    assert res.scores["test"]["mrr"] > 1.5 * random_mrr
    assert res.info["text_vectors"] == "planted-clip text tower"


def test_bridge_learns_planted_links_goa_smoke(tmp_path):
    t = task("prot2cc-goa")
    data = t.load(Files(t.write_smoke(tmp_path), tmp_path))
    assert data.stats["go"]["join"]["rows with excluded evidence IEA"] > 0
    emb = view(PlantedCLIP(), tmp_path)       # has a text tower → used for tail texts
    res = evaluate_seed(t, data, emb, 0, quick=True)
    n_cand = data.stats["candidates"]
    random_mrr = np.mean(1 / np.arange(1, n_cand + 1))
    assert res.scores["test"]["mrr"] > 1.5 * random_mrr
    assert res.info["best_epoch"] >= 0 and res.info["train_triples"] > 0
    again = evaluate_seed(t, data, emb, 0, quick=True)
    assert again.scores == res.scores                                    # seeded


def test_runner_skips_zero_shot_without_shared_space(tmp_path):
    reg = load_registries(entry_points=False)
    cfg = RunConfig(model="aac", tasks=["prot2cc"], profile="smoke", protocol="zero-shot",
                    output_dir=tmp_path / "out", fetcher=Fetcher(cache_dir=tmp_path / "cache", offline=True))
    (outcome,) = Runner(cfg, reg).run(["prot2cc"])
    assert outcome.status == "skipped" and "shared_space" in outcome.message and "text" in outcome.message


@pytest.mark.slow
def test_real_goa_variant_loads(mirror):
    t = task("prot2cc-goa")
    f = Fetcher(mirrors=[mirror], offline=True)
    data = t.load(Files(f.fetch_all(t.spec.sources), f.cache_dir))
    sizes = data.split_sizes()
    total = sum(sizes.values())
    assert total > 10000 and sizes["test"] == int(0.1 * total)
    assert data.stats["candidates"] > 1000
    assert all(":" in x for x in data.extra["tail_items"][:50])      # "name: definition"
    assert len(data.extra["all_aspect_terms"]) >= data.stats["candidates"]


def test_popularity_baseline_hand_worked():
    from protbench.protocols.algorithms.retrieval import popularity_baseline

    pos = {"train": [np.array([0, 1]), np.array([0])], "valid": [np.array([0])], "test": [np.array([1, 2])]}
    out = popularity_baseline(pos, 3)
    # counts: c0=2, c1=1, c2=0 → valid query (true c0): rank 1;
    # test query (true c1, c2): c1 → only negative c0 is above → rank 2; c2 → c1 filtered, c0 above → rank 2
    assert out["valid"]["mrr"] == 1.0
    assert out["test"]["mrr"] == pytest.approx(0.5)
    assert out["test"]["hits@1"] == 0.0 and out["test"]["hits@3"] == 1.0


def test_bridge_full_softmax_option_learns(tmp_path):
    t = task("prot2cc-goa")
    data = t.load(Files(t.write_smoke(tmp_path), tmp_path))
    emb = view(PlantedCLIP(), tmp_path)
    res = evaluate_seed(t, data, emb, 0, quick=True, params={"negatives": "all"})
    random_mrr = np.mean(1 / np.arange(1, data.stats["candidates"] + 1))
    assert res.scores["test"]["mrr"] > 1.5 * random_mrr and res.info["bridge"]["negatives"] == "all"
    with pytest.raises(ValueError, match="bridge has no field 'hiddne'"):
        evaluate_seed(t, data, emb, 0, quick=True, params={"hiddne": "3"})


@pytest.mark.parametrize("negatives", ["batch", "all"])
def test_bridge_infonce_masks_other_true_tails(negatives):
    """The loss of one step equals InfoNCE computed by hand with every other true tail of a head masked out."""
    import copy

    import torch
    import torch.nn.functional as F
    from protbench.protocols.algorithms.bridge import _infonce_step, _network
    from protbench.protocols.bridge import BridgeConfig
    from scipy import sparse

    cfg = BridgeConfig(hidden=16, negatives=negatives, dropout=0.0)
    pairs = np.array([[0, 0], [0, 1], [1, 1], [2, 3], [3, 0], [1, 2]])     # head 0 has tails 0 and 1, ...
    truth = {(int(h), int(t)) for h, t in pairs}
    heads, tails = torch.randn(4, 5), F.normalize(torch.randn(4, 6), dim=-1)
    torch.manual_seed(0)
    model = _network(5, 6, 2, 1, cfg)
    expect_model = copy.deepcopy(model)
    csr = sparse.csr_matrix((np.ones(len(pairs), bool), (pairs[:, 0], pairs[:, 1])), shape=(4, 4))
    b = pairs[[0, 1, 2, 4]]
    loss = _infonce_step(model, torch.optim.SGD(model.parameters(), lr=0.0), b, heads, tails, csr, 4, (0, 0, 1), cfg)
    n = len(b)
    with torch.no_grad():
        pred = F.normalize(expect_model(heads[b[:, 0]], torch.zeros(n, dtype=torch.long),
                                        torch.zeros(n, dtype=torch.long), torch.ones(n, dtype=torch.long)), dim=-1)
        cols = b[:, 1] if negatives == "batch" else np.arange(4)
        logits = pred @ tails[cols].T / cfg.temperature
        for i in range(n):
            for j, t in enumerate(cols):
                own = j == i if negatives == "batch" else int(t) == int(b[i, 1])    # the positive's column
                if (int(b[i, 0]), int(t)) in truth and not own:
                    logits[i, j] = float("-inf")
        target = torch.arange(n) if negatives == "batch" else torch.as_tensor(b[:, 1])
        assert loss == pytest.approx(float(F.cross_entropy(logits, target)), rel=1e-6)
