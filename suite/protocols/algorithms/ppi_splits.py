"""Edge splits of a PPI graph as GNN-PPI generates them: random, BFS and DFS (Lv et al. 2021).

The graph has one edge per unordered protein pair. A split holds out a *test* set of about
``test_fraction`` of the edges:

* ``random``: a seeded shuffle; the last ``E - int(E * (1 - f))`` edges are test.
* ``bfs``: from a random root protein of degree ≤ 5, breadth-first: take the next protein from
  the queue, add *all* its not-yet-taken edges to the test set, queue its unseen neighbours;
  stop once ``int(E * f)`` edges are taken (the last protein's edges are all kept, so the set can
  overshoot a little). Test proteins form a dense neighbourhood, so many test pairs have one or
  no protein seen in training.
* ``dfs``: the same with a stack: a protein is visited (all its edges taken) when first on top;
  then its first unvisited neighbour (in edge order) is pushed; a protein without one is popped.

Deviation from GNN-PPI, stated: when the traversal runs out of proteins before reaching the
target (a connected component is exhausted), it continues from a new random root of degree ≤ 5
among untouched proteins (GNN-PPI's code would fail there); degree counts use unique pairs,
as GNN-PPI's ``node_to_edge_index`` does.

Validation for early stopping is carved out of the training edges with the *same* method
(:func:`carve_validation`), so early stopping sees the same kind of novelty as the test set.
Splits are plain index lists (edge ``i`` = ``pairs[i]``), saved as JSON with a sha256.
"""
from __future__ import annotations

import hashlib
import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

METHODS = ("random", "bfs", "dfs")
MAX_ROOT_DEGREE = 5   # GNN-PPI draws roots among proteins with at most 5 interactions


