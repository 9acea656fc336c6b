"""Residue masking for MLM (scattered tokens) and BSR (contiguous spans).

Defaults follow the official ProtCLIP code (``mlm_mask(strategy="mask")``: every
selected residue becomes ``<mask>``; ``span_mask(sampler="official")`` is chosen by
``ProtCLIPConfig.bsr_span_sampler``); the alternatives are options, listed with
the reasons in ``docs/protclip.md``.

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
             mask_id: int = MASK, strategy: str = "mask", min_one: bool = False
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Masking of ``probability`` of the residues of each row for protein MLM.

    ids: ``(B, L)`` int64; residues: ``(B, L)`` bool (true at real residues).
    Each residue is selected independently with ``probability``.

    * ``strategy="mask"`` (official ProtCLIP, ``torch_mask_tokens`` in its ``utils.py``):
      every selected residue becomes ``<mask>``.
    * ``strategy="bert"``: BERT's 80/10/10 — ``<mask>`` (80%), a random standard
      amino acid (10%) or unchanged (10%).

    ``min_one=True`` gives a row with residues but no selection one uniformly drawn
    selected residue (so every protein contributes); the official code does not
    (such a protein simply has no MLM label). Returns ``(masked_ids, labels)``;
    labels hold the original id at selected positions and ``-100`` elsewhere.
    """
    if strategy not in ("mask", "bert"):
        raise ValueError(f"unknown MLM strategy {strategy!r}; choose 'mask' (official) or 'bert' (80/10/10)")
    u = torch.rand(ids.shape, generator=generator)
    selected = (u < probability) & residues
    if min_one:
        empty = (selected.sum(1) == 0) & residues.any(1)
        if empty.any():
            r = torch.rand(ids.shape, generator=generator).masked_fill(~residues, -1.0)
            pick = r.argmax(1)
            rows = torch.nonzero(empty).squeeze(1)
            selected[rows, pick[rows]] = True
    masked = ids.clone()
    if strategy == "mask":
        masked[selected] = mask_id
    else:
        action = torch.rand(ids.shape, generator=generator)
        random_aa = STANDARD_AA_IDS[torch.randint(0, len(STANDARD_AA_IDS), ids.shape, generator=generator)]
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


def official_span_positions(lengths: list[int], token_len: int, coverage: float, mask_range: int,
                            generator: torch.Generator) -> torch.Tensor:
    """``(B, token_len)`` bool: the official ProtCLIP fragment sampler (``torch_mask_fragments``), re-stated.

    Works on token positions of the padded batch (``<cls>`` residues ``<eos>`` padding),
    not on each protein's residues:

    * the target is ``coverage · token_len`` positions per row, ``token_len`` being the
      batch's padded length (so a short protein in a batch of long ones gets spans that
      mostly fall on padding, and may end with no masked residue);
    * ``r`` starts at ``mask_range`` (10), or ``token_len // 2`` when ``token_len <
      1.5 · mask_range``; for every span ``r`` is redrawn uniformly in
      ``[r // 2, r]`` and *kept* — span lengths shrink as drawing goes on, across the
      rows of the batch too; a span covers ``r + 1`` positions starting uniformly in
      ``[1, token_len − r − 1]`` (redrawn while the start is already covered);
    * rows are drawn until the covered positions (padding included) reach the target.

    The caller removes special and padding positions from the result. Randomness
    comes from ``generator`` (the official code used Python's ``random``).
    """
    covered = torch.zeros(len(lengths), token_len, dtype=torch.bool)
    r = mask_range
    if token_len < mask_range * 1.5:
        r = token_len // 2
    target = token_len * coverage

    def randint(lo: int, hi: int) -> int:          # inclusive, like random.randint
        return int(torch.randint(lo, hi + 1, (1,), generator=generator))

    for b in range(len(lengths)):
        while int(covered[b].sum()) < target:
            r = randint(r // 2, r)
            r = min(r, max(0, token_len - 2))
            start = randint(1, token_len - r - 1)
            while covered[b, start]:
                start = randint(1, token_len - r - 1)
            covered[b, start:start + r + 1] = True
    return covered


def span_mask(ids: torch.Tensor, residues: torch.Tensor, coverage: float, span_min: int, span_max: int,
              generator: torch.Generator, mask_id: int = MASK, sampler: str = "per_protein",
              mask_range: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """BSR masking: every residue in the drawn spans becomes ``<mask>``.

    ``sampler="per_protein"``: per row, :func:`span_positions` over that protein's
    residues (spans of ``span_min..span_max`` until ``coverage`` of *its* residues).
    ``sampler="official"``: :func:`official_span_positions` over the padded batch
    (``mask_range``; ``span_min`` / ``span_max`` unused), residues only kept.
    Residue positions of each row are assumed contiguous (``<cls>`` residues
    ``<eos>`` padding). Returns ``(masked_ids, labels)`` like :func:`mlm_mask`.
    """
    masked = ids.clone()
    labels = torch.full_like(ids, IGNORE)
    if sampler == "official":
        sel = official_span_positions(residues.sum(1).tolist(), ids.shape[1], coverage, mask_range, generator)
        sel &= residues
        labels[sel] = ids[sel]
        masked[sel] = mask_id
        return masked, labels
    if sampler != "per_protein":
        raise ValueError(f"unknown BSR span sampler {sampler!r}; choose 'official' or 'per_protein'")
    for b in range(ids.shape[0]):
        pos = torch.nonzero(residues[b]).squeeze(1)
        if len(pos) == 0:
            continue
        cover = span_positions(len(pos), coverage, span_min, span_max, generator)
        idx = pos[cover]
        labels[b, idx] = ids[b, idx]
        masked[b, idx] = mask_id
    return masked, labels
