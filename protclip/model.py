"""The ProtCLIP module: encoders, heads, and the combined pretraining loss.

``ProtCLIP(cfg)(batch)`` returns the weighted total loss and each term (see
:func:`protbench.protclip.data.collate` for the batch layout). Embedding helpers
(``protein_states``, ``embed_proteins``, ``embed_texts``) serve the suite model
and the zero-shot evaluation.

The protein encoder is a :class:`~protbench.protclip.protein_encoders.ProteinEncoder`
(``protein_encoder``: ESM-2 by default, or UniRep) whose module is ``protein_model``.
With a frozen encoder, ``protein_cache`` (:mod:`protbench.protclip.protein_cache`) supplies the states of
the unmasked ids (GC, PDA, a clean unimodal term); BSR's span-masked ids always run the encoder.

Parameters (names chosen to match the released ``FSTForPretrain`` where it has
the same module): ``protein_model`` (the encoder's module), ``text_model`` (BERT-family),
``protein_projection``/``text_projection`` (→ D), ``logit_scale`` (log 1/T),
``mlm_head`` (the encoder's unimodal head: ESM-2's MLM head, UniRep's next-residue head),
``bsr_decoder`` + ``bsr_head`` (released ``decoder`` / ``t2p_mlm_head``),
``prototypes`` (released ``proto_bank.prototype``), ``local_logit_scale``; with the GO-term objective
(``loss_weights["terms"]``, not the paper's) also ``term_logit_scale``, and the trainer sets ``term_bank``
(the frozen text encoder's pooled states of the vocabulary's term texts, :mod:`protbench.protclip.terms`).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from protbench.models.esm import PAD, tokenize
from protbench.pooling import masked_mean

from . import distributed as dist_utils
from .config import ProtCLIPConfig
from .encoders import build_text_encoder, tokenize_texts
from .heads import CrossAttentionDecoder, projection, token_head
from .objectives import (bsr_loss, gc_loss, gumbel_assign, mlm_loss, pda_loss, pda_segments, pda_weights,
                         term_loss)
from .protein_encoders import build_protein_encoder

VOCAB = 33


class ProtCLIP(nn.Module):
    """ProtCLIP with a protein encoder (ESM-2 or UniRep) + a BERT-family text encoder;
    ``forward(batch) -> {"loss", "gc", "mlm", "bsr", "pda"}``.

    ``from_checkpoint=True``: every tensor will be loaded from a checkpoint, so the protein
    encoder need not read its pretrained files (UniRep skips them; ESM-2 is built as always).
    """

    def __init__(self, cfg: ProtCLIPConfig, attn: str = "sdpa", from_checkpoint: bool = False):
        super().__init__()
        self.cfg = cfg
        self.protein_encoder = build_protein_encoder(cfg, attn, from_checkpoint)
        self.protein_model = self.protein_encoder.module
        self.text_model, self.tokenizer = build_text_encoder(cfg)
        dp = self.protein_encoder.hidden_size
        dt = self.text_model.config.hidden_size
        d = cfg.projection_dim
        torch.manual_seed(cfg.seed + 2)
        self.protein_projection = projection(dp, d)
        self.text_projection = projection(dt, d)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / cfg.logit_scale_init)))
        self.mlm_head = self.protein_encoder.unimodal_head(d)
        self.bsr_decoder = CrossAttentionDecoder(d, cfg.bsr_heads, cfg.bsr_softmax_over)
        self.bsr_head = token_head(d, d, VOCAB)
        self.prototypes = nn.Embedding(cfg.proto_num, cfg.proto_dim)
        self.local_logit_scale = nn.Parameter(torch.tensor(math.log(1 / cfg.local_logit_scale_init)))
        if cfg.enabled("terms"):
            self.term_logit_scale = nn.Parameter(torch.tensor(math.log(1 / cfg.logit_scale_init)))
        self.term_bank: tuple[torch.Tensor, torch.Tensor] | None = None   # (pooled (V, Dt), aspect (V,)), trainer
        self.text_cache: dict[str, torch.Tensor] | None = None
        self.protein_cache = None     # a protein_cache.ProteinStateCache (frozen encoder only), set by the trainer
        self.apply_freezing()

    # -- parameters ---------------------------------------------------------------------------------
    def apply_freezing(self) -> None:
        """Freeze what the protein encoder freezes (ESM's unused contact head; UniRep per ``unirep_train``),
        the text encoder (``freeze_text``), and heads of switched-off objectives."""
        self.protein_encoder.apply_freezing(self.mlm_head)
        if self.cfg.freeze_text:
            self.text_model.requires_grad_(False)
            if self.cfg.freeze_text_mode == "eval":
                self.text_model.eval()
        off = {"mlm": [self.mlm_head], "bsr": [self.bsr_decoder, self.bsr_head],
               "pda": [self.prototypes]}
        for name, mods in off.items():
            if not self.cfg.enabled(name):
                for m in mods:
                    m.requires_grad_(False)
        if not self.cfg.enabled("pda"):
            self.local_logit_scale.requires_grad_(False)
        if not self.cfg.enabled("gc"):
            self.logit_scale.requires_grad_(False)
        if not (self.cfg.enabled("gc") or self.cfg.enabled("bsr") or self.cfg.enabled("terms")):
            self.text_projection.requires_grad_(False)
        if not any(self.cfg.enabled(k) for k in ("gc", "bsr", "pda", "terms")):
            self.protein_projection.requires_grad_(False)

    def train(self, mode: bool = True):
        """Train mode; a frozen text encoder stays in eval mode only with ``freeze_text_mode="eval"``
        (official: the frozen encoder's dropout is active during training)."""
        super().train(mode)
        if self.cfg.freeze_text and self.cfg.freeze_text_mode == "eval":
            self.text_model.eval()
        return self

    def text_dropout_active(self) -> bool:
        """Whether the text encoder applies dropout during training (then its states cannot be cached)."""
        if self.cfg.freeze_text and self.cfg.freeze_text_mode == "eval":
            return False
        return any(isinstance(m, nn.Dropout) and m.p > 0 for m in self.text_model.modules())

    def scale(self, log_scale: torch.Tensor) -> torch.Tensor:
        """``exp`` of a learnable log logit-scale, capped in the forward pass only with ``logit_scale_clamp="forward"``."""
        if self.cfg.logit_scale_clamp == "forward":
            log_scale = log_scale.clamp(max=math.log(self.cfg.max_logit_scale))
        return log_scale.exp()

    @torch.no_grad()
    def clamp_logit_scales(self) -> None:
        """With ``logit_scale_clamp="param"`` (CLIP), clamp both log-scales to ``[0, log(max_logit_scale)]``;
        called after every optimiser step."""
        if self.cfg.logit_scale_clamp == "param":
            hi = math.log(self.cfg.max_logit_scale)
            self.logit_scale.clamp_(0.0, hi)
            self.local_logit_scale.clamp_(0.0, hi)
            if self.cfg.enabled("terms"):
                self.term_logit_scale.clamp_(0.0, hi)

    # -- encoders -----------------------------------------------------------------------------------
    def protein_states(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, L, Dp)`` protein-encoder states for batch-layout token ids ``(B, L)`` (ESM-2: last layer)."""
        return self.protein_encoder.states(ids)

    def clean_protein_states(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(states (B, L, Dp), pooled (B, Dp) | None)`` of *unmasked* ids: from ``protein_cache`` when one is set
        (the frozen encoder's states, computed once per sequence), else the encoder's states and ``None``."""
        if self.protein_cache is None:
            return self.protein_states(ids), None
        return self.protein_cache.lookup(ids)

    def text_states(self, texts: Sequence[str], max_length: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(states (B, T, Dt), attention_mask (B, T) bool, word_mask (B, T) bool)`` for a list of texts.

        With a frozen encoder the states carry no gradient; when ``text_cache``
        is a dict, each text's states are computed once (keyed by max_length
        and text) and reused in bf16 — for multi-epoch CPU runs and for sharing
        features between runs (``PretrainConfig.text_cache_file``); results then
        differ from uncached ones at bf16 rounding, so exact-resume tests keep it off).
        """
        enc = tokenize_texts(self.tokenizer, texts, max_length)
        dev = next(self.protein_projection.parameters()).device
        frozen = self.cfg.freeze_text
        if self.text_cache is not None and frozen:
            keys = [f"{max_length}\t{t}" for t in texts]
            missing = [i for i, k in enumerate(keys) if k not in self.text_cache]
            if missing:
                sub = {k: v[missing].to(dev) for k, v in enc.items() if k != "word_mask"}
                with torch.no_grad():
                    out = self.text_model(**sub).last_hidden_state
                for j, i in enumerate(missing):
                    n = int(sub["attention_mask"][j].sum())
                    self.text_cache[keys[i]] = out[j, :n].detach().cpu().to(torch.bfloat16)
            T = enc["input_ids"].shape[1]
            states = torch.zeros(len(texts), T, self.text_model.config.hidden_size, device=dev)
            for i, k in enumerate(keys):
                s = self.text_cache[k]
                states[i, :len(s)] = s.to(dev).float()
        else:
            with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen):
                states = self.text_model(input_ids=enc["input_ids"].to(dev),
                                         attention_mask=enc["attention_mask"].to(dev)).last_hidden_state
        return states, enc["attention_mask"].bool().to(dev), enc["word_mask"].to(dev)

    def shared_protein(self, states: torch.Tensor, residues: torch.Tensor) -> torch.Tensor:
        """``(B, D)`` L2-normalised shared-space protein vectors from states and the pooling mask
        (``protein_encoder.pool_mask``: ESM-2 residues; UniRep start + residues)."""
        return F.normalize(self.protein_projection(masked_mean(states, residues)), dim=-1)

    def shared_text(self, states: torch.Tensor, word_mask: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text_projection(masked_mean(states, word_mask)), dim=-1)

    @torch.no_grad()
    def pooled_texts(self, texts: Sequence[str], batch_size: int = 64) -> torch.Tensor:
        """``(N, Dt)`` frozen text-encoder means over word pieces (what :meth:`shared_text` projects), at
        ``max_text_length``, in batches of similar length (through ``text_cache`` when set)."""
        order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
        out = torch.zeros(len(texts), self.text_model.config.hidden_size)
        for lo in range(0, len(order), batch_size):
            idx = order[lo:lo + batch_size]
            states, _, words = self.text_states([texts[i] for i in idx], self.cfg.max_text_length)
            out[idx] = masked_mean(states, words).float().cpu()
        return out

    @torch.no_grad()
    def embed_proteins(self, seqs: Sequence[str], space: str = "shared") -> torch.Tensor:
        """``(B, D)`` shared-space vectors (``space="shared"``) or ``(B, Dp)`` encoder means (``"encoder"``)."""
        ids = tokenize(list(seqs)).to(next(self.parameters()).device)
        states, pooled = self.clean_protein_states(ids)
        res = self.protein_encoder.pool_mask(ids)
        if pooled is None:
            pooled = masked_mean(states, res)
        if space == "encoder":
            return pooled.float()
        return F.normalize(self.protein_projection(pooled), dim=-1).float()

    @torch.no_grad()
    def embed_texts(self, texts: Sequence[str]) -> torch.Tensor:
        """``(B, D)`` shared-space text vectors."""
        states, _, words = self.text_states(texts, self.cfg.max_text_length)
        return self.shared_text(states, words).float()

    # -- pretraining loss ---------------------------------------------------------------------------
    def forward(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Weighted total loss and per-term values for one (local) batch.

        ``batch`` from :func:`protbench.protclip.data.collate` (already on this
        process's slice); ``batch["denominators"]`` hold the *global* counts of
        MLM / BSR labels and PDA-contributing proteins, ``batch["scale"]`` the
        factor (world size) that makes DDP's gradient averaging exact, and
        ``batch["gc_weight"]`` 1/accumulation steps.
        """
        cfg, w = self.cfg, self.cfg.loss_weights
        ids, res = batch["ids"], batch["residues"]
        denom, scale = batch["denominators"], batch.get("scale", 1.0)
        terms: dict[str, torch.Tensor] = {}
        zero = self.logit_scale.new_zeros(())
        total = zero
        need_text = cfg.enabled("gc") or cfg.enabled("bsr")
        reuse = self.protein_encoder.unimodal_on_clean_ids      # unimodal term reads the unmasked ids
        need_states = (any(cfg.enabled(k) for k in ("gc", "pda", "terms"))
                       or (cfg.enabled("mlm") and reuse))
        if need_text:
            t_states, t_attn, t_words = self.text_states(batch["texts"], cfg.max_text_length)
        if need_states:          # the unmasked ids: cached when protein_cache is set (GC, PDA, clean unimodal term)
            states, pooled = self.clean_protein_states(ids)
        if cfg.enabled("gc") or cfg.enabled("terms"):
            p = (self.shared_protein(states, self.protein_encoder.pool_mask(ids)) if pooled is None
                 else F.normalize(self.protein_projection(pooled), dim=-1))
        if cfg.enabled("terms"):
            if self.term_bank is None:
                raise RuntimeError("the GO-term objective needs term_bank (set by the trainer from the vocabulary)")
            bank, aspect = (x.to(p.device) for x in self.term_bank)
            terms["terms"] = term_loss(p, F.normalize(self.text_projection(bank), dim=-1), aspect,
                                       batch["term_targets"].to(p.device), self.scale(self.term_logit_scale),
                                       denom["terms"])
            total = total + w["terms"] * scale * terms["terms"]
        if cfg.enabled("gc"):
            t = self.shared_text(t_states, t_words)
            p_all, t_all = dist_utils.gather_with_grad(p), dist_utils.gather_with_grad(t)
            terms["gc"] = gc_loss(p_all, t_all, self.scale(self.logit_scale)) * batch.get("gc_weight", 1.0)
            total = total + w["gc"] * terms["gc"]
        if cfg.enabled("mlm"):
            logits = self.mlm_head(states if reuse else self.protein_states(batch["mlm_ids"]))
            terms["mlm"] = mlm_loss(logits, batch["mlm_labels"], denom["mlm"])
            total = total + w["mlm"] * scale * terms["mlm"]
        if cfg.enabled("bsr"):       # span-masked ids: always the encoder itself (protein_cache docstring)
            s_states = self.protein_states(batch["bsr_ids"])
            if not cfg.bsr_grad_to_encoder:
                s_states = s_states.detach()
            fused = self.bsr_decoder(self.protein_projection(s_states), self.text_projection(t_states), t_attn,
                                     batch["bsr_ids"] != PAD)
            terms["bsr"] = bsr_loss(self.bsr_head(fused), batch["bsr_labels"], denom["bsr"])
            total = total + w["bsr"] * scale * terms["bsr"]
        if cfg.enabled("pda"):
            terms["pda"] = self.pda_term(batch, states, res, denom["pda"])
            total = total + w["pda"] * scale * terms["pda"]
        terms["loss"] = total
        return terms

    def pda_term(self, batch: dict[str, Any], states: torch.Tensor, res: torch.Tensor, denominator) -> torch.Tensor:
        cfg = self.cfg
        subtexts: list[list[str]] = batch["subtexts"]            # B × P strings (data.pda_subtexts)
        present: torch.Tensor = batch["present"].to(states.device)  # (B, P)
        B, P = present.shape
        flat = [s for row in subtexts for s in row]
        use = present.reshape(-1).tolist() if cfg.pda_mask_absent else [True] * len(flat)
        keep = [i for i, u in enumerate(use) if u]
        with torch.no_grad():
            vec = states.new_zeros(B * P, cfg.projection_dim)
            if keep:
                st, _, sw = self.text_states([flat[i] for i in keep], cfg.max_subtext_length)
                vec[keep] = self.text_projection(masked_mean(st, sw)).to(vec.dtype)
        protos, _ = gumbel_assign(vec, self.prototypes.weight, cfg.gumbel_tau, batch["gumbel"].to(vec.device))
        protos = protos.view(B, P, -1)
        residues = self.protein_projection(states)
        weights = pda_weights(protos, residues, res, cfg.pda_threshold)
        segments = pda_segments(weights, residues)
        mask = present if cfg.pda_mask_absent else None
        return pda_loss(segments, protos, self.scale(self.local_logit_scale), mask, denominator, cfg.pda_symmetric)
