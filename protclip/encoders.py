"""The text (BERT-family) encoder, through transformers.

Protein encoders live in :mod:`protbench.protclip.protein_encoders` (ESM-2, UniRep).

* Text: ``"minilm"`` (packaged all-MiniLM-L6-v2), any local BERT-family folder
  (PubMedBERT for real runs; loaded offline), or ``"random"`` built from
  ``text_model_config`` with the tokenizer of ``text_tokenizer`` (default: MiniLM's
  WordPiece vocabulary).

Texts are pooled with ``protbench.pooling.masked_mean`` over real word pieces only
(see :mod:`protbench.protclip.objectives` for why this matters).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import torch

from .config import ProtCLIPConfig


def _tokenizer(path: str | Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, local_files_only=True)


def build_text_encoder(cfg: ProtCLIPConfig) -> tuple[torch.nn.Module, Any]:
    """``(text model, tokenizer)`` for ``cfg.text_model``; the tokenizer may be None (released weights, no vocab)."""
    from transformers import AutoConfig, AutoModel

    from protbench.models.text import minilm_path, resolve_text_model

    if cfg.text_model == "random":
        d = dict(cfg.text_model_config or {})
        model_type = d.pop("model_type", "bert")
        for k in ("architectures",):
            d.pop(k, None)
        tconf = AutoConfig.for_model(model_type, **d)
        torch.manual_seed(cfg.seed + 1)
        if model_type == "bert":
            from transformers import BertModel

            model = BertModel(tconf, add_pooling_layer=False)
        else:
            model = AutoModel.from_config(tconf)
        tok_path = cfg.text_tokenizer
        if tok_path == "none":
            tok_path = None
        elif tok_path is None:
            try:
                tok_path = str(minilm_path())
            except FileNotFoundError:
                tok_path = None
        tokenizer = _tokenizer(tok_path) if tok_path else None
        if tokenizer is not None and len(tokenizer) > tconf.vocab_size:
            raise ValueError(f"text tokenizer {tok_path} has {len(tokenizer)} tokens but the text model's "
                             f"vocab_size is {tconf.vocab_size}; give text_tokenizer of the matching vocabulary")
        return model, tokenizer
    path = resolve_text_model(cfg.text_model)
    kwargs = {"add_pooling_layer": False} if AutoConfig.from_pretrained(path, local_files_only=True
                                                                         ).model_type == "bert" else {}
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()          # the dropped pooler is expected; keep the load report quiet
    try:
        model = AutoModel.from_pretrained(path, local_files_only=True, **kwargs)
    finally:
        hf_logging.set_verbosity(level)
    return model, _tokenizer(cfg.text_tokenizer or path)


def tokenize_texts(tokenizer, texts: Sequence[str], max_length: int) -> dict[str, torch.Tensor]:
    """``input_ids``/``attention_mask`` ``(B, T)`` and ``word_mask`` (true at real word pieces, not [CLS]/[SEP]/pad)."""
    if tokenizer is None:
        raise FileNotFoundError("this ProtCLIP model has no text tokenizer: give text_tokenizer=PATH of a local "
                                "folder with the text encoder's vocabulary (e.g. PubMedBERT for released weights)")
    enc = tokenizer(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt",
                    return_special_tokens_mask=True)
    special = enc.pop("special_tokens_mask").bool()
    out = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
    out["word_mask"] = enc["attention_mask"].bool() & ~special
    return out
