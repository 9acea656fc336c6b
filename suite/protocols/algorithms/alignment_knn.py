"""Alignment kNN: label transfer from the most sequence-identical training proteins.

For every valid/test query:

1. **Prefilter** (the role MMseqs2's k-mer stage plays): the ``candidates`` training sequences with the smallest
   q-gram distance, i.e. squared Euclidean distance between 2-mer count vectors (400-d, standard residues).
   One substitution changes at most four 2-mer counts, so near-identical sequences stay close. When the train
   split has at most ``candidates`` sequences every one is aligned (exhaustive search).
2. **Align** each candidate with parasail: Smith-Waterman, BLOSUM62, gap open 11 / extend 1 (BLAST's protein
   defaults), striped SIMD with statistics (16-bit, rerun in 32-bit on saturation).
3. **Identity** = identical aligned residue pairs / length of the shorter sequence (CD-HIT's definition), in
   [0, 1]; neighbours are ranked by identity, then SW score, then train order.
4. **Transfer**: the top ``k`` neighbours vote, uniformly or weighted by identity: regression → weighted mean
   target; classification → weighted class frequencies ``(n, C)``; multi-label → weighted label frequencies
   ``(n, C)``. ``k`` and the weighting are chosen on the validation split with the task's selection metric;
   test labels are never used.

Settings: :class:`~protbench.protocols.alignment_knn.KnnConfig`. Deterministic; the seed changes nothing.
"""
from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from protbench.protocols.alignment_knn import KnnConfig
from protbench.sequences import STANDARD

_CODE = np.full(256, -1, dtype=np.int64)
for _i, _a in enumerate(STANDARD):
    _CODE[ord(_a)] = _i


def kmer_counts(seqs: Sequence[str]) -> np.ndarray:
    """``(n, 400)`` float32 counts of adjacent standard-residue pairs."""
    out = np.zeros((len(seqs), 400), dtype=np.float32)
    for i, s in enumerate(seqs):
        c = _CODE[np.frombuffer(s.encode("ascii"), dtype=np.uint8)]
        a, b = c[:-1], c[1:]
        ok = (a >= 0) & (b >= 0)
        out[i] = np.bincount(20 * a[ok] + b[ok], minlength=400)
    return out


def prefilter(queries: Sequence[str], refs: Sequence[str], m: int, block: int = 512) -> np.ndarray:
    """``(n_queries, min(m, n_refs))`` indices of the references closest in 2-mer count space, ordered by
    distance, then train order.

    Distances are integers computed exactly, so many references tie (single mutants of one parent share almost
    every 2-mer); at the cut the earliest references in train order are kept. Without that rule the survivors of
    a tie were whichever ``np.argpartition`` left, which depends on numpy's SIMD dispatch: on β-lactamase 99.9 %
    of the queries have a tie across the cut at m = 8, and turning off numpy's AVX2 kernels changed the sets."""
    m = min(m, len(refs))
    if m == len(refs):
        return np.tile(np.arange(len(refs)), (len(queries), 1))
    q, r = kmer_counts(queries), kmer_counts(refs)
    rn = (r ** 2).sum(1)                              # float32 counts: exact up to 2^24
    out = np.empty((len(queries), m), dtype=np.int64)
    for i in range(0, len(queries), block):
        qb = q[i:i + block]
        d = rn[None, :] - 2.0 * (qb @ r.T)           # + |q|² is constant per row
        cut = np.partition(d, m - 1, axis=1)[:, m - 1:m]    # the m-th smallest distance: a value, tie-free
        below, at = d < cut, d == cut
        keep = below | (at & (np.cumsum(at, axis=1) <= m - below.sum(1, keepdims=True)))
        cols = np.nonzero(keep)[1].reshape(len(qb), m)    # m per row, in train order
        order = np.argsort(np.take_along_axis(d, cols, 1), axis=1, kind="stable")
        out[i:i + block] = np.take_along_axis(cols, order, 1)
    return out


