"""The four ProtCLIP objectives as small functions of tensors (GC, MLM, BSR, PDA).

Shapes: B proteins, L protein tokens, T text tokens, P = 4 properties, D the
shared-space width (``projection_dim``), V = 33 ESM tokens (the batch alphabet; UniRep's
next-residue term, which stands in for MLM, has V = 25: :mod:`protbench.protclip.protein_encoders.unirep`).

Defaults follow the official code (diaoshaoyou/ProtCLIP); each deviation is an
option or one of three fixes of official bugs, all listed in ``docs/protclip.md``.
The three fixes (on by default):

* **Masked mean pooling.** The released model averaged over all token
  positions, padding and ``<cls>``/``<eos>`` included, so a protein's vector
  depended on the batch's padding. Here every pooling (protein global vector,
  text vector, subtext vectors) is ``protbench.pooling.masked_mean`` over real
  residues / word pieces only, and PDA's min-max normalisation runs over real
  residues only (the released one included padding and could divide by zero).
* **BSR trains its decoder and, by default, the encoder.** The released code
  ran the projections and the cross-attention decoder under ``no_grad``, so only
  the final reconstruction head learned and the "static segment" objective
  could not shape the encoder or the decoder. With ``bsr_grad_to_encoder=False``
  the encoder states are detached (released behaviour for the encoder) while the
  decoder still learns. Which axis the decoder's softmax normalises is an option,
  ``bsr_softmax_over``: ``"protein"`` (official: over protein positions, as its
  decoder was written for a single text vector) or ``"text"`` (over text tokens,
  the usual cross-attention); padding is excluded on both sides either way.
* **PDA is symmetric** (``pda_symmetric``). The released loss meant to average
  both directions but passed the same arguments twice, so it computed
  segment→prototype only; here segment→prototype and prototype→segment are
  averaged (``pda_symmetric=False``: the released one direction).

Also as released: the text encoder is frozen (``freeze_text``), PDA's subtext
vectors are detached, so on the text side PDA trains the prototype bank only;
all 4 properties enter PDA's 4×4 InfoNCE, absent ones as their bare header
(``pda_mask_absent=True`` removes absent properties from the logits instead).

Token-level losses take an optional ``denominator`` so that a global batch
split over processes / accumulation steps yields exactly the loss of the
un-split batch (sum over the local tokens divided by the *global* count).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .masking import IGNORE


def gc_loss(protein: torch.Tensor, text: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """Global contrastive loss: symmetric InfoNCE over a batch of pairs.

    protein, text: ``(N, D)`` L2-normalised (gather across processes before
    calling so that N is the global batch); logit_scale: scalar (already
    exponentiated, i.e. 1/temperature). Row i of ``protein`` pairs with row i
    of ``text``. Returns ``(CE(s·P·Tᵀ, i) + CE(s·T·Pᵀ, i)) / 2`` (mean over rows).
    """
    logits = logit_scale * protein @ text.t()
    target = torch.arange(len(protein), device=protein.device)
    return (F.cross_entropy(logits.float(), target) + F.cross_entropy(logits.t().float(), target)) / 2


def token_ce(logits: torch.Tensor, labels: torch.Tensor, denominator: float | torch.Tensor | None = None
             ) -> torch.Tensor:
    """Cross-entropy summed over labelled positions (``labels != -100``) divided by ``denominator``.

    logits ``(..., V)``, labels ``(...)``. Default denominator: the number of
    labelled positions (a plain mean). Zero when nothing is labelled.
    """
    flat = logits.reshape(-1, logits.shape[-1]).float()
    lab = labels.reshape(-1)
    total = F.cross_entropy(flat, lab, ignore_index=IGNORE, reduction="sum")
    if denominator is None:
        denominator = (lab != IGNORE).sum()
    return total / torch.as_tensor(denominator, dtype=total.dtype).clamp_min(1)


def mlm_loss(logits: torch.Tensor, labels: torch.Tensor, denominator=None) -> torch.Tensor:
    """Protein MLM: cross-entropy of the MLM head at the ~15% masked residues. logits ``(B, L, V)``."""
    return token_ce(logits, labels, denominator)


def cross_attend(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, key_mask: torch.Tensor,
                 heads: int = 1, softmax_over: str = "text", query_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Scaled dot-product attention of protein queries over text keys.

    query ``(B, L, D)``, key/value ``(B, T, D)``, key_mask ``(B, T)`` bool (true at
    real text tokens), query_mask ``(B, L)`` bool (true at real protein tokens; None:
    all). Scores ``q·k / √d_head`` ``(B, H, L, T)``.

    * ``softmax_over="text"``: each protein position's weights sum to 1 over the
      real text tokens (standard cross-attention).
    * ``softmax_over="protein"`` (official ProtCLIP ``FragmentDecoder``): each text
      token's weights sum to 1 over the real protein positions; padded text tokens
      get weight 0.

    Returns ``(B, L, D)`` (rows at masked protein positions are 0 in ``"protein"`` mode).
    """
    B, L, D = query.shape
    T = key.shape[1]
    dh = D // heads
    q = query.view(B, L, heads, dh).transpose(1, 2)
    k = key.view(B, T, heads, dh).transpose(1, 2)
    v = value.view(B, T, heads, dh).transpose(1, 2)
    scores = q @ k.transpose(-1, -2) / dh ** 0.5                        # (B, H, L, T)
    kmask = key_mask[:, None, None, :].bool()
    if softmax_over == "text":
        weights = scores.masked_fill(~kmask, float("-inf")).softmax(-1)
    elif softmax_over == "protein":
        if query_mask is not None:
            scores = scores.masked_fill(~query_mask[:, None, :, None].bool(), float("-inf"))
        weights = scores.softmax(-2).masked_fill(~kmask, 0.0)
    else:
        raise ValueError(f"softmax_over={softmax_over!r}; choose 'protein' (official) or 'text'")
    return (weights @ v).transpose(1, 2).reshape(B, L, D)


