"""Pooling residue states into one vector per sequence."""
from __future__ import annotations

import torch


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``hidden`` over positions where ``mask`` is true.

    hidden: ``(B, L, D)``; mask: ``(B, L)`` bool or 0/1, true for real residues
    (padding and special tokens such as BOS/EOS must be false). Returns ``(B, D)``
    in ``hidden``'s dtype, accumulated in float32. A row with no true position
    gives zeros rather than NaN.
    """
    m = mask.to(torch.float32).unsqueeze(-1)
    total = (hidden.to(torch.float32) * m).sum(dim=1)
    count = m.sum(dim=1).clamp_min(1.0)
    return (total / count).to(hidden.dtype)


def residue_mask(input_ids: torch.Tensor, special_ids: list[int] | tuple[int, ...]) -> torch.Tensor:
    """``(B, L)`` bool mask that is false at any token id in ``special_ids`` (pad, cls, eos, ...)."""
    mask = torch.ones_like(input_ids, dtype=torch.bool)
    for t in special_ids:
        mask &= input_ids != t
    return mask
