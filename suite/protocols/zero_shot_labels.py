"""``zero-shot-labels``: classification without training, by the nearest class description in a shared space.

ProtST's zero-shot classifier (DeepGraphLearning/ProtST @ db53a76, ``script/run_zero_shot.py``): every
class of the task is described by a text (a prompt set and a field of the task's
:class:`~protbench.tasks.kinds.ClassTexts`; ProtST's README: the ``template`` set, ``name`` field), the
model's text tower embeds the texts and its protein tower the proteins, both L2-normalised, and a
protein's predicted class is the one of largest cosine. Metric: the task's (accuracy), on valid and
test, with bootstrap intervals over test items; the per-class cosines ``(n, C)`` are the stored scores.
ProtST multiplies the cosines by its logit scale, which changes no argmax, so it is left out. ProtST
tokenises a label as ``[CLS]`` + word pieces (no ``[SEP]``, at most 128); here each model's own text path
embeds it. No training: the seed changes only the intervals' resamples.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
from protbench.spec import Capability, SeedResult

from . import ProtocolSpec
from .context import ProtocolContext
from .settings import setting
from .supervised import ScoringConfig, finish, labels


@dataclass(frozen=True)
class ZeroShotLabelsConfig(ScoringConfig):
    """``prompts``: the task's prompt set; ``field``: ``name``, ``description`` or ``name+description``."""

    prompts: str = setting("template", choices=("name", "language", "template"))
    field: str = setting("name", choices=("name", "description", "name+description"))

    @classmethod
    def quick(cls) -> "ZeroShotLabelsConfig":
        return cls()


def class_texts(ctx: ProtocolContext) -> list[str]:
    """The task's class descriptions for the configured prompt set and field (one per class id)."""
    ct = getattr(ctx.task, "class_texts", None)
    if ct is None or getattr(ctx.task, "task_type", None) != "classification":
        raise ValueError(f"task {ctx.spec.id!r} has no class descriptions for zero-shot classification "
                         f"(tasks with them: subloc, subloc-partial); use --protocol probe")
    texts = ct.texts(ctx.config.prompts, ctx.config.field)
    n = ctx.task.outputs(ctx.data)
    if n is not None and len(texts) != n:
        raise ValueError(f"task {ctx.spec.id!r}: {len(texts)} class descriptions for {n} classes ({ct.source})")
    return texts


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def run(ctx: ProtocolContext) -> SeedResult:
    texts = class_texts(ctx)
    lab = labels(ctx)
    t = unit(ctx.emb.texts(texts))                                          # (C, D)
    preds = {s: unit(ctx.emb.proteins(lab.sequences(ctx.data, s))) @ t.T for s in ("valid", "test")}
    info = {"protocol": "zero-shot-labels", "text_vectors": f"{ctx.emb.meta.name} text tower",
            "class_texts": {"prompts": ctx.config.prompts, "field": ctx.config.field, "source": ctx.task.class_texts.source,
                            "sha256": hashlib.sha256(json.dumps(texts).encode()).hexdigest()},
            "majority_class_accuracy": {s: float(np.mean(lab.ys[s] == np.bincount(lab.ys["train"]).argmax()))
                                        for s in ("valid", "test")}}
    return finish(ctx, lab, preds, info)


PROTOCOL = ProtocolSpec("zero-shot-labels", ZeroShotLabelsConfig, run,
                        frozenset({Capability.PROTEIN, Capability.TEXT, Capability.SHARED_SPACE}),
                        seed_cost=0,
                        description="class = nearest class description in a shared protein-text space, no training")
