"""Residue masking for MLM (scattered tokens) and BSR (contiguous spans).

All functions take an explicit ``torch.Generator`` so that a batch's masks are
a pure function of (seed, step): resumed and multi-process runs draw exactly
the same masks as a single uninterrupted process.

Token ids follow the ESM alphabet (``protbench.models.esm``): residues are
ids 4..31, ``<mask>`` is 32; labels are ``-100`` where no prediction is asked.
"""
from __future__ import annotations

import math

import torch

from protbench.models.esm import MASK

# The 20 standard amino acids in the ESM alphabet (ids 4..23): random replacements draw from these.
STANDARD_AA_IDS = torch.arange(4, 24)
IGNORE = -100


def mlm_mask(ids: torch.Tensor, residues: torch.Tensor, probability: float, generator: torch.Generator,
             mask_id: int = MASK) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT-style masking of ``probability`` of the residues of each row.

    ids: ``(B, L)`` int64; residues: ``(B, L)`` bool (true at real residues).
    Each residue is selected independently with ``probability``; a row with
    residues but no selection gets one uniformly drawn residue selected (so
    every protein contributes). Selected tokens become ``<mask>`` (80%), a
    random standard amino acid (10%) or stay unchanged (10%).
    Returns ``(masked_ids, labels)``; labels hold the original id at selected
    positions and ``-100`` elsewhere.
    """
    u = torch.rand(ids.shape, generator=generator)
    selected = (u < probability) & residues
    empty = (selected.sum(1) == 0) & residues.any(1)
    if empty.any():
        r = torch.rand(ids.shape, generator=generator).masked_fill(~residues, -1.0)
        pick = r.argmax(1)
        rows = torch.nonzero(empty).squeeze(1)
        selected[rows, pick[rows]] = True
    action = torch.rand(ids.shape, generator=generator)
    random_aa = STANDARD_AA_IDS[torch.randint(0, len(STANDARD_AA_IDS), ids.shape, generator=generator)]
    masked = ids.clone()
    masked[selected & (action < 0.8)] = mask_id
    swap = selected & (action >= 0.8) & (action < 0.9)
    masked[swap] = random_aa[swap]
    labels = torch.where(selected, ids, torch.full_like(ids, IGNORE))
    return masked, labels


def span_positions(length: int, coverage: float, span_min: int, span_max: int,
                   generator: torch.Generator) -> torch.Tensor:
    """``(length,)`` bool: contiguous spans of ``span_min..span_max`` residues until ≥ ``coverage`` is covered.

    Spans start uniformly at random (clipped to the sequence) and may touch or
    overlap; drawing stops once ``ceil(coverage · length)`` residues are
    covered (at least one span for any non-empty sequence). Spans longer than
    the sequence are shortened to it.
    """
    covered = torch.zeros(length, dtype=torch.bool)
    if length == 0:
        return covered
    target = max(1, math.ceil(coverage * length))
    while int(covered.sum()) < target:
        span = int(torch.randint(span_min, span_max + 1, (1,), generator=generator))
        span = min(span, length)
        start = int(torch.randint(0, length - span + 1, (1,), generator=generator))
        covered[start:start + span] = True
    return covered


def span_mask(ids: torch.Tensor, residues: torch.Tensor, coverage: float, span_min: int, span_max: int,
              generator: torch.Generator, mask_id: int = MASK) -> tuple[torch.Tensor, torch.Tensor]:
    """BSR masking: every residue in the drawn spans becomes ``<mask>``.

    Residue positions of each row are assumed contiguous (``<cls>`` residues
    ``<eos>`` padding). Returns ``(masked_ids, labels)`` like :func:`mlm_mask`.
    """
    masked = ids.clone()
    labels = torch.full_like(ids, IGNORE)
    for b in range(ids.shape[0]):
        pos = torch.nonzero(residues[b]).squeeze(1)
        if len(pos) == 0:
            continue
        cover = span_positions(len(pos), coverage, span_min, span_max, generator)
        idx = pos[cover]
        labels[b, idx] = ids[b, idx]
        masked[b, idx] = mask_id
    return masked, labels
