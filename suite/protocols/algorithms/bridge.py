"""BioBridge-style bridge (Wang et al., ICLR 2024): map frozen head embeddings into the tail modality's space.

Heads and tails keep their own frozen unimodal embeddings (e.g. ESM-2 for
proteins, a text encoder for GO terms). A small network learns, for a triple
type ``(head type, relation, tail type)``, a transformation of the head vector
into the tail encoder's space:

    u    = W_in · z(h) + e[head type] + e[relation] + e[tail type]       (hidden size H)
    u   += MLP(LayerNorm(u))            (n_blocks residual blocks, GELU, dropout)
    f(h) = W_out · LayerNorm(u)          (tail dimension)

(``z`` standardises each head feature with the training heads' mean and
standard deviation.) It is trained with InfoNCE on the training triples: for a batch of ``(h_i, t_i)``
the logits are ``cos(f(h_i), t_j) / τ`` over the batch's tails, with the
diagonal as target and *false negatives masked* (a tail ``t_j`` that is also a
true tail of ``h_i`` is removed from ``h_i``'s denominator). With
``negatives="all"`` (``--param bridge.negatives=all``, not BioBridge's choice)
the softmax runs over every candidate tail instead, which lets the bridge learn
tail popularity that in-batch negatives penalise. Retrieval ranks all
candidate tails of the target type by ``cos(f(h), t)``
(:mod:`protbench.protocols.algorithms.retrieval`). The round with the best validation MRR
is kept (early stopping; see :class:`BridgeConfig` for the step budget).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from protbench.protocols.bridge import BridgeConfig

from .retrieval import cosine_ranks, l2_normalize


def _network(d_head: int, d_tail: int, n_types: int, n_relations: int, cfg: BridgeConfig):
    from torch import nn

    class Bridge(nn.Module):
        def __init__(self):
            super().__init__()
            self.w_in = nn.Linear(d_head, cfg.hidden)
            self.type_emb = nn.Embedding(n_types, cfg.hidden)
            self.rel_emb = nn.Embedding(n_relations, cfg.hidden)
            self.blocks = nn.ModuleList(
                nn.Sequential(nn.LayerNorm(cfg.hidden), nn.Linear(cfg.hidden, 2 * cfg.hidden), nn.GELU(),
                              nn.Dropout(cfg.dropout), nn.Linear(2 * cfg.hidden, cfg.hidden))
                for _ in range(cfg.n_blocks))
            self.norm = nn.LayerNorm(cfg.hidden)
            self.w_out = nn.Linear(cfg.hidden, d_tail)

        def forward(self, h, head_type, relation, tail_type):
            u = self.w_in(h) + self.type_emb(head_type) + self.rel_emb(relation) + self.type_emb(tail_type)
            for block in self.blocks:
                u = u + block(u)
            return self.w_out(self.norm(u))

    return Bridge()


@dataclass
class BridgeFit:
    """A trained bridge: ``transform(h) -> (n, d_tail)`` float32, plus training facts."""

    model: object
    triple_type: tuple[int, int, int]
    mean: np.ndarray                 # head standardisation (train statistics)
    scale: np.ndarray
    best_epoch: int                  # best round (0-based)
    best_valid_mrr: float
    history: list[dict]
    seconds: float

    def transform(self, heads: np.ndarray, batch: int = 4096) -> np.ndarray:
        import torch

        self.model.eval()
        ht, rel, tt = self.triple_type
        out = []
        with torch.no_grad():
            for s in range(0, len(heads), batch):
                h = torch.as_tensor(((np.asarray(heads[s:s + batch], dtype=np.float32) - self.mean) / self.scale)
                                    .astype(np.float32))
                n = len(h)
                out.append(self.model(h, torch.full((n,), ht), torch.full((n,), rel),
                                      torch.full((n,), tt)).numpy())
        return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def _infonce_step(model, opt, b: np.ndarray, heads_t, tails_t, true_pairs, n_tails: int,
                  triple_type: tuple[int, int, int], cfg: BridgeConfig) -> float:
    """One optimiser step of InfoNCE on the batch ``b`` of (head row, tail row) pairs; returns the loss.

    ``true_pairs``: ``(n_heads, n_tails)`` boolean CSR matrix of the training triples (the false-negative
    masks are its rows and columns picked by the batch)."""
    import torch
    import torch.nn.functional as F

    ht, rel, tt = triple_type
    n = len(b)
    pred = F.normalize(model(heads_t[b[:, 0]], torch.full((n,), ht), torch.full((n,), rel), torch.full((n,), tt)),
                       dim=-1)
    if cfg.negatives == "all":   # full softmax over the candidates; the head's other true tails are masked
        logits = pred @ tails_t.T / cfg.temperature
        other_true = true_pairs[b[:, 0]].toarray()
        other_true[np.arange(n), b[:, 1]] = False
        logits = logits.masked_fill(torch.as_tensor(other_true), float("-inf"))
        loss = F.cross_entropy(logits, torch.as_tensor(b[:, 1]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.detach())
    if cfg.negatives != "batch":
        raise ValueError(f"bridge negatives must be 'batch' or 'all', not {cfg.negatives!r}")
    logits = pred @ tails_t[b[:, 1]].T / cfg.temperature
    false_neg = true_pairs[b[:, 0]][:, b[:, 1]].toarray()     # t_j is also a true tail of h_i
    np.fill_diagonal(false_neg, False)
    logits = logits.masked_fill(torch.as_tensor(false_neg), float("-inf"))
    loss = F.cross_entropy(logits, torch.arange(n))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.detach())


def fit_bridge(train_heads: np.ndarray, train_pairs: np.ndarray, tails: np.ndarray,
               valid_heads: np.ndarray, valid_positives: Sequence[np.ndarray], seed: int,
               cfg: BridgeConfig | None = None, triple_type: tuple[int, int, int] = (0, 0, 1),
               n_types: int = 2, n_relations: int = 1) -> BridgeFit:
    """Train a bridge on ``train_pairs`` ``(m, 2)`` = (row of ``train_heads``, row of ``tails``).

    ``tails`` ``(n_c, d_tail)`` are the frozen candidate vectors (L2-normalised here);
    validation ranks all of them for ``valid_heads`` with ``valid_positives``.
    """
    cfg = cfg or BridgeConfig()
    return _fit(train_heads, train_pairs, tails, valid_heads, valid_positives, seed, cfg, triple_type, n_types,
                n_relations)


def _fit(train_heads, train_pairs, tails, valid_heads, valid_positives, seed, cfg, triple_type, n_types,
         n_relations) -> BridgeFit:
    import torch
    from scipy import sparse

    t0 = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    train_heads = np.asarray(train_heads, dtype=np.float32)
    mean = train_heads.mean(0)
    scale = np.where(train_heads.std(0) > 1e-8, train_heads.std(0), 1.0).astype(np.float32)
    heads_t = torch.as_tensor((train_heads - mean) / scale)
    tails_n = l2_normalize(tails)
    tails_t = torch.as_tensor(tails_n)
    pairs = np.asarray(train_pairs, dtype=np.int64)
    if len(pairs) == 0:
        raise ValueError("no training triples for the bridge")
    n_tails = len(tails)
    true_pairs = sparse.csr_matrix((np.ones(len(pairs), dtype=bool), (pairs[:, 0], pairs[:, 1])),
                                   shape=(len(train_heads), n_tails))
    model = _network(heads_t.shape[1], tails_t.shape[1], n_types, n_relations, cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    if len(valid_heads) > cfg.max_valid_queries:
        keep = np.sort(rng.choice(len(valid_heads), cfg.max_valid_queries, replace=False))
        valid_heads = np.asarray(valid_heads)[keep]
        valid_positives = [valid_positives[i] for i in keep]
    fit = BridgeFit(model, triple_type, mean, scale, -1, -np.inf, [], 0.0)
    best_state, bad = None, 0
    order, cursor = rng.permutation(len(pairs)), 0
    for epoch in range(cfg.rounds):
        model.train()
        total, batches = 0.0, 0
        while batches < cfg.round_steps:
            if cursor >= len(order):
                order, cursor = rng.permutation(len(pairs)), 0
            b = pairs[order[cursor:cursor + cfg.batch_size]]
            cursor += cfg.batch_size
            if len(b) < 2:
                continue
            total += _infonce_step(model, opt, b, heads_t, tails_t, true_pairs, n_tails, triple_type, cfg)
            batches += 1
        fit.model = model
        ranks = cosine_ranks(fit.transform(valid_heads), tails_n, valid_positives) if len(valid_heads) else None
        mrr = float(np.mean(1.0 / ranks)) if ranks is not None and len(ranks) else float("nan")
        fit.history.append({"round": epoch, "steps": (epoch + 1) * cfg.round_steps, "loss": total / max(batches, 1), "valid_mrr": mrr})
        if ranks is None or mrr > fit.best_valid_mrr:
            fit.best_valid_mrr, fit.best_epoch, bad = mrr, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= cfg.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    fit.model = model
    fit.seconds = time.perf_counter() - t0
    return fit