@dataclass
class EdgeSplit:
    """Edge indices per part (sorted); ``method``/``seed``/``test_fraction`` say how they were made."""

    train: list[int]
    valid: list[int]
    test: list[int]
    method: str
    seed: int
    test_fraction: float
    valid_fraction: float
    roots: dict[str, list[int]] = field(default_factory=dict)   # traversal roots (node indices) per part

    def to_json(self) -> str:
        """Compact JSON: ``n_edges``, ``valid`` and ``test`` indices (train = every other edge)."""
        n_edges = len(self.train) + len(self.valid) + len(self.test)
        return json.dumps({"method": self.method, "seed": self.seed, "test_fraction": self.test_fraction,
                           "valid_fraction": self.valid_fraction, "roots": self.roots, "n_edges": n_edges,
                           "valid": self.valid, "test": self.test}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "EdgeSplit":
        d = json.loads(text)
        held = set(d["valid"]) | set(d["test"])
        train = [e for e in range(int(d["n_edges"])) if e not in held]
        return cls(train=train, valid=d["valid"], test=d["test"], method=d["method"], seed=d["seed"],
                   test_fraction=d["test_fraction"], valid_fraction=d["valid_fraction"], roots=d.get("roots", {}))

    def sha256(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def check(self, n_edges: int) -> None:
        """Raise if the parts overlap or do not cover ``range(n_edges)`` exactly."""
        seen = np.zeros(n_edges, dtype=np.int64)
        for part in (self.train, self.valid, self.test):
            idx = np.asarray(part, dtype=np.int64)
            if idx.size and (idx.min() < 0 or idx.max() >= n_edges):
                raise ValueError(f"split has edge indices outside 0..{n_edges - 1}; was it made for another graph?")
            np.add.at(seen, idx, 1)
        if not np.all(seen == 1):
            raise ValueError(f"split parts overlap or miss edges ({int((seen == 0).sum())} missing, "
                             f"{int((seen > 1).sum())} repeated) for a graph of {n_edges} edges")


def incident_edges(pairs: np.ndarray, n_nodes: int, edges: np.ndarray | None = None) -> list[list[int]]:
    """For every node, the indices (into ``pairs``) of its edges, in edge order; only ``edges`` if given."""
    out: list[list[int]] = [[] for _ in range(n_nodes)]
    for e in (range(len(pairs)) if edges is None else edges):
        a, b = int(pairs[e, 0]), int(pairs[e, 1])
        out[a].append(int(e))
        if b != a:
            out[b].append(int(e))
    return out


def _draw_root(rng: np.random.Generator, inc: list[list[int]], taken_nodes: set[int]) -> int | None:
    """A random node with 1..MAX_ROOT_DEGREE edges not yet touched (any untouched node with edges as fallback)."""
    free = [v for v, es in enumerate(inc) if es and v not in taken_nodes]
    if not free:
        return None
    small = [v for v in free if len(inc[v]) <= MAX_ROOT_DEGREE]
    pool = small or free
    return int(pool[int(rng.integers(len(pool)))])


def traverse(pairs: np.ndarray, n_nodes: int, size: int, method: str, rng: np.random.Generator,
             edges: np.ndarray | None = None, root: int | None = None) -> tuple[list[int], list[int]]:
    """Take at least ``size`` edges (of ``edges``, default all) by BFS or DFS; returns (edge indices, roots).

    Edge indices come in the order they were taken. ``root`` fixes the first root (default: a
    random protein of degree ≤ 5); later roots, needed only when a component runs out, are random.
    """
    inc = incident_edges(pairs, n_nodes, edges)
    taken: set[int] = set()
    order: list[int] = []
    visited: set[int] = set()
    roots: list[int] = []
    available = sum(1 for _ in (range(len(pairs)) if edges is None else edges))
    size = min(size, available)

    def visit(v: int) -> None:
        visited.add(v)
        for e in inc[v]:
            if e not in taken:
                taken.add(e)
                order.append(e)

    def other(e: int, v: int) -> int:
        a, b = int(pairs[e, 0]), int(pairs[e, 1])
        return b if a == v else a

    while len(order) < size:
        if root is None or roots:
            root = _draw_root(rng, inc, visited)
        if root is None:
            break
        roots.append(root)
        if method == "bfs":
            queue = deque([root])
            queued = {root}
            while queue and len(order) < size:
                v = queue.popleft()
                visit(v)
                for e in inc[v]:
                    u = other(e, v)
                    if u not in visited and u not in queued:
                        queue.append(u)
                        queued.add(u)
        elif method == "dfs":
            stack = [root]
            while stack and len(order) < size:
                v = stack[-1]
                if v not in visited:
                    visit(v)
                    continue
                nxt = next((other(e, v) for e in inc[v] if other(e, v) not in visited), None)
                if nxt is None:
                    stack.pop()
                else:
                    stack.append(nxt)
        else:
            raise ValueError(f"unknown traversal {method!r}; use 'bfs' or 'dfs'")
    return order, roots


def _hold_out(pairs: np.ndarray, n_nodes: int, pool: np.ndarray, size: int, method: str,
              rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """``size`` (or slightly more for traversals) edges of ``pool`` chosen by ``method``; returns (edges, roots)."""
    if method == "random":
        perm = rng.permutation(pool)
        return sorted(int(e) for e in perm[len(pool) - size:]), []
    if method in ("bfs", "dfs"):
        chosen, roots = traverse(pairs, n_nodes, size, method, rng, edges=pool)
        return sorted(chosen), roots
    raise ValueError(f"unknown split method {method!r}; choose one of {METHODS}")


def make_split(pairs: np.ndarray, n_nodes: int, method: str = "bfs", seed: int = 0, test_fraction: float = 0.2,
               valid_fraction: float = 0.1) -> EdgeSplit:
    """Test edges by ``method`` over the whole graph, then validation edges by the same method over the rest.

    ``pairs``: ``(E, 2)`` node indices. Test size is ``int(E * test_fraction)`` for traversals and
    ``E - int(E * (1 - test_fraction))`` for random (GNN-PPI's rounding); validation is
    ``int(n_rest * valid_fraction)`` of the remaining edges. Deterministic in ``seed``.
    """
    if method not in METHODS:
        raise ValueError(f"unknown split method {method!r}; choose one of {METHODS}")
    pairs = np.asarray(pairs, dtype=np.int64)
    n_edges = len(pairs)
    rng = np.random.default_rng([seed, METHODS.index(method)])
    every = np.arange(n_edges)
    size = n_edges - int(n_edges * (1 - test_fraction)) if method == "random" else int(n_edges * test_fraction)
    test, test_roots = _hold_out(pairs, n_nodes, every, size, method, rng)
    rest = np.setdiff1d(every, np.asarray(test, dtype=np.int64))
    valid, valid_roots = _hold_out(pairs, n_nodes, rest, int(len(rest) * valid_fraction), method, rng) \
        if valid_fraction > 0 else ([], [])
    train = np.setdiff1d(rest, np.asarray(valid, dtype=np.int64)).tolist()
    split = EdgeSplit(train=train, valid=valid, test=test, method=method, seed=seed, test_fraction=test_fraction,
                      valid_fraction=valid_fraction, roots={"test": test_roots, "valid": valid_roots})
    split.check(n_edges)
    return split


def seen_shares(pairs: np.ndarray, seen_edges: list[int], query_edges: list[int]) -> dict[str, float]:
    """Share of ``query_edges`` with both / one / none of their proteins in an edge of ``seen_edges``.

    GNN-PPI's BS / ES / NS subsets (both, either, neither seen). Keys ``both``, ``one``, ``none``
    (fractions summing to 1) and ``n`` (number of query edges).
    """
    pairs = np.asarray(pairs, dtype=np.int64)
    seen = np.zeros(int(pairs.max()) + 1 if pairs.size else 0, dtype=bool)
    if len(seen_edges):
        seen[pairs[np.asarray(seen_edges, dtype=np.int64)].ravel()] = True
    q = pairs[np.asarray(query_edges, dtype=np.int64)] if len(query_edges) else np.zeros((0, 2), dtype=np.int64)
    k = seen[q].sum(axis=1) if len(q) else np.zeros(0)
    n = len(q)
    if n == 0:
        return {"both": float("nan"), "one": float("nan"), "none": float("nan"), "n": 0}
    return {"both": float(np.mean(k == 2)), "one": float(np.mean(k == 1)), "none": float(np.mean(k == 0)), "n": n}


def save_split(split: EdgeSplit, path: Path) -> dict[str, Any]:
    """Write the split JSON (atomically); returns ``{"path", "sha256"}`` to record with the result."""
    # through a temp file of its own: --jobs workers and shards may write the same split at once
    from protbench.store import atomic_write_bytes

    text = split.to_json()
    atomic_write_bytes(Path(path), text.encode())
    return {"path": str(path), "sha256": hashlib.sha256(text.encode()).hexdigest()}


def load_split(path: Path, n_edges: int, sha256: str | None = None) -> EdgeSplit:
    """Read a split JSON written by :func:`save_split`; checks coverage and, if given, the sha256."""
    text = Path(path).read_text()
    if sha256 and hashlib.sha256(text.encode()).hexdigest() != sha256:
        raise ValueError(f"split file {path} does not match sha256 {sha256}; it was changed after the run")
    split = EdgeSplit.from_json(text)
    split.check(n_edges)
    return split
