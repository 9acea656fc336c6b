"""``pair-mlp``: the ``ppi-gnn`` network without message passing (each pair from its two proteins' vectors alone).

Same split, training and scoring as :mod:`protbench.protocols.ppi_gnn`; the graph-only fields of the
config (``aggregation``, ``hide_batch_edges``) have no effect.
"""
from __future__ import annotations

from dataclasses import dataclass

from protbench.spec import Capability, SeedResult

from . import ProtocolSpec
from .context import ProtocolContext
from .ppi_gnn import PpiGnnConfig, evaluate_pairs


@dataclass(frozen=True)
class PairMlpConfig(PpiGnnConfig):
    @classmethod
    def quick(cls) -> "PairMlpConfig":
        return cls(hidden=64, max_epochs=40, patience=10)


def run(ctx: ProtocolContext) -> SeedResult:
    return evaluate_pairs(ctx, graph=False)


PROTOCOL = ProtocolSpec("pair-mlp", PairMlpConfig, run, frozenset({Capability.PROTEIN}),
                        seed_cost=2,
                        # 2: node vectors gathered with index_select (f6cb16b): multi-thread fits repeat exactly,
                        # and their numbers differ from revision 1's in the last digits
                        revision=2,
                        description="pair classifier on frozen vectors without a graph")