class Aligner:
    """Smith-Waterman identity and score of one query against many targets (parasail, BLOSUM62)."""

    def __init__(self, gap_open: int = 11, gap_extend: int = 1):
        import parasail

        self.p = parasail
        self.open, self.extend = gap_open, gap_extend

    def identities(self, query: str, targets: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(identity (t,), score (t,))``: identity = matches / min(len(query), len(target))."""
        p = self.p
        prof = p.profile_create_stats_16(query, p.blosum62)
        ident = np.zeros(len(targets))
        score = np.zeros(len(targets))
        prof32 = None
        for j, t in enumerate(targets):
            res = p.sw_stats_striped_profile_16(prof, t, self.open, self.extend)
            if res.saturated:
                prof32 = prof32 or p.profile_create_stats_32(query, p.blosum62)
                res = p.sw_stats_striped_profile_32(prof32, t, self.open, self.extend)
            shorter = max(1, min(len(query), len(t)))
            ident[j] = res.matches / shorter
            score[j] = res.score
        return ident, score


@dataclass
class Neighbours:
    """Per query, candidate train indices sorted best first with their identity and SW score."""

    index: np.ndarray      # (n, m) int
    identity: np.ndarray   # (n, m) float in [0, 1]
    score: np.ndarray      # (n, m)
    seconds: dict[str, float] = field(default_factory=dict)


def search(queries: Sequence[str], refs: Sequence[str], cfg: KnnConfig, threads: int = 1) -> Neighbours:
    """Prefilter then align every (query, candidate) on ``threads`` threads; neighbours ranked by identity,
    score, train order (the same for any thread count)."""
    t0 = time.perf_counter()
    cand = prefilter(queries, refs, cfg.candidates, cfg.block)
    t1 = time.perf_counter()
    aligner = Aligner(cfg.gap_open, cfg.gap_extend)
    ident = np.zeros(cand.shape)
    score = np.zeros(cand.shape)

    def one(i: int) -> None:
        ident[i], score[i] = aligner.identities(queries[i], [refs[j] for j in cand[i]])

    if threads > 1 and len(queries) > 1:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, range(len(queries)), chunksize=64))
    else:
        for i in range(len(queries)):
            one(i)
    order = np.lexsort((cand, -score, -ident), axis=-1) if cand.size else cand
    take = lambda a: np.take_along_axis(a, order, 1)  # noqa: E731
    return Neighbours(take(cand), take(ident), take(score),
                      {"prefilter": t1 - t0, "align": time.perf_counter() - t1})


def transfer(nb: Neighbours, y_train: np.ndarray, task_type: str, k: int, weighting: str,
             n_outputs: int | None = None) -> np.ndarray:
    """Scores from the top-``k`` neighbours: ``(n,)`` regression, ``(n, C)`` class or label probabilities."""
    idx = nb.index[:, :k]
    w = nb.identity[:, :k].copy() if weighting == "identity" else np.ones(idx.shape)
    zero = w.sum(1) <= 0
    w[zero] = 1.0                                   # no identity at all: fall back to a plain vote
    w = w / w.sum(1, keepdims=True)
    if task_type == "regression":
        return (w * np.asarray(y_train, dtype=np.float64)[idx]).sum(1)
    if task_type == "classification":
        c = int(n_outputs or (int(np.max(y_train)) + 1))
        out = np.zeros((len(idx), c))
        rows = np.repeat(np.arange(len(idx)), idx.shape[1])
        np.add.at(out, (rows, np.asarray(y_train)[idx].ravel()), w.ravel())
        return out
    if task_type == "multilabel":
        return np.einsum("nk,nkc->nc", w, np.asarray(y_train, dtype=np.float64)[idx])
    raise ValueError(f"unknown task type {task_type!r}")


_MEMO: dict[str, Neighbours] = {}


def _key(queries: Sequence[str], refs: Sequence[str], cfg: KnnConfig) -> str:
    h = hashlib.sha256(repr(cfg.to_dict()).encode())
    for group in (queries, refs):
        h.update(b"\x00group")
        for s in group:
            h.update(s.encode() + b"\n")
    return h.hexdigest()


def cached_search(queries: Sequence[str], refs: Sequence[str], cfg: KnnConfig, threads: int = 1) -> Neighbours:
    """:func:`search`, remembered for the last query/reference set (seeds of one run share it)."""
    key = _key(queries, refs, cfg)
    if key not in _MEMO:
        _MEMO.clear()
        _MEMO[key] = search(queries, refs, cfg, threads)
    return _MEMO[key]
