"""ESM-2 (transformers ``EsmModel``) as ProtCLIP's protein encoder — the paper's, and the default.

Built from a named size or an explicit ``EsmConfig`` dict, randomly initialised from
``cfg.seed``, or loaded from ``cfg.protein_weights`` (transformers folder / fair-esm
``.pt``) through ``protbench.models.esm.load_esm_module``. Its unimodal term is
masked-language modelling (15 % of residues, :func:`protbench.protclip.masking.mlm_mask`)
with the released ``mlm_head`` layout (:func:`protbench.protclip.heads.token_head` into
the 33 ESM tokens). Numerics are those of protbench before the encoder interface existed.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from protbench.models.esm import ESM2_SIZES, PAD, esm2_config, load_esm_module, residue_positions

from .base import ProteinEncoder

VOCAB = 33


def esm_config_dict(cfg) -> dict[str, Any]:
    """``EsmConfig`` fields of the protein encoder (explicit dict, or the named size)."""
    if cfg.protein_model_config:
        return dict(cfg.protein_model_config)
    if cfg.protein_size not in ESM2_SIZES:
        raise ValueError(f"unknown ESM-2 size {cfg.protein_size!r}; choose one of {sorted(ESM2_SIZES)} "
                         "or give protein_model_config")
    d = esm2_config(cfg.protein_size).to_dict()
    return {k: v for k, v in d.items() if not k.startswith("_") and k != "transformers_version"}


def build_esm_module(cfg, attn: str = "sdpa") -> nn.Module:
    """The ESM-2 ``EsmModel``: pretrained when ``cfg.protein_weights`` is set, else random from ``cfg.seed``."""
    from transformers import EsmConfig, EsmModel

    if cfg.protein_weights:
        return load_esm_module(cfg.protein_size, cfg.protein_weights, cfg.seed, attn)
    d = esm_config_dict(cfg)
    d.pop("model_type", None)
    d.pop("architectures", None)
    econf = EsmConfig(**d)
    econf._attn_implementation = attn
    torch.manual_seed(cfg.seed)
    return EsmModel(econf, add_pooling_layer=False)


class ESM2Encoder(ProteinEncoder):
    kind = "esm2"

    def __init__(self, module: nn.Module):
        self.module = module
        self.hidden_size = module.config.hidden_size

    def states(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, L, D)`` last-layer states (``<cls>``/``<eos>`` positions included)."""
        return self.module(input_ids=ids, attention_mask=(ids != PAD).long()).last_hidden_state

    def pool_mask(self, ids: torch.Tensor) -> torch.Tensor:
        """Real residues only (*fix 1*: the released code averaged padding and special tokens too)."""
        return residue_positions(ids)

    def unimodal_head(self, dim: int) -> nn.Module:
        from ..heads import token_head

        return token_head(self.hidden_size, dim, VOCAB)

    def apply_freezing(self, head: nn.Module) -> None:
        contact = getattr(self.module, "contact_head", None)       # ESM's unused contact head
        if contact is not None:
            contact.requires_grad_(False)

    def enable_gradient_checkpointing(self) -> None:
        pm = self.module
        (getattr(pm, "activation_checkpointing_enable", None) or pm.gradient_checkpointing_enable)()

    def describe(self) -> str:
        return f"ESM-2 {self.module.config.num_hidden_layers} layers, {self.hidden_size}-d"

    def tag(self) -> str:
        """``esm2-<size>`` for an ESM-2 size's layers and width (``esm2-8m``), else ``esm2-<layers>x<width>``."""
        from protbench.models.esm import ESM2_SIZES

        shape = (self.module.config.num_hidden_layers, self.hidden_size)
        size = next((k for k, v in ESM2_SIZES.items() if v[:2] == shape), None)
        return f"esm2-{size}" if size else f"esm2-{shape[0]}x{shape[1]}"


def build(cfg, attn: str = "sdpa", from_checkpoint: bool = False) -> ESM2Encoder:
    """The ESM-2 encoder (``from_checkpoint`` is ignored: ESM-2 is built exactly as before)."""
    return ESM2Encoder(build_esm_module(cfg, attn))


def unimodal_batch(cfg, ids: torch.Tensor, residues: torch.Tensor, generator: torch.Generator
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """MLM inputs and labels ``(B, L)`` (:func:`~protbench.protclip.masking.mlm_mask` with the config's options)."""
    from ..masking import mlm_mask

    return mlm_mask(ids, residues, cfg.protein_mask_probability, generator, strategy=cfg.mlm_strategy,
                    min_one=cfg.mlm_min_one)
