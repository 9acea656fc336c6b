"""``zero-shot``: cosine retrieval in a shared protein–text space, no training.

Needs a model whose protein and text vectors live in one space (TEXT + SHARED_SPACE, e.g. ProtCLIP).
Queries are ranked against every candidate (filtered MRR, Hits@k, pessimistic ties; see
:mod:`protbench.protocols.algorithms.retrieval`). Deterministic: the seed changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from protbench.spec import Capability, SeedResult

from . import ProtocolSpec
from .context import ProtocolContext
from .settings import setting


@dataclass(frozen=True)
class ZeroShotConfig:
    """``candidates``: ``annotated`` tails, or ``all`` terms of the aspect (GO variants)."""

    candidates: str = setting("annotated", choices=("annotated", "all"))

    @classmethod
    def quick(cls) -> "ZeroShotConfig":
        return cls()


def run(ctx: ProtocolContext) -> SeedResult:
    from .algorithms.retrieval import popularity_baseline, retrieval_inputs, retrieval_scores

    inp = retrieval_inputs(ctx.data, ctx.config.candidates)

    def vectors(kind: str, items: list[str]) -> np.ndarray:
        return ctx.emb.proteins(items) if kind == "protein" else ctx.emb.texts(items)

    tails = vectors(inp.tail_kind, inp.tail_items)
    scores, ranks = {}, {}
    for s in ("valid", "test"):
        scores[s], ranks[s] = retrieval_scores(vectors(inp.head_kind, inp.head_items(s)), tails, inp.positives[s])
    info: dict[str, Any] = {
        "protocol": "zero-shot", "candidates": len(inp.tail_ids), "text_vectors": f"{ctx.emb.meta.name} text tower",
        "queries": {s: int(sum(len(p) for p in inp.positives[s])) for s in ("valid", "test")},
        "popularity_baseline": popularity_baseline(inp.positives, len(inp.tail_ids))}
    return SeedResult(scores=scores, info=info, predictions={"test": {"ranks": ranks["test"]}})


PROTOCOL = ProtocolSpec("zero-shot", ZeroShotConfig, run,
                        frozenset({Capability.PROTEIN, Capability.TEXT, Capability.SHARED_SPACE}),
                        seed_cost=0,
                        description="cosine retrieval in a shared protein-text space, no training")
