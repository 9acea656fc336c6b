"""The ``align-knn`` model entry: configuration for the alignment kNN protocol, no learned weights.

The protocol (:mod:`protbench.evaluation.alignment_knn`) reads its settings from
``meta.parameters`` and works on the raw sequences; it never uses embeddings.
``embed_proteins`` only returns the sequence length ``(n, 1)`` so that the
runner's embedding stage stays trivial.
"""
from __future__ import annotations

import hashlib
import json
from typing import Sequence

import numpy as np

from protbench.spec import Capability, ModelMeta


class AlignmentKNN:
    """Nearest-neighbour label transfer by Smith-Waterman identity (settings: see ``KnnConfig``)."""

    def __init__(self, candidates: int = 32, gap_open: int = 11, gap_extend: int = 1, threads: int = 2,
                 ks: Sequence[int] = (1, 3, 5, 10, 20), weightings: Sequence[str] = ("uniform", "identity")):
        from protbench.evaluation.alignment_knn import KnnConfig

        cfg = KnnConfig.from_params({"candidates": candidates, "gap_open": gap_open, "gap_extend": gap_extend,
                                     "threads": threads, "ks": list(ks), "weightings": list(weightings)})
        params = {"protocol": "alignment-knn", **{k: getattr(cfg, k) for k in
                                                  ("candidates", "gap_open", "gap_extend", "threads")},
                  "ks": list(cfg.ks), "weightings": list(cfg.weightings)}
        fp = hashlib.sha256(json.dumps({k: v for k, v in params.items() if k != "threads"},
                                       sort_keys=True).encode()).hexdigest()[:16]
        self.meta = ModelMeta(name="align-knn", fingerprint=f"align-knn-{fp}", dim=1, max_length=1_000_000,
                              capabilities=frozenset({Capability.PROTEIN}), pooling="none", layer="none",
                              description="alignment kNN: parasail Smith-Waterman (BLOSUM62) identity to the "
                                          "train split, top-k label transfer", parameters=params)

    def embed_proteins(self, seqs: Sequence[str]) -> np.ndarray:
        """``(n, 1)`` sequence lengths (a placeholder the kNN protocol never reads)."""
        return np.array([[len(s)] for s in seqs], dtype=np.float32).reshape(len(seqs), 1)
