"""``finetune``: the model's protein encoder trained together with a task head, chosen on validation.

The model must offer ``trainable_encoder()`` (capability FINETUNE). Head Linear → ReLU → Dropout →
Linear (ProtST's 2-layer MLP); Adam with the encoder at ``lr_ratio`` × the head's learning rate
(ProtST: 0.1; a model trained from scratch such as PEER's CNN uses 1); sequences cropped to
``max_length`` residues; the best validation epoch's weights are kept (early stopping with
``patience``). The training loop is :mod:`protbench.protocols.algorithms.finetune`.
"""
from __future__ import annotations

from dataclasses import dataclass

from protbench.spec import Capability, SeedResult

from . import ProtocolSpec
from .context import ProtocolContext
from .supervised import ScoringConfig, finish, labels
from .settings import setting


@dataclass(frozen=True)
class FinetuneConfig(ScoringConfig):
    epochs: int = setting(20, low=1)
    batch_size: int = setting(8, low=1)
    lr: float = setting(5e-4, low=0, low_open=True)          # head learning rate
    lr_ratio: float = setting(0.1, low=0)     # encoder lr = lr * lr_ratio (ProtST)
    patience: int = setting(3, low=0)
    max_length: int = setting(550, low=1)
    dropout: float = setting(0.1, low=0, high=1, high_open=True)
    weight_decay: float = setting(0.0, low=0)

    @classmethod
    def quick(cls) -> "FinetuneConfig":
        return cls(epochs=2, batch_size=16, lr=1e-3, patience=2, max_length=256)


def run(ctx: ProtocolContext) -> SeedResult:
    from .algorithms.finetune import finetune

    if not hasattr(ctx.model, "trainable_encoder"):
        raise TypeError(f"model {ctx.model.meta.name!r} has no trainable_encoder(); the finetune protocol needs one")
    lab = labels(ctx)
    seqs = {s: lab.sequences(ctx.data, s) for s in ("train", "valid", "test")}
    preds, info = finetune(ctx.model, lab, seqs, ctx.config, ctx.seed)
    return finish(ctx, lab, preds, info)


PROTOCOL = ProtocolSpec("finetune", FinetuneConfig, run, frozenset({Capability.FINETUNE}), needs_embeddings=False,
                        seed_cost=2,
                        description="encoder + head trained per task, chosen on validation")
