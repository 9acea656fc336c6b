"""Evaluation protocols: how a task's data and a model's vectors become scores.

One module per protocol, each holding a frozen config dataclass (every setting
and its default; a ``quick()`` variant for smoke runs), the capabilities it
needs from a model, whether it reads frozen embeddings, and one entry point
``run(ctx: ProtocolContext) -> SeedResult``:

==============  =====================================  ==============================
protocol        module                                 used by
==============  =====================================  ==============================
probe           :mod:`protbench.protocols.probe`       function, mutation
finetune        :mod:`protbench.protocols.finetune`    function, mutation
alignment-knn   :mod:`protbench.protocols.alignment_knn`  function, mutation (no embeddings)
bridge          :mod:`protbench.protocols.bridge`      cross-modal
zero-shot       :mod:`protbench.protocols.zero_shot`   cross-modal
zero-shot-labels :mod:`protbench.protocols.zero_shot_labels`  subloc (class descriptions, ProtST)
semsim          :mod:`protbench.protocols.semsim`      similarity
ppi-gnn         :mod:`protbench.protocols.ppi_gnn`     PPI
pair-mlp        :mod:`protbench.protocols.pair_mlp`    PPI
ppi-gnn-finetune :mod:`protbench.protocols.ppi_gnn_finetune`  PPI (encoder trained with the GIN)
==============  =====================================  ==============================

The protocol modules import nothing heavy at import time (torch is imported by
the algorithms in :mod:`protbench.protocols.algorithms` when a protocol runs), so
listing protocols and their configs is cheap. Settings are changed in one
dialect, ``--param <protocol>.<field>=<value>``, or by a named preset
(:mod:`protbench.protocols.params`).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from protbench.spec import Capability

from .context import Artefacts, ProtocolContext

__all__ = ["Artefacts", "ProtocolContext", "ProtocolSpec", "NAMES", "get", "names", "register_protocol",
           "UnknownProtocol"]

# protocol name -> module under protbench.protocols (imported on first use)
MODULES: dict[str, str] = {
    "probe": "probe",
    "finetune": "finetune",
    "alignment-knn": "alignment_knn",
    "bridge": "bridge",
    "zero-shot": "zero_shot",
    "zero-shot-labels": "zero_shot_labels",
    "semsim": "semsim",
    "ppi-gnn": "ppi_gnn",
    "pair-mlp": "pair_mlp",
    "ppi-gnn-finetune": "ppi_gnn_finetune",
}
NAMES = tuple(MODULES)
_PLUGINS: dict[str, "ProtocolSpec"] = {}


class UnknownProtocol(LookupError):
    """A protocol name that is not registered."""


@dataclass(frozen=True)
class ProtocolSpec:
    """What the runner needs to know about a protocol.

    ``config`` is a frozen dataclass type (defaults = the protocol's standard setting, ``config.quick()``
    the smoke setting); ``requires`` the model capabilities it needs; ``needs_embeddings`` whether the
    runner must fill the embedding cache for the task's sequences first; ``run(ctx) -> SeedResult``;
    ``seed_cost`` the rough cost of one seed (2: trains a network over the task, 1: fits a head or searches,
    0: no training), which only orders the work of ``run --jobs`` workers (longest first). ``revision`` is
    raised when a code change gives other numbers for the same inputs and config (a bug fix, another
    algorithm); from 2 on it is part of every result's identity, so a stored result of an earlier revision is
    recomputed instead of kept (revision 1 is left out of the identity: the hashes of results from before
    revisions existed stay valid).
    """

    name: str
    config: type
    run: Callable[[ProtocolContext], Any]
    requires: frozenset[Capability]
    needs_embeddings: bool = True
    description: str = ""
    seed_cost: int = 1
    revision: int = 1


def names() -> tuple[str, ...]:
    """Every protocol name: the built-ins, then those registered by plugins."""
    return NAMES + tuple(_PLUGINS)


def get(name: str) -> ProtocolSpec:
    """The protocol registered under ``name`` (a built-in's module is imported now)."""
    if name in _PLUGINS:
        return _PLUGINS[name]
    module = MODULES.get(name)
    if module is None:
        raise UnknownProtocol(f"unknown protocol {name!r}; known: {', '.join(names())}")
    return importlib.import_module(f"{__name__}.{module}").PROTOCOL


def register_protocol(spec: ProtocolSpec) -> ProtocolSpec:
    """Add a plugin protocol (a task plugin names it in ``spec.protocols``); built-in names are reserved."""
    if spec.name in MODULES:
        raise ValueError(f"protocol {spec.name!r} is a built-in protocol; choose another name")
    _PLUGINS[spec.name] = spec
    return spec
