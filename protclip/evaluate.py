"""Zero-shot protein→text retrieval in the shared space (a pretraining sanity metric).

Each protein's own text is the single correct candidate among all texts of
the set; scores are cosine similarities of the 512-d (``projection_dim``)
shared-space vectors. Chance level: recall@k = k / n, MRR ≈ (ln n + 0.58) / n.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch


def retrieval_metrics(scores: np.ndarray) -> dict[str, float]:
    """Metrics of an ``(n, n)`` score matrix whose diagonal holds the correct pairs (ties count against)."""
    n = scores.shape[0]
    diag = np.diag(scores)
    rank = (scores > diag[:, None]).sum(1) + (scores == diag[:, None]).sum(1)   # 1-based, pessimistic ties
    out = {f"recall@{k}": float((rank <= k).mean()) for k in (1, 5, 10)}
    out["mrr"] = float((1.0 / rank).mean())
    out["mean_rank"] = float(rank.mean())
    out["n"] = n
    out["chance_recall@1"] = 1.0 / n
    return out


@torch.no_grad()
def zero_shot_retrieval(model, seqs: Sequence[str], texts: Sequence[str], batch_size: int = 16,
                        max_length: int | None = None) -> dict[str, dict[str, float]]:
    """``{"protein_to_text": metrics, "text_to_protein": metrics}`` for aligned ``seqs`` / ``texts``."""
    was_training = model.training
    model.eval()
    max_length = max_length or model.cfg.max_protein_length
    P, T = [], []
    for i in range(0, len(seqs), batch_size):
        P.append(model.embed_proteins([s[:max_length] for s in seqs[i:i + batch_size]]))
        T.append(model.embed_texts(list(texts[i:i + batch_size])))
    model.train(was_training)
    p = torch.cat(P).cpu().numpy()
    t = torch.cat(T).cpu().numpy()
    s = p @ t.T
    return {"protein_to_text": retrieval_metrics(s), "text_to_protein": retrieval_metrics(s.T)}
