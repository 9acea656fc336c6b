"""A fixed reference text encoder for tasks whose evaluated model has no text tower.

The bridge protocol embeds text nodes (GO terms, drugs, diseases) with the
evaluated model's own text tower when it has one, otherwise with this
reference: all-MiniLM-L6-v2 (:class:`protbench.models.text.ReferenceTextModel`, offline,
mean-pooled, L2-normalised, at most ``max_length`` tokens). Its vectors go
through the same content-addressed cache as model vectors (keyed by the
encoder's weight fingerprint), so a rerun embeds no text twice.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from protbench.registry import load_name

# the reference text encoder, by its lazy registry name (protbench.suite never imports model code directly)
REFERENCE_TEXT_MODEL = "protbench.models.text:ReferenceTextModel"

_VIEWS: dict[tuple[str, int, str], Any] = {}


def reference_texts(emb: Any, name: str = "minilm", max_length: int = 128) -> Any:
    """A cached ``Embeddings`` view of the reference encoder sharing ``emb``'s cache folder."""
    from protbench.cache import EmbeddingCache
    from protbench.embed import CachedEmbeddings, EmbedConfig
    from protbench.fetch import default_cache_dir

    cache = getattr(emb, "cache", None)
    root = str(getattr(cache, "root", None) or Path(default_cache_dir()) / "embeddings")
    key = (name, max_length, root)
    if key not in _VIEWS:
        model = load_name(REFERENCE_TEXT_MODEL)(name, max_length)
        _VIEWS[key] = CachedEmbeddings(model, cache if cache is not None else EmbeddingCache(Path(root)),
                                       EmbedConfig(text_batch_size=64, progress=False))
    return _VIEWS[key]
