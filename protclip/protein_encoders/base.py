"""What ProtCLIP needs from a protein encoder (:class:`ProteinEncoder`).

Every encoder reads the same **batch layout**: ESM-style token ids ``(B, L)``
from :func:`protbench.models.esm.tokenize` — ``<cls> residues <eos>`` right-padded
with ``<pad>``, ``<mask>`` where a masking objective hid a residue. The data
pipeline (cropping, BSR span masks, labels of the residue alphabet) is therefore
shared, and an encoder with another vocabulary maps these ids onto its own.
Outputs are aligned with the input positions:

* :meth:`ProteinEncoder.states` → ``(B, L, D)`` per-position states; position
  ``1 + i`` belongs to residue ``i`` (what BSR and PDA use, with the residue mask
  ``protbench.models.esm.residue_positions``); positions an encoder has no state for
  are 0.
* :meth:`ProteinEncoder.pool_mask` → ``(B, L)`` bool, the positions whose mean is
  the encoder's pooled vector (:meth:`ProteinEncoder.pooled`, ``(B, D)``; GC and
  ``embed_proteins``).
* The **unimodal term** (loss key ``"mlm"``, weight ``loss_weights["mlm"]``) keeps
  the encoder's own pretraining knowledge: ``unimodal_batch`` (a per-kind function
  the collate calls) gives ``(inputs, labels)`` ``(B, L)``; the model computes
  ``token_ce(head(states(inputs)), labels)`` with the head from
  :meth:`ProteinEncoder.unimodal_head` (registered as ``ProtCLIP.mlm_head``). ESM-2:
  masked-language modelling; UniRep: next-residue prediction.

Checkpoints: :attr:`ProteinEncoder.module` is registered as ``ProtCLIP.protein_model``,
so its tensors are saved under ``protein_model.*`` in ``model.safetensors`` and the
unimodal head under ``mlm_head.*``; the encoder kind and its settings are fields of
``ProtCLIPConfig`` (``protein_encoder`` plus the kind's fields) in
``protclip_config.json``. Building with ``from_checkpoint=True`` lets an encoder skip
reading pretrained files whose tensors the checkpoint will overwrite.

Caching: when :attr:`ProteinEncoder.states_cacheable` is true (frozen weights, no
dropout), ``states(ids)`` of unmasked ids depends on the sequence only, so
:mod:`protbench.protclip.protein_cache` computes each protein's states once with
:meth:`ProteinEncoder.clean_states` (batched, no gradients; an encoder may override it
with a faster inference path, as UniRep does) and reuses them in every step.

A new encoder is one module in this package: a subclass, a ``build(cfg, attn,
from_checkpoint)`` and a ``unimodal_batch(cfg, ids, residues, generator)`` function,
registered in :data:`protbench.protclip.protein_encoders.KINDS`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import torch
from torch import nn

from protbench.pooling import masked_mean


class ProteinEncoder(ABC):
    """A protein encoder behind ProtCLIP (see module docstring). Not itself a module: ``module`` is."""

    kind: ClassVar[str]
    module: nn.Module        # registered as ProtCLIP.protein_model (state-dict prefix ``protein_model.``)
    hidden_size: int         # D of states and pooled vectors

    @abstractmethod
    def states(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, L, D)`` states for batch-layout ids ``(B, L)`` (gradients flow when the module trains)."""

    @abstractmethod
    def pool_mask(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, L)`` bool: positions averaged into the pooled vector."""

    def pooled(self, ids: torch.Tensor, states: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, D)`` pooled vector: mean of ``states`` over :meth:`pool_mask`."""
        if states is None:
            states = self.states(ids)
        return masked_mean(states, self.pool_mask(ids))

    @abstractmethod
    def unimodal_head(self, dim: int) -> nn.Module:
        """The unimodal objective's head, ``(..., D) → (..., V)`` logits (``dim``: shared width, if used)."""

    #: padded tokens per embedding batch the encoder prefers in the suite (None: the run's default)
    token_budget: ClassVar[int | None] = None

    #: the unimodal term reads the unmasked ids, so the model may reuse the states it already has
    unimodal_on_clean_ids: ClassVar[bool] = False

    def apply_freezing(self, head: nn.Module) -> None:
        """Set ``requires_grad`` of the encoder's parts (and its unimodal ``head``) per its config."""

    @property
    def states_cacheable(self) -> bool:
        """Whether ``states`` of unmasked ids depends on the sequence only (frozen, no dropout)."""
        return False

    @torch.no_grad()
    def clean_states(self, ids: torch.Tensor, dtype: str = "float32") -> torch.Tensor:
        """``(B, L, D)`` float32 states of unmasked ids without gradients, as :meth:`states` gives them (what the
        protein-state cache stores). ``dtype``: the compute precision; the default path supports float32 only."""
        if dtype != "float32":
            raise ValueError(f"{self.kind}: clean_states supports dtype float32 only, not {dtype!r}")
        return self.states(ids).float()

    def enable_gradient_checkpointing(self) -> None:
        """Trade compute for memory where the encoder supports it (no-op otherwise)."""

    @abstractmethod
    def describe(self) -> str:
        """One line for model descriptions, e.g. ``"ESM-2 6 layers, 320-d"``."""

    def provenance(self) -> dict[str, Any]:
        """Settings and weight hashes worth recording with results (JSON-serialisable)."""
        return {"protein_encoder": self.kind}

    def tag(self) -> str:
        """A short name for model names, e.g. ``"esm2-8m"`` or ``"unirep1900"`` (letters, digits, ``-``)."""
        return self.kind
