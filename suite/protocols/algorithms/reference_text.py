"""A fixed reference text encoder for tasks whose evaluated model has no text tower.

The bridge protocol embeds text nodes (GO terms, drugs, diseases) with the
evaluated model's own text tower when it has one, otherwise with this
reference: all-MiniLM-L6-v2 (:class:`protbench.models.text.TextEncoder`, offline,
mean-pooled, L2-normalised, at most ``max_length`` tokens). Its vectors go
through the same content-addressed cache as model vectors (keyed by the
encoder's weight fingerprint), so a rerun embeds no text twice.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
from protbench.spec import Capability, ModelMeta

_VIEWS: dict[tuple[str, int, str], Any] = {}


class ReferenceTextModel:
    """A text-only suite model around :class:`~protbench.models.text.TextEncoder`."""

    def __init__(self, name: str = "minilm", max_length: int = 128):
        from protbench.models.text import TextEncoder

        self.encoder = TextEncoder(name, max_length=max_length)
        self.meta = ModelMeta(name=f"reference-text-{name}", fingerprint=self.encoder.fingerprint,
                              dim=self.encoder.dim, text_dim=self.encoder.dim, max_length=max_length,
                              capabilities=frozenset({Capability.TEXT}), pooling="mean",
                              parameters={"text_max_length": max_length},
                              description="reference text encoder for text nodes (not the evaluated model)")

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.embed_texts(list(texts))


def reference_texts(emb: Any, name: str = "minilm", max_length: int = 128) -> Any:
    """A cached ``Embeddings`` view of the reference encoder sharing ``emb``'s cache folder."""
    from protbench.cache import EmbeddingCache
    from protbench.embed import CachedEmbeddings, EmbedConfig
    from protbench.fetch import default_cache_dir

    cache = getattr(emb, "cache", None)
    root = str(getattr(cache, "root", None) or Path(default_cache_dir()) / "embeddings")
    key = (name, max_length, root)
    if key not in _VIEWS:
        model = ReferenceTextModel(name, max_length)
        _VIEWS[key] = CachedEmbeddings(model, cache if cache is not None else EmbeddingCache(Path(root)),
                                       EmbedConfig(text_batch_size=64, progress=False))
    return _VIEWS[key]
