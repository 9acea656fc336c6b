"""Small trainable heads on top of the encoders.

Module layouts mirror the released ``FSTForPretrain`` so its weights map
one-to-one (see :mod:`protbench.protclip.checkpoint`):

* :func:`projection` — ``Linear(d_in, D) → ReLU → Linear(D, D)`` (indices 0, 2);
* :func:`token_head` — ``Linear(d_in, D) → GELU → LayerNorm(D) → Linear(D, V)`` (indices 0, 2, 3);
* :class:`CrossAttentionDecoder` — BSR's cross-attention block with ``query``
  (protein tokens), ``key``/``value`` (text tokens) linear maps of width D.
"""
from __future__ import annotations

import torch
from torch import nn

from .objectives import cross_attend


def projection(d_in: int, dim: int) -> nn.Sequential:
    """Projection into the shared space: ``(..., d_in) → (..., dim)``."""
    return nn.Sequential(nn.Linear(d_in, dim), nn.ReLU(), nn.Linear(dim, dim))


def token_head(d_in: int, dim: int, vocab: int) -> nn.Sequential:
    """Per-token classifier: ``(..., d_in) → (..., vocab)`` logits."""
    return nn.Sequential(nn.Linear(d_in, dim), nn.GELU(), nn.LayerNorm(dim), nn.Linear(dim, vocab))


class CrossAttentionDecoder(nn.Module):
    """Protein tokens attend to text tokens (``heads`` heads of width ``dim // heads``).

    forward(protein ``(B, L, D)``, text ``(B, T, D)``, text_mask ``(B, T)`` bool,
    protein_mask ``(B, L)`` bool) → ``(B, L, D)``; ``softmax_over`` as in
    :func:`~protbench.protclip.objectives.cross_attend`.
    """

    def __init__(self, dim: int, heads: int = 1, softmax_over: str = "protein"):
        super().__init__()
        self.heads = heads
        self.softmax_over = softmax_over
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)

    def forward(self, protein: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor,
                protein_mask: torch.Tensor | None = None) -> torch.Tensor:
        return cross_attend(self.query(protein), self.key(text), self.value(text), text_mask, self.heads,
                            self.softmax_over, protein_mask)
