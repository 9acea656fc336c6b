"""``alignment-knn``: label transfer from the most sequence-identical training proteins (no embeddings).

Prefilter by 2-mer distance, Smith-Waterman (parasail, BLOSUM62, gap 11/1) identity to the train
split, top-``k`` vote (uniform or identity-weighted); ``k`` and the weighting chosen on validation.
A baseline that needs no model: run it as ``--model align-knn`` (a row in the tables) or on any task
with ``--protocol alignment-knn``. Search code: :mod:`protbench.protocols.algorithms.alignment_knn`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from protbench.spec import SeedResult

from . import ProtocolSpec
from .context import ProtocolContext
from .supervised import ScoringConfig, finish, labels
from .settings import setting


@dataclass(frozen=True)
class KnnConfig(ScoringConfig):
    """Aligner and search settings; ``candidates`` training sequences per query survive the prefilter."""

    candidates: int = setting(32, low=1)
    ks: tuple[int, ...] = setting((1, 3, 5, 10, 20), low=1)
    weightings: tuple[str, ...] = setting(("uniform", "identity"), choices=("uniform", "identity"))
    gap_open: int = setting(11, low=0)
    gap_extend: int = setting(1, low=0)
    block: int = setting(512, low=1)

    def __post_init__(self) -> None:
        for w in self.weightings:
            if w not in ("uniform", "identity"):
                raise ValueError(f"unknown kNN weighting {w!r}; use 'uniform' or 'identity'")
        object.__setattr__(self, "ks", tuple(sorted({int(k) for k in self.ks})))

    @classmethod
    def quick(cls) -> "KnnConfig":
        return cls()

    def to_dict(self) -> dict[str, Any]:
        return {"aligner": "parasail sw_stats_striped (16/32-bit)", "matrix": "BLOSUM62",
                "gap_open": self.gap_open, "gap_extend": self.gap_extend, "candidates": self.candidates,
                "prefilter": "2-mer count vectors, squared Euclidean, ties by train order",
                "identity": "matches / shorter length",
                "ks": list(self.ks), "weightings": list(self.weightings)}


def run(ctx: ProtocolContext) -> SeedResult:
    from .algorithms.alignment_knn import Neighbours, cached_search, transfer

    cfg: KnnConfig = ctx.config
    lab = labels(ctx)
    t0 = time.perf_counter()
    refs = lab.sequences(ctx.data, "train")
    if not refs:
        raise ValueError("alignment-knn: the train split is empty; nothing to transfer labels from")
    split_seqs = {s: lab.sequences(ctx.data, s) for s in ("valid", "test")}
    nb = cached_search(split_seqs["valid"] + split_seqs["test"], refs, cfg, ctx.threads)
    n_valid = len(split_seqs["valid"])
    part = {"valid": Neighbours(nb.index[:n_valid], nb.identity[:n_valid], nb.score[:n_valid]),
            "test": Neighbours(nb.index[n_valid:], nb.identity[n_valid:], nb.score[n_valid:])}
    ks = [k for k in cfg.ks if k <= nb.index.shape[1]] or [nb.index.shape[1]]
    sign = 1.0 if lab.higher_is_better else -1.0
    best, grid = None, []
    for k in ks:
        for weighting in cfg.weightings:
            pred = transfer(part["valid"], lab.ys["train"], lab.task_type, k, weighting, lab.n_outputs)
            score = float(lab.select(lab.ys["valid"], pred))
            grid.append({"k": k, "weighting": weighting, "valid": score})
            if np.isfinite(score) and (best is None or sign * score > sign * best[0]):
                best = (score, k, weighting)
    if best is None:
        best = (float("nan"), ks[0], cfg.weightings[0])
    _, k, weighting = best
    preds = {s: transfer(part[s], lab.ys["train"], lab.task_type, k, weighting, lab.n_outputs)
             for s in ("valid", "test")}
    top1 = {s: float(np.mean(part[s].identity[:, 0])) if len(part[s].identity) else float("nan")
            for s in ("valid", "test")}
    info = {"chosen": {"k": k, "weighting": weighting}, "grid": grid, "config": cfg.to_dict(),
            "mean_top1_identity": top1, "search_seconds": {k2: round(v, 2) for k2, v in nb.seconds.items()},
            "seconds": round(time.perf_counter() - t0, 2), "deterministic": True}
    return finish(ctx, lab, preds, info)


PROTOCOL = ProtocolSpec("alignment-knn", KnnConfig, run, frozenset(), needs_embeddings=False,
                        description="Smith-Waterman identity kNN label transfer (reads sequences, no embeddings)")
