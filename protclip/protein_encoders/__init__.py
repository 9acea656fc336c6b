"""ProtCLIP's protein encoders behind one interface (:class:`~.base.ProteinEncoder`).

``KINDS`` maps ``ProtCLIPConfig.protein_encoder`` to the module that builds it:
``"esm2"`` (:mod:`.esm2`, the paper's, default) and ``"unirep"`` (:mod:`.unirep`).
Each module offers ``build(cfg, attn, from_checkpoint)`` and
``unimodal_batch(cfg, ids, residues, generator)``; adding an encoder is one new module
registered here.
"""
from __future__ import annotations

import importlib

import torch

from .base import ProteinEncoder

KINDS = {"esm2": "esm2", "unirep": "unirep"}


def _module(cfg):
    kind = getattr(cfg, "protein_encoder", "esm2")
    if kind not in KINDS:
        raise ValueError(f"unknown protein encoder {kind!r}; choose one of {sorted(KINDS)}")
    return importlib.import_module(f"{__name__}.{KINDS[kind]}")


def build_protein_encoder(cfg, attn: str = "sdpa", from_checkpoint: bool = False) -> ProteinEncoder:
    """The protein encoder ``cfg.protein_encoder`` names (``from_checkpoint``: its tensors will be overwritten)."""
    return _module(cfg).build(cfg, attn, from_checkpoint)


def unimodal_batch(cfg, ids: torch.Tensor, residues: torch.Tensor, generator: torch.Generator
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """``(inputs, labels)`` ``(B, L)`` of the encoder's unimodal term (ESM-2: MLM; UniRep: next residue)."""
    return _module(cfg).unimodal_batch(cfg, ids, residues, generator)


__all__ = ["KINDS", "ProteinEncoder", "build_protein_encoder", "unimodal_batch"]
