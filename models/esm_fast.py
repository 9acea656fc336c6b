"""A lean inference forward for ESM-2 (rotary) weights held in a transformers ``EsmModel``.

Same function as ``EsmModel(input_ids, attention_mask).last_hidden_state`` (token-dropout scaling, pre-LN
layers, query scaled by ``head_dim ** -0.5`` before rotary, erf GELU, final layer norm), computed with less
work per layer (measured in ``benchmarks/bench_embed.py``):

* Q, K and V come from one fused matmul whose query rows carry the ``head_dim ** -0.5`` factor;
* rotary cos/sin are computed once per length and applied in the compute dtype (transformers upcasts Q and
  K to fp32 and back in every layer);
* GELU is ``F.gelu`` (one fused kernel; transformers spells erf-GELU out as five elementwise passes);
* attention is PyTorch SDPA with a boolean key-padding mask.

Inference only (no dropout, no gradients). Used by :class:`protbench.models.esm.ESM2` for the last layer of
ESM-2; ESM-1b (learned positions) and intermediate layers use transformers' forward.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

MASK_RATIO_TRAIN = 0.15 * 0.8      # ESM's token-dropout constant (all ESM training runs)


class EsmInference:
    """Precomputed weights of an ESM-2 ``EsmModel`` for :meth:`forward` (kept in the module's dtype)."""

    def __init__(self, module: torch.nn.Module):
        cfg = module.config
        if getattr(cfg, "position_embedding_type", "absolute") != "rotary" or cfg.emb_layer_norm_before:
            raise ValueError("EsmInference covers ESM-2 (rotary positions, no embedding layer norm)")
        self.heads = cfg.num_attention_heads
        self.head_dim = cfg.hidden_size // cfg.num_attention_heads
        self.eps = cfg.layer_norm_eps
        self.token_dropout = bool(cfg.token_dropout)
        self.mask_id, self.pad_id = cfg.mask_token_id, cfg.pad_token_id
        self.embed = module.embeddings.word_embeddings.weight.detach()
        self.inv_freq = module.rotary_embeddings.inv_freq.detach().float()
        scale = self.head_dim ** -0.5
        self.layers = []
        with torch.no_grad():
            for layer in module.encoder.layer:
                att = layer.attention
                q, k, v = att.self.query, att.self.key, att.self.value
                self.layers.append({
                    "ln1": (att.LayerNorm.weight.detach(), att.LayerNorm.bias.detach()),
                    "qkv_w": torch.cat([q.weight * scale, k.weight, v.weight]).contiguous(),
                    "qkv_b": torch.cat([q.bias * scale, k.bias, v.bias]).contiguous(),
                    "out": (att.output.dense.weight.detach(), att.output.dense.bias.detach()),
                    "ln2": (layer.LayerNorm.weight.detach(), layer.LayerNorm.bias.detach()),
                    "fc1": (layer.intermediate.dense.weight.detach(), layer.intermediate.dense.bias.detach()),
                    "fc2": (layer.output.dense.weight.detach(), layer.output.dense.bias.detach()),
                })
        ln = module.encoder.emb_layer_norm_after
        self.final_ln = (ln.weight.detach(), ln.bias.detach()) if ln is not None else None
        self._rotary: dict[tuple[int, torch.dtype, str], tuple[torch.Tensor, torch.Tensor]] = {}

    def rotary(self, length: int, dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """``(cos, sin)`` of shape ``(length, head_dim)`` in ``dtype`` (cached per length)."""
        key = (length, dtype, str(device))
        if key not in self._rotary:
            freqs = torch.outer(torch.arange(length, dtype=torch.float32), self.inv_freq)
            emb = torch.cat([freqs, freqs], dim=-1).to(device)
            self._rotary[key] = (emb.cos().to(dtype), emb.sin().to(dtype))
        return self._rotary[key]

    @torch.inference_mode()
    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Last hidden states ``(B, L, D)`` (module dtype) for token ids ``(B, L)`` padded with ``pad_id``."""
        keep = ids != self.pad_id                                          # (B, L)
        x = F.embedding(ids, self.embed)
        if self.token_dropout:
            masked = ids == self.mask_id
            x = x.masked_fill(masked.unsqueeze(-1), 0.0)
            observed = masked.sum(-1).float() / keep.sum(-1).float()
            x = (x * ((1 - MASK_RATIO_TRAIN) / (1 - observed))[:, None, None]).to(x.dtype)
        x = x * keep.unsqueeze(-1).to(x.dtype)
        B, L, D = x.shape
        H, hd = self.heads, self.head_dim
        cos, sin = self.rotary(L, x.dtype, x.device)
        half = hd // 2
        attn_mask = keep[:, None, None, :]                                 # (B, 1, 1, L): keys that exist
        for p in self.layers:
            h = F.layer_norm(x, (D,), *p["ln1"], self.eps)
            qkv = F.linear(h, p["qkv_w"], p["qkv_b"]).view(B, L, 3, H, hd).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]                               # (B, H, L, hd)
            q = q * cos + torch.cat([-q[..., half:], q[..., :half]], dim=-1) * sin
            k = k * cos + torch.cat([-k[..., half:], k[..., :half]], dim=-1) * sin
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, scale=1.0)
            x = x + F.linear(a.transpose(1, 2).reshape(B, L, D), *p["out"])
            h = F.layer_norm(x, (D,), *p["ln2"], self.eps)
            x = x + F.linear(F.gelu(F.linear(h, *p["fc1"])), *p["fc2"])
        if self.final_ln is not None:
            x = F.layer_norm(x, (D,), *self.final_ln, self.eps)
        return x
