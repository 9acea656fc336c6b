"""``bridge``: BioBridge-style transformation of frozen head vectors into the tail modality's space.

Proteins through the evaluated model; text nodes through the model's own text tower when it has one,
else the reference text encoder all-MiniLM-L6-v2 (128 tokens). A small residual network conditioned
on (head type, relation, tail type) is trained with InfoNCE on the training heads' triples and kept
at its best validation-MRR round; test heads are ranked against every candidate (filtered MRR,
Hits@k, pessimistic ties). Network and training: :mod:`protbench.protocols.algorithms.bridge`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from protbench.spec import Capability, SeedResult

from . import ProtocolSpec
from .context import ProtocolContext
from .settings import setting


@dataclass(frozen=True)
class BridgeConfig:
    """Bridge size and training budget.

    Training runs in *rounds* of ``round_steps`` optimiser steps (batches drawn by walking through
    shuffled epochs of the training triples), each followed by a validation; at most ``rounds`` rounds,
    stopping after ``patience`` rounds without a better validation MRR. The budget is in steps, not
    epochs, so a CPU run stays bounded on large relations (BioBridge trained longer on GPU).
    ``negatives``: ``batch`` = in-batch tails (BioBridge), ``all`` = softmax over every candidate.
    ``candidates``: ``annotated`` tails, or ``all`` terms of the aspect (GO variants).
    """

    hidden: int = setting(256, low=1)
    n_blocks: int = setting(1, low=0)
    dropout: float = setting(0.1, low=0, high=1, high_open=True)
    temperature: float = setting(0.07, low=0, low_open=True)
    lr: float = setting(1e-3, low=0, low_open=True)
    weight_decay: float = setting(1e-4, low=0)
    batch_size: int = setting(512, low=1)
    rounds: int = setting(12, low=1)
    round_steps: int = setting(50, low=1)
    patience: int = setting(3, low=0)
    max_valid_queries: int = setting(2000, low=1)
    negatives: str = setting("batch", choices=("batch", "all"))
    candidates: str = setting("annotated", choices=("annotated", "all"))

    def __post_init__(self) -> None:
        if self.negatives not in ("batch", "all"):
            raise ValueError(f"negatives must be 'batch' or 'all', not {self.negatives!r}")

    @classmethod
    def quick(cls) -> "BridgeConfig":
        return cls(hidden=128, n_blocks=1, rounds=8, round_steps=40, patience=3, batch_size=256)


def run(ctx: ProtocolContext) -> SeedResult:
    from protbench.interfaces import model_capabilities

    from .algorithms.bridge import fit_bridge
    from .algorithms.reference_text import reference_texts
    from .algorithms.retrieval import popularity_baseline, retrieval_inputs, retrieval_scores

    cfg: BridgeConfig = ctx.config
    inp = retrieval_inputs(ctx.data, cfg.candidates)
    if Capability.TEXT in model_capabilities(ctx.model):
        text_view, text_source = ctx.emb, f"{ctx.emb.meta.name} text tower"
    else:
        text_view, text_source = reference_texts(ctx.emb), "reference all-MiniLM-L6-v2 (128 tokens)"

    def vectors(kind: str, items: list[str]) -> np.ndarray:
        return ctx.emb.proteins(items) if kind == "protein" else text_view.texts(items)

    tails = vectors(inp.tail_kind, inp.tail_items)
    heads = {s: vectors(inp.head_kind, inp.head_items(s)) for s in ("valid", "test", "train")}
    pos = inp.positives
    pairs = np.array([(i, t) for i, p in enumerate(pos["train"]) for t in p], dtype=np.int64)
    fit = fit_bridge(heads["train"], pairs, tails, heads["valid"], pos["valid"], ctx.seed, cfg)
    mapped = {s: fit.transform(heads[s]) for s in ("valid", "test")}
    scores, ranks = {}, {}
    for s in ("valid", "test"):
        scores[s], ranks[s] = retrieval_scores(mapped[s], tails, pos[s])
    info: dict[str, Any] = {
        "protocol": "bridge", "candidates": len(inp.tail_ids), "text_vectors": text_source,
        "queries": {s: int(sum(len(p) for p in pos[s])) for s in ("valid", "test")},
        "bridge": asdict(cfg), "best_epoch": fit.best_epoch, "history": fit.history,
        "fit_seconds": round(fit.seconds, 2), "train_triples": len(pairs),
        "popularity_baseline": popularity_baseline(pos, len(inp.tail_ids))}
    return SeedResult(scores=scores, info=info, predictions={"test": {"ranks": ranks["test"]}})


PROTOCOL = ProtocolSpec("bridge", BridgeConfig, run, frozenset({Capability.PROTEIN}),
                        seed_cost=2,
                        description="BioBridge-style bridge trained on frozen vectors, ranks all candidates")
