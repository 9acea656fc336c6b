"""A GNN-PPI-style pair classifier on frozen protein embeddings, in plain torch (config:
:class:`~protbench.protocols.ppi_gnn.PpiGnnConfig`).

Nodes are proteins with frozen embedding vectors ``x`` ``(N, d)``; edges are the *training* pairs
only (GNN-PPI's "GCT" graph: validation and test pairs never pass messages). The network:

1. ``Linear(d, hidden)`` input projection (GNN-PPI projects its sequence encoder output to 256);
2. ``layers`` GIN layers ``h <- MLP((1 + eps) * h + A @ h)`` with a trainable ``eps`` and
   ``MLP = Linear-ReLU-Linear-ReLU-BatchNorm`` (A: sparse symmetric adjacency; row-normalised,
   i.e. *mean* aggregation, by default, or GIN's/GNN-PPI's *sum* with ``aggregation="sum"``);
   the ``pair-mlp`` protocol uses the same MLPs without the ``A @ h`` term (no graph);
3. ``Linear-ReLU-Dropout(0.5)-Linear`` per node, pair vector = element-wise product of the two
   proteins' vectors, ``Linear(hidden, 7)`` logits, trained with ``BCEWithLogitsLoss``.

Training follows GNN-PPI (Adam, lr 1e-3, weight decay 5e-4, edge mini-batches with a full-graph
forward pass per step) with early stopping on validation micro-F1 (best epoch kept, ``patience``
epochs without improvement stop the run). Hidden width defaults to 256 instead of GNN-PPI's 512
to keep a CPU run short; it is a parameter.

Why mean aggregation by default: on BFS/DFS splits every test pair has a protein with no
training edges, so it is an isolated node in the training graph. With sum aggregation seen
proteins get ``h + sum of ~9 neighbours`` and unseen ones ``h`` alone, a scale shift the network
never sees in training: on SHS27k with amino-acid composition features, sum-GIN's validation
micro-F1 peaked at epoch 1–2 for all 3 BFS and 3 DFS seeds (test 0.43 / 0.44), while mean
aggregation trains normally (seed 0: BFS 0.530 vs 0.468, DFS 0.476 vs 0.43; random 0.847 vs 0.861).
"""
from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import torch
from protbench.protocols.ppi_gnn import PpiGnnConfig as PpiConfig
from torch import nn


def sparse_adjacency(pairs: np.ndarray, n_nodes: int, mean: bool = False) -> torch.Tensor:
    """Symmetric ``(N, N)`` sparse COO adjacency, one entry per direction of each pair (a self pair once).

    Entries are 1 (``A @ h`` sums neighbours) or, with ``mean=True``, 1/degree of the row (averages).
    """
    p = torch.as_tensor(np.asarray(pairs, dtype=np.int64).reshape(-1, 2))
    loops = p[:, 0] == p[:, 1]
    rows = torch.cat([p[:, 0], p[~loops, 1]])
    cols = torch.cat([p[:, 1], p[~loops, 0]])
    values = torch.ones(rows.numel(), dtype=torch.float32)
    if mean and rows.numel():
        degree = torch.bincount(rows, minlength=n_nodes).float()
        values = values / degree[rows]
    return torch.sparse_coo_tensor(torch.stack([rows, cols]), values, (n_nodes, n_nodes),
                                   check_invariants=True).coalesce()


class NodeLayer(nn.Module):
    """One GIN layer, or (``graph=False``) the same MLP applied to each node alone: ``(N, in_dim) -> (N, dim)``."""

    def __init__(self, dim: int, graph: bool, in_dim: int | None = None):
        super().__init__()
        self.graph = graph
        self.eps = nn.Parameter(torch.zeros(1)) if graph else None
        self.mlp = nn.Sequential(nn.Linear(in_dim or dim, dim), nn.ReLU(), nn.Linear(dim, dim), nn.ReLU(),
                                 nn.BatchNorm1d(dim))

    def forward(self, h: torch.Tensor, adj: torch.Tensor | None) -> torch.Tensor:
        if self.graph:
            h = (1 + self.eps) * h + torch.sparse.mm(adj, h)
        return self.mlp(h)


