"""GNN-PPI edge splits: hand-traced BFS/DFS, coverage, seeding, saving, and the seen-protein shares."""
import numpy as np
import pytest

from protbench.protocols.algorithms import ppi_splits
from protbench.protocols.algorithms.ppi_splits import make_split, seen_shares, traverse

# 0-1, 0-2, 1-3, 2-4, 3-5, 4-5, 5-6   (edge index = position)
PAIRS = np.array([[0, 1], [0, 2], [1, 3], [2, 4], [3, 5], [4, 5], [5, 6]])


def test_bfs_by_hand():
    rng = np.random.default_rng(0)
    # visit 0: take edges 0, 1; queue 1, 2; visit 1: take edge 2 -> 3 edges, stop
    assert traverse(PAIRS, 7, 3, "bfs", rng, root=0) == ([0, 1, 2], [0])
    # one more: visit 2, take edge 3
    assert traverse(PAIRS, 7, 4, "bfs", rng, root=0)[0] == [0, 1, 2, 3]
    # a visited node gives *all* its edges, so the set may overshoot: from 5, size 1 -> 3 edges
    assert sorted(traverse(PAIRS, 7, 1, "bfs", rng, root=5)[0]) == [4, 5, 6]


def test_dfs_by_hand():
    rng = np.random.default_rng(0)
    # visit 0 (edges 0, 1); first unvisited neighbour 1: visit (edge 2); then 3: visit (edge 4)
    assert traverse(PAIRS, 7, 4, "dfs", rng, root=0)[0] == [0, 1, 2, 4]
    # from 6: edge 6; then 5: edges 4, 5; stop at 3 edges
    assert traverse(PAIRS, 7, 3, "dfs", rng, root=6)[0] == [6, 4, 5]


def test_exhausted_component_continues_from_a_new_root():
    pairs = np.array([[0, 1], [2, 3], [3, 4]])
    taken, roots = traverse(pairs, 5, 3, "bfs", np.random.default_rng(1), root=0)
    assert sorted(taken) == [0, 1, 2] and len(roots) == 2 and roots[0] == 0


def _graph(n=300, m=1500, seed=0):
    rng = np.random.default_rng(seed)
    pairs = set()
    while len(pairs) < m:
        a, b = rng.integers(0, n, 2)
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    return np.array(sorted(pairs))


@pytest.mark.parametrize("method", ["random", "bfs", "dfs"])
def test_make_split_covers_every_edge_once_and_is_seeded(method):
    pairs = _graph()
    s = make_split(pairs, 300, method, seed=3)
    s.check(len(pairs))
    assert sorted(s.train + s.valid + s.test) == list(range(len(pairs)))
    assert len(s.test) >= int(len(pairs) * 0.2) and len(s.test) < int(len(pairs) * 0.2) + 60
    if method == "random":
        assert len(s.test) == len(pairs) - int(len(pairs) * 0.8)
    else:
        deg = np.bincount(pairs.ravel(), minlength=300)
        assert deg[s.roots["test"][0]] <= ppi_splits.MAX_ROOT_DEGREE
    again = make_split(pairs, 300, method, seed=3)
    assert (again.test, again.valid) == (s.test, s.valid)
    assert make_split(pairs, 300, method, seed=4).test != s.test


def test_traversal_test_proteins_are_unseen_in_training():
    pairs = _graph()
    s = make_split(pairs, 300, "bfs", seed=0)
    shares = seen_shares(pairs, s.train + s.valid, s.test)
    # every visited protein gave all its edges to the test set, so no test pair has both seen
    assert shares["both"] == 0.0 and shares["one"] + shares["none"] == pytest.approx(1.0)
    r = make_split(pairs, 300, "random", seed=0)
    assert seen_shares(pairs, r.train + r.valid, r.test)["both"] > 0.9


def test_seen_shares_by_hand():
    # training edges 0 (0-1) and 6 (5-6): seen proteins {0, 1, 5, 6}
    out = seen_shares(PAIRS, [0, 6], [1, 2, 3, 4])   # 0-2 one, 1-3 one, 2-4 none, 3-5 one
    assert out == {"both": 0.0, "one": 0.75, "none": 0.25, "n": 4}


def test_save_and_load_round_trip_with_sha(tmp_path):
    pairs = _graph(100, 300)
    s = make_split(pairs, 100, "dfs", seed=1)
    saved = ppi_splits.save_split(s, tmp_path / "split.json")
    assert saved["sha256"] == s.sha256()
    back = ppi_splits.load_split(tmp_path / "split.json", len(pairs), saved["sha256"])
    assert (back.train, back.valid, back.test, back.method, back.seed) == (s.train, s.valid, s.test, "dfs", 1)
    with pytest.raises(ValueError, match="does not match sha256"):
        ppi_splits.load_split(tmp_path / "split.json", len(pairs), "0" * 64)
    with pytest.raises(ValueError, match="outside"):
        ppi_splits.load_split(tmp_path / "split.json", 10)


def test_workers_writing_the_same_split_at_once_all_succeed(tmp_path):
    """``run --jobs`` workers (or --shard processes on a shared store) that train seeds of one PPI task all write
    its split file; each must write through a temp file of its own (a shared ``.part`` name made the slower
    one's rename fail with FileNotFoundError, and that worker's seed with it)."""
    from concurrent.futures import ThreadPoolExecutor

    pairs = _graph(100, 300)
    s = make_split(pairs, 100, "bfs", seed=0)
    path = tmp_path / ".splits" / "shs27k" / "bfs-seed0.json"
    with ThreadPoolExecutor(8) as pool:
        saved = list(pool.map(lambda _: ppi_splits.save_split(s, path), range(400)))
    assert {x["sha256"] for x in saved} == {s.sha256()}
    assert ppi_splits.load_split(path, len(pairs), s.sha256()).train == s.train
    assert [p.name for p in path.parent.iterdir()] == [path.name]          # no temp file left behind


def test_unknown_method():
    with pytest.raises(ValueError, match="unknown split method"):
        make_split(PAIRS, 7, "louvain")