def bsr_loss(logits: torch.Tensor, labels: torch.Tensor, denominator=None) -> torch.Tensor:
    """Biotext-guided static segment reconstruction: cross-entropy at the span-masked residues.

    logits ``(B, L, V)`` come from the reconstruction head applied to the
    protein token states after cross-attention over the text tokens
    (:func:`cross_attend`); labels hold the original residues inside the masked spans.
    """
    return token_ce(logits, labels, denominator)


def gumbel_assign(subtexts: torch.Tensor, prototypes: torch.Tensor, tau: float,
                  gumbel_noise: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Snap subtext vectors to the prototype bank with a (soft) Gumbel-softmax.

    subtexts ``(N, D)``, prototypes ``(K, D)``, gumbel_noise ``(N, K)`` standard
    Gumbel samples (None: no noise, the deterministic softmax). Scores are dot
    products ``x·pₖ``; weights ``softmax((scores + g) / tau)``; returns
    ``(weights (N, K) @ prototypes (N, D), weights (N, K))``.
    """
    scores = subtexts @ prototypes.t()
    if gumbel_noise is not None:
        scores = scores + gumbel_noise
    weights = (scores / tau).softmax(-1)
    return weights @ prototypes, weights


def pda_weights(prototypes: torch.Tensor, residues: torch.Tensor, residue_mask: torch.Tensor,
                threshold: float = 0.3) -> torch.Tensor:
    """Residue weights of each property's dynamic segment.

    prototypes ``(B, P, D)`` (property prototypes per protein), residues
    ``(B, L, D)`` (projected residue states), residue_mask ``(B, L)`` bool.
    Scores ``s = prototype · residue``; per (protein, property) min-max
    normalised over real residues to [0, 1]; values below ``threshold`` set to
    0; the rest renormalised to sum 1. Returns ``(B, P, L)``, zero off-residue.
    A constant score row (max = min) gives uniform weights.
    """
    mask = residue_mask[:, None, :].bool()
    s = torch.einsum("bpd,bld->bpl", prototypes, residues)
    lo = s.masked_fill(~mask, float("inf")).amin(-1, keepdim=True)
    hi = s.masked_fill(~mask, float("-inf")).amax(-1, keepdim=True)
    span = hi - lo
    flat = span <= 0
    norm = torch.where(flat, torch.ones_like(s), (s - lo) / torch.where(flat, torch.ones_like(span), span))
    norm = torch.where(mask & (norm >= threshold), norm, torch.zeros_like(norm))
    return norm / norm.sum(-1, keepdim=True).clamp_min(1e-12)


def pda_segments(weights: torch.Tensor, residues: torch.Tensor) -> torch.Tensor:
    """Dynamic segments: ``(B, P, L)`` weights pool ``(B, L, D)`` residues into ``(B, P, D)``."""
    return torch.einsum("bpl,bld->bpd", weights, residues)


def pda_loss(segments: torch.Tensor, prototypes: torch.Tensor, logit_scale: torch.Tensor,
             present: torch.Tensor | None = None, denominator=None, symmetric: bool = True) -> torch.Tensor:
    """Per-protein P×P InfoNCE aligning each property's segment with its prototype.

    segments, prototypes ``(B, P, D)``; present ``(B, P)`` bool (None: all
    present). For protein b: cosine logits ``s·norm(segᵢ)·norm(protoⱼ)`` over
    present properties; loss_b = mean over present i of the cross-entropy of
    segment i against the prototypes, averaged with prototype i against the
    segments when ``symmetric`` (the released loss: segment→prototype only).
    Proteins with fewer than 2 present properties contribute nothing. Returns
    Σ_b loss_b / denominator (default: number of contributing proteins).
    """
    B, P, _ = segments.shape
    if present is None:
        present = torch.ones(B, P, dtype=torch.bool, device=segments.device)
    a = F.normalize(segments.float(), dim=-1)
    b = F.normalize(prototypes.float(), dim=-1)
    logits = logit_scale * torch.einsum("bid,bjd->bij", a, b)            # (B, P, P)
    pair_ok = present[:, :, None] & present[:, None, :]
    logits_sp = logits.masked_fill(~pair_ok, float("-inf"))
    eye = torch.arange(P, device=segments.device)
    diag_sp = logits_sp[:, eye, eye]                                       # (B, P)
    lse_rows = torch.logsumexp(logits_sp, dim=2)                          # segment i over prototypes j
    if symmetric:
        lse_cols = torch.logsumexp(logits_sp, dim=1)                      # prototype j over segments i
        per = ((lse_rows - diag_sp) + (lse_cols - diag_sp)) / 2           # (B, P)
    else:
        per = lse_rows - diag_sp
    per = torch.where(present, per, torch.zeros_like(per))
    n_present = present.sum(1)
    contributes = n_present >= 2
    per_protein = per.sum(1) / n_present.clamp_min(1)
    total = torch.where(contributes, per_protein, torch.zeros_like(per_protein)).sum()
    if denominator is None:
        denominator = contributes.sum()
    return total / torch.as_tensor(denominator, dtype=total.dtype, device=total.device).clamp_min(1)


def term_loss(protein: torch.Tensor, terms: torch.Tensor, aspect: torch.Tensor, targets: torch.Tensor,
              logit_scale: torch.Tensor, denominator=None, aspects: int = 3) -> torch.Tensor:
    """GO-term objective (not one of the paper's four; :mod:`protbench.protclip.terms`): per ontology, a softmax
    over all of its vocabulary terms, every annotated term a positive.

    protein ``(B, D)`` and terms ``(V, D)`` L2-normalised; aspect ``(V,)`` long in ``[0, aspects)``; targets
    ``(B, V)`` bool. For protein i and aspect a with positives Pᵢₐ ≠ ∅, logits ``s·pᵢ·tₖ`` over the terms k of
    aspect a and ``lossᵢₐ = logsumexp_k(logits) − mean_{k∈Pᵢₐ}(logits_k)`` (the cross-entropy against the
    uniform distribution over Pᵢₐ). Returns Σ lossᵢₐ / denominator (default: the number of (i, a) with
    positives); zero when there are none.
    """
    logits = (logit_scale * protein @ terms.t()).float()                 # (B, V)
    total = logits.new_zeros(())
    rows = 0
    for a in range(aspects):
        cols = aspect == a
        if not bool(cols.any()):
            continue
        lg, pos = logits[:, cols], targets[:, cols]
        n = pos.sum(1)
        has = n > 0
        if not bool(has.any()):
            continue
        per = torch.logsumexp(lg, 1) - (lg * pos).sum(1) / n.clamp_min(1)
        total = total + per[has].sum()
        rows += int(has.sum())
    if denominator is None:
        denominator = rows
    return total / torch.as_tensor(denominator, dtype=total.dtype).clamp_min(1)


def term_rows(aspect: torch.Tensor, targets: torch.Tensor, aspects: int = 3) -> int:
    """How many (protein, aspect) rows of ``targets`` ``(B, V)`` have a positive: :func:`term_loss`'s default
    denominator, counted over a global batch."""
    return sum(int(targets[:, aspect == a].any(1).sum()) for a in range(aspects))
