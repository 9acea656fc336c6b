"""``semsim``: does embedding similarity follow GO semantic similarity? (PROBE; frozen vectors, no training)

For each protein set of the task (split ``test`` = the 500 best-annotated proteins, ``200``, and pair
subsets such as PROBE's ``sparse``), Spearman's rho between embedding similarity (Manhattan-normalised,
cosine, Euclidean-normalised) and the GO similarity matrix ``data.extra["go_similarity"][split]`` over
all pairs ``i < j`` (or the listed pairs). Deterministic: the seed changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from protbench.spec import Capability, SeedResult

from . import ProtocolSpec
from .context import ProtocolContext


@dataclass(frozen=True)
class SemsimConfig:
    """No settings: the similarity kinds and pair sets are fixed by PROBE."""

    @classmethod
    def quick(cls) -> "SemsimConfig":
        return cls()


def run(ctx: ProtocolContext) -> SeedResult:
    from .algorithms.semsim import semsim_scores

    data = ctx.data
    scores: dict[str, dict[str, float]] = {}
    for split, recs in data.splits.items():
        x = ctx.emb.proteins([r.sequence for r in recs])
        scores[split] = semsim_scores(data.extra["go_similarity"][split], x)
        if split == "test":
            for name, pairs in data.extra.get("pairs", {}).items():
                if len(pairs) < 2 and data.stats.get("limit") is not None:
                    continue   # --limit left too few listed pairs to rank; info records the count
                scores[name] = semsim_scores(data.extra["go_similarity"][split], x, pairs)
    info = {"pairs": {s: len(r) * (len(r) - 1) // 2 for s, r in data.splits.items()}}
    info.update({name: len(p) for name, p in data.extra.get("pairs", {}).items()})
    return SeedResult(scores=scores, info=info)


PROTOCOL = ProtocolSpec("semsim", SemsimConfig, run, frozenset({Capability.PROTEIN}),
                        seed_cost=0,
                        description="Spearman of embedding vs GO similarity over protein pairs (PROBE)")
