"""The GIN pair classifier: adjacency and aggregation by hand, symmetry, graph use, seeding, early stopping."""
import numpy as np
import pytest
import torch
from torch import nn

from protbench.protocols.algorithms.ppi_gnn import NodeLayer, PairNet, fit_pairs, sparse_adjacency
from protbench.protocols.ppi_gnn import PpiGnnConfig as PpiConfig
from protbench.metrics.ppi import micro_f1


def test_sparse_adjacency_by_hand():
    pairs = np.array([[0, 1], [1, 2], [2, 2]])   # a self pair counts once
    a = sparse_adjacency(pairs, 4).to_dense().numpy()
    np.testing.assert_array_equal(a, [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]])
    m = sparse_adjacency(pairs, 4, mean=True).to_dense().numpy()
    np.testing.assert_allclose(m, [[0, 1, 0, 0], [.5, 0, .5, 0], [0, .5, .5, 0], [0, 0, 0, 0]])


def test_gin_layer_sums_neighbours_with_trainable_eps():
    layer = NodeLayer(2, graph=True)
    layer.mlp = nn.Identity()
    with torch.no_grad():
        layer.eps.fill_(0.5)
    h = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    adj = sparse_adjacency(np.array([[0, 1], [1, 2]]), 3)
    # node 0: 1.5*h0 + h1; node 1: 1.5*h1 + h0 + h2; node 2: 1.5*h2 + h1
    want = torch.tensor([[1.5, 2.0], [4.0, 6.0], [4.5, 6.5]])
    torch.testing.assert_close(layer(h, adj), want)
    plain = NodeLayer(2, graph=False)
    plain.mlp = nn.Identity()
    torch.testing.assert_close(plain(h, None), h)          # pair-mlp: no messages


def test_pair_scores_are_symmetric_and_use_the_graph():
    torch.manual_seed(0)
    cfg = PpiConfig(hidden=8)
    x = torch.randn(5, 3)
    adj = sparse_adjacency(np.array([[0, 1], [1, 2], [3, 4]]), 5)
    net = PairNet(3, 7, cfg, graph=True).eval()
    ab, ba = net(x, adj, torch.tensor([[0, 2]])), net(x, adj, torch.tensor([[2, 0]]))
    torch.testing.assert_close(ab, ba)                     # element-wise product: unordered pairs
    x2 = x.clone()
    x2[1] += 1.0                                           # a neighbour of both 0 and 2 changes
    assert not torch.allclose(net(x2, adj, torch.tensor([[0, 2]])), ab)
    mlp = PairNet(3, 7, cfg, graph=False).eval()
    torch.testing.assert_close(mlp(x2, None, torch.tensor([[0, 2]])), mlp(x, None, torch.tensor([[0, 2]])))


def _toy(seed=0, n=80, m=400, noise=1.0):
    """Two protein kinds; noisy one-hot features; half the pairs link proteins of one kind (homophily);
    a pair's labels (both kind 1, both kind 0, mixed) follow from the kinds."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 2, n)
    x = np.eye(2)[kind] + noise * rng.standard_normal((n, 2))
    a = rng.integers(0, n, m)
    same = rng.random(m) < 0.5
    b = np.array([rng.choice(np.flatnonzero(kind == kind[i])) if s else rng.integers(0, n) for i, s in zip(a, same)])
    pairs = np.stack([a, b], 1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    k = kind[pairs]
    labels = np.stack([k.sum(1) == 2, k.sum(1) == 0, k[:, 0] != k[:, 1]], 1).astype(np.uint8)
    return x.astype(np.float32), pairs, labels


def test_fit_learns_uses_the_graph_is_seeded_and_stops_early():
    x, pairs, labels = _toy()
    idx = np.arange(len(pairs))
    train, valid, test = idx[:250], idx[250:310], idx[310:]
    cfg = PpiConfig(hidden=32, max_epochs=80, patience=15, batch_size=64)
    score = {}
    for graph in (True, False):
        a = fit_pairs(x, pairs, labels, train, valid, micro_f1, seed=1, graph=graph, config=cfg)
        assert a.epochs - a.best_epoch <= cfg.patience and a.epochs <= cfg.max_epochs
        score[graph] = micro_f1(labels[test], a.predict(pairs[test]))
    b = fit_pairs(x, pairs, labels, train, valid, micro_f1, seed=1, graph=False, config=cfg)
    np.testing.assert_array_equal(a.predict(pairs[test]), b.predict(pairs[test]))
    assert score[False] > 0.75
    # features are noisy, neighbours share the kind: aggregating over the graph must help
    assert score[True] > score[False] + 0.02, score
    info = a.info()
    assert info["best_epoch"] == a.best_epoch and info["config"]["hidden"] == 32


def test_config_overrides_cast_and_refuse_unknown_fields():
    from protbench.protocols.params import ParamError, resolve

    cfg = resolve("ppi-gnn", {"hidden": "128", "max_epochs": 7}, quick=True)
    assert (cfg.hidden, cfg.max_epochs, cfg.patience) == (128, 7, PpiConfig.quick().patience)
    with pytest.raises(ParamError, match="no field 'split'"):
        resolve("ppi-gnn", {"split": "bfs"})
    with pytest.raises(ValueError, match="aggregation"):
        PpiConfig(aggregation="max")


def test_two_thread_fit_gives_the_same_numbers_every_time():
    """Repeated proteins in a batch: the pair gather's backward must not sum them in a thread-dependent order
    (advanced indexing did: two runs of one two-thread fit gave different models)."""
    rng = np.random.default_rng(0)
    n, d = 1690, 32
    x = rng.normal(size=(n, d)).astype(np.float32)
    pairs = rng.integers(0, n, size=(6000, 2))
    labels = (rng.random((6000, 7)) < 0.3).astype(np.float32)
    train, valid = np.arange(5000), np.arange(5000, 6000)
    cfg = PpiConfig(hidden=128, max_epochs=3, patience=3, batch_size=2048)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        fits = [fit_pairs(x, pairs, labels, train, valid, micro_f1, seed=0, config=cfg) for _ in range(3)]
    finally:
        torch.set_num_threads(before)
    p = [f.predict(pairs[valid]) for f in fits]
    assert all(np.array_equal(p[0], q) for q in p[1:])