class PairNet(nn.Module):
    """Node encoder (GIN or per-node MLP) + element-wise product pair head with ``n_types`` logits.

    The node input is ``Linear(in_dim, hidden)`` of the frozen vectors (default), ``Linear(in_dim,
    cfg.input_dim)`` with the first GIN layer mapping ``input_dim -> hidden`` (``input_dim > 0``: GNN-PPI's
    ``fc1`` to 256, the PLM papers' projection), or a trainable ``encoder`` module of the raw inputs (its
    ``out_dim`` feeds the first GIN layer), trained with the rest.
    """

    def __init__(self, in_dim: int, n_types: int, cfg: PpiConfig, graph: bool, encoder: nn.Module | None = None):
        super().__init__()
        if encoder is not None:
            self.inp, first = encoder, int(encoder.out_dim)
        elif cfg.input_dim > 0:
            self.inp, first = nn.Linear(in_dim, cfg.input_dim), cfg.input_dim
        else:
            self.inp, first = nn.Linear(in_dim, cfg.hidden), cfg.hidden
        self.layers = nn.ModuleList(NodeLayer(cfg.hidden, graph, first if i == 0 else None)
                                    for i in range(max(1, cfg.layers)))
        self.lin1 = nn.Linear(cfg.hidden, cfg.hidden)
        self.drop = nn.Dropout(cfg.dropout)
        self.lin2 = nn.Linear(cfg.hidden, cfg.hidden)
        self.out = nn.Linear(cfg.hidden, n_types)

    def nodes(self, x: torch.Tensor, adj: torch.Tensor | None) -> torch.Tensor:
        h = self.inp(x)
        for layer in self.layers:
            h = layer(h, adj)
        return self.lin2(self.drop(torch.relu(self.lin1(h))))

    def forward(self, x: torch.Tensor, adj: torch.Tensor | None, pairs: torch.Tensor) -> torch.Tensor:
        h = self.nodes(x, adj)
        # index_select, not h[idx]: the backward of advanced indexing (index_put_ with accumulate) sums repeated
        # rows in a thread-dependent order on CPU, so a two-thread fit gave other numbers on every run
        return self.out(torch.index_select(h, 0, pairs[:, 0]) * torch.index_select(h, 0, pairs[:, 1]))


@dataclass
class PpiFit:
    """A trained pair classifier: ``predict(pairs) -> (n, 7)`` probabilities; history per epoch."""

    model: PairNet
    x: torch.Tensor
    adj: torch.Tensor | None
    best_epoch: int
    epochs: int
    best_valid: float
    seconds: float
    seconds_per_epoch: float
    config: PpiConfig
    last_state: dict[str, torch.Tensor] | None = None     # the last epoch's weights, when another was selected

    @torch.no_grad()
    def predict(self, pairs: np.ndarray, last_epoch: bool = False) -> np.ndarray:
        """Probabilities of the selected epoch's network (``last_epoch=True``: of the last epoch's)."""
        model = self.model
        if last_epoch and self.last_state is not None:
            model = copy.deepcopy(self.model)
            model.load_state_dict(self.last_state)
        model.eval()
        p = torch.as_tensor(np.asarray(pairs, dtype=np.int64).reshape(-1, 2))
        if len(p) == 0:
            return np.zeros((0, model.out.out_features), dtype=np.float32)
        return torch.sigmoid(model(self.x, self.adj, p)).numpy().astype(np.float32)

    def info(self) -> dict[str, Any]:
        return {"config": asdict(self.config), "best_epoch": self.best_epoch, "epochs_run": self.epochs,
                "best_valid": round(self.best_valid, 6), "fit_seconds": round(self.seconds, 3),
                "seconds_per_epoch": round(self.seconds_per_epoch, 4)}


