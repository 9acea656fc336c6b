"""``ppi-gnn-finetune``: the ``ppi-gnn`` network with the model's own encoder trained end to end (GNN-PPI).

GNN-PPI (Lv et al. 2021) does not freeze its protein encoder: every training step runs its sequence encoder
(``gnn-ppi`` model: vec5 features → Conv1d → BatchNorm → MaxPool → BiGRU → Linear) on every protein and
back-propagates through it together with the GIN and the pair head. This protocol does that for any model with a
trainable encoder offering ``features(seqs)`` (the raw node inputs, computed once) and ``build()`` (a fresh encoder
with an ``out_dim``, initialised under the run's seed). Split, graph, training, selection and scoring are those of
:mod:`protbench.protocols.ppi_gnn`, with the same config fields; ``--preset gnn-ppi`` sets GNN-PPI's values.
"""
from __future__ import annotations

from dataclasses import dataclass

from protbench.spec import Capability, SeedResult

from . import ProtocolSpec
from .context import ProtocolContext
from .ppi_gnn import PpiGnnConfig, evaluate_pairs


@dataclass(frozen=True)
class PpiGnnFinetuneConfig(PpiGnnConfig):
    @classmethod
    def quick(cls) -> "PpiGnnFinetuneConfig":
        return cls(hidden=64, max_epochs=10, patience=5)


def run(ctx: ProtocolContext) -> SeedResult:
    trainable = ctx.model.trainable_encoder()
    if not (hasattr(trainable, "features") and hasattr(trainable, "build")):
        raise TypeError(f"model {ctx.model.meta.name!r}: ppi-gnn-finetune needs a trainable encoder with "
                        f"features(seqs) and build() (as the gnn-ppi model has); use ppi-gnn for frozen vectors")
    return evaluate_pairs(ctx, graph=True, trainable=trainable, protocol="ppi-gnn-finetune")


PROTOCOL = ProtocolSpec("ppi-gnn-finetune", PpiGnnFinetuneConfig, run, frozenset({Capability.FINETUNE}),
                        needs_embeddings=False, seed_cost=2,
                        description="GIN + pair head trained end to end with the model's encoder (GNN-PPI)")
