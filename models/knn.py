"""The ``align-knn`` baseline row: no model at all, only the ``alignment-knn`` protocol.

Its registry entry names ``alignment-knn`` as its protocol (:mod:`protbench.protocols.alignment_knn`,
settings through ``--param alignment-knn.<field>=...``); the object below only carries the metadata a
result records. It embeds nothing (no capabilities).
"""
from __future__ import annotations

from protbench.spec import ModelMeta

VERSION = "3"   # bump when the alignment-knn protocol's results can change for the same config


class AlignmentKNN:
    """Metadata of the weight-free alignment kNN baseline."""

    def __init__(self) -> None:
        self.meta = ModelMeta(name="align-knn", fingerprint=f"align-knn-v{VERSION}", dim=0, max_length=1_000_000,
                              capabilities=frozenset(), pooling="none", layer="none",
                              description="alignment kNN: parasail Smith-Waterman (BLOSUM62) identity to the "
                                          "train split, top-k label transfer (protocol alignment-knn)")