def standardize(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``(x - mean) / std`` with mean/std over ``rows`` of ``x`` (std 0 → 1)."""
    ref = x[rows] if len(rows) else x
    mu = ref.mean(axis=0)
    sd = ref.std(axis=0)
    sd[sd == 0] = 1.0
    return ((x - mu) / sd).astype(np.float32)


def fit_pairs(x: np.ndarray, pairs: np.ndarray, labels: np.ndarray, train: np.ndarray, valid: np.ndarray,
              select: Callable[[np.ndarray, np.ndarray], float], seed: int = 0, graph: bool = True,
              config: PpiConfig | None = None, log: Callable[[str], None] | None = None,
              graph_edges: np.ndarray | None = None,
              encoder: Callable[[], nn.Module] | None = None) -> PpiFit:
    """Train on edges ``train`` (indices into ``pairs``), stop early on ``select`` over edges ``valid``.

    ``x`` ``(N, d)`` node features; ``pairs`` ``(E, 2)``; ``labels`` ``(E, C)`` 0/1. With
    ``graph=True`` the message-passing graph is ``graph_edges`` (default: the training pairs, so
    validation and test pairs stay out of it). ``encoder`` builds (under the seed) a module that maps ``x``
    — then the model's raw inputs, e.g. residue indices — to node vectors and is trained with the rest;
    every step runs it on every node, as GNN-PPI does. ``config.select_on == "last"`` keeps the last epoch
    (no early stopping); otherwise the last epoch's weights are kept beside the selected ones
    (``PpiFit.predict(..., last_epoch=True)``). Deterministic in ``seed`` (torch CPU).
    """
    cfg = config or PpiConfig()
    if cfg.aggregation not in ("sum", "mean"):
        raise ValueError(f"aggregation must be 'sum' or 'mean', not {cfg.aggregation!r}")
    return _fit(x, pairs, labels, train, valid, select, seed, graph, cfg, log, graph_edges, encoder)


def _fit(x, pairs, labels, train, valid, select, seed, graph, cfg: PpiConfig, log, graph_edges=None,
         encoder=None) -> PpiFit:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    train = np.asarray(train, dtype=np.int64)
    valid = np.asarray(valid, dtype=np.int64)
    if len(train) == 0:
        raise ValueError("no training pairs: the split left nothing to train on")
    n_nodes = x.shape[0]
    if encoder is None:
        if cfg.standardize:
            x = standardize(x, np.unique(pairs[train].ravel()))
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    else:                                    # raw model inputs, mapped by the trained encoder
        xt = torch.as_tensor(x)
    mean = cfg.aggregation == "mean"
    edges = train if graph_edges is None else np.asarray(graph_edges, dtype=np.int64)
    adj = sparse_adjacency(pairs[edges], n_nodes, mean) if graph else None
    y = torch.as_tensor(np.asarray(labels, dtype=np.float32))
    pt = torch.as_tensor(np.asarray(pairs, dtype=np.int64))
    model = PairNet(xt.shape[1], y.shape[1], cfg, graph, encoder() if encoder is not None else None)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5,
                                                         patience=cfg.lr_plateau_patience) \
        if cfg.lr_plateau_patience > 0 else None
    loss_fn = nn.BCEWithLogitsLoss()
    y_valid = labels[valid]
    best, best_epoch, best_state, waited = -np.inf, -1, None, 0
    t0 = time.perf_counter()
    epoch = 0
    in_train = np.zeros(len(pairs), dtype=bool)
    for epoch in range(1, cfg.max_epochs + 1):
        model.train()
        order = torch.as_tensor(train)[torch.randperm(len(train), generator=gen)]
        epoch_loss = 0.0
        for start in range(0, len(order), cfg.batch_size):
            batch = order[start:start + cfg.batch_size]
            step_adj = adj
            if graph and cfg.hide_batch_edges:   # the pairs being scored pass no messages this step
                in_train[train] = True
                in_train[batch.numpy()] = False
                step_adj = sparse_adjacency(pairs[in_train], n_nodes, mean)
                in_train[:] = False
            opt.zero_grad()
            loss = loss_fn(model(xt, step_adj, pt[batch]), y[batch])
            loss.backward()
            opt.step()
            epoch_loss += float(loss.detach()) * len(batch)
        if plateau is not None:             # GNN-PPI: halve the lr when the mean training loss stalls
            plateau.step(epoch_loss / len(order))
        if len(valid):
            fit = PpiFit(model, xt, adj, 0, epoch, 0.0, 0.0, 0.0, cfg)
            score = float(select(y_valid, fit.predict(pairs[valid])))
        else:
            score = -float(loss.item())
        if log:
            log(f"epoch {epoch}: train loss {loss.item():.4f}, valid {score:.4f}")
        if cfg.select_on == "last":            # no selection: the last epoch is the model
            best, best_epoch = score, epoch
        elif score > best:
            best, best_epoch, waited = score, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited >= cfg.patience:
                break
    seconds = time.perf_counter() - t0
    last_state = None
    if best_state is not None:
        if best_epoch != epoch:
            last_state = copy.deepcopy(model.state_dict())
        model.load_state_dict(best_state)
    return PpiFit(model, xt, adj, best_epoch, epoch, float(best), seconds, seconds / max(epoch, 1), cfg,
                  last_state)
