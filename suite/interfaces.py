"""The small runtime-checkable protocols a task and a model implement.

A **model** needs ``meta`` and ``embed_proteins``; texts, residues and a
trainable encoder are optional capabilities declared in ``meta.capabilities``.
A **task** needs ``spec``, ``load`` and ``write_smoke`` (most tasks are the
dataclasses of ``protbench.tasks.kinds``); evaluation belongs to the protocols
(:mod:`protbench.protocols`), which read vectors through an :class:`Embeddings`
view that serves them from the content-addressed cache and runs the model only
for sequences not cached yet.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from .spec import Capability, ModelMeta, TaskData, TaskSpec


@runtime_checkable
class ProteinModel(Protocol):
    """Minimum a model offers: pooled protein vectors.

    ``embed_proteins(seqs)`` gets at most ``meta.max_length`` residues per
    sequence (the engine truncates or chunks before) and returns a float32
    array of shape ``(len(seqs), meta.dim)``.
    """

    meta: ModelMeta

    def embed_proteins(self, seqs: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class TextModel(Protocol):
    """Optional: ``embed_texts(texts) -> (len(texts), meta.text_dim or meta.dim)`` float32."""

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class ResidueModel(Protocol):
    """Optional: ``embed_residues(seqs) -> [ (len(s), meta.dim) float32 for s in seqs ]``."""

    def embed_residues(self, seqs: Sequence[str]) -> list[np.ndarray]: ...


@runtime_checkable
class TrainableEncoder(Protocol):
    """A torch encoder that fine-tuning trains together with a task head.

    ``module`` holds the trainable parameters; calling the encoder on a list of
    sequences returns a ``(B, dim)`` tensor with gradients.
    """

    module: Any
    dim: int

    def __call__(self, seqs: Sequence[str]) -> Any: ...


@runtime_checkable
class FinetunableModel(Protocol):
    """Optional: ``trainable_encoder()`` returns a fresh :class:`TrainableEncoder`."""

    def trainable_encoder(self) -> TrainableEncoder: ...


@runtime_checkable
class Embeddings(Protocol):
    """The view protocols read vectors through (implemented by ``protbench.embed.CachedEmbeddings``)."""

    meta: ModelMeta

    def proteins(self, seqs: Sequence[str]) -> np.ndarray: ...

    def texts(self, texts: Sequence[str]) -> np.ndarray: ...

    def residues(self, seqs: Sequence[str]) -> list[np.ndarray]: ...


@runtime_checkable
class Task(Protocol):
    """A benchmark: metadata, a loader of its upstream files, and smoke data in the same formats."""

    spec: TaskSpec

    def load(self, files: Mapping[str, Path]) -> TaskData:
        """Parse the fetched files (keyed by ``DataSource.filename``) into splits of records."""
        ...

    def write_smoke(self, folder: Path) -> dict[str, Path]:
        """Write small deterministic files in the upstream format; same keys as ``load`` expects."""
        ...


def model_capabilities(model: Any) -> frozenset[Capability]:
    """Capabilities a model declares, checked against the methods it actually has."""
    declared = set(getattr(model.meta, "capabilities", {Capability.PROTEIN}))
    checks: Mapping[Capability, Callable[[Any], bool]] = {
        Capability.PROTEIN: lambda m: isinstance(m, ProteinModel),
        Capability.TEXT: lambda m: isinstance(m, TextModel),
        Capability.RESIDUE: lambda m: isinstance(m, ResidueModel),
        Capability.FINETUNE: lambda m: isinstance(m, FinetunableModel),
        Capability.SHARED_SPACE: lambda m: isinstance(m, TextModel),
    }
    return frozenset(c for c in declared if checks[c](model))
