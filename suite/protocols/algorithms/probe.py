"""Fitting the probe: a small head trained on frozen pooled embeddings (config: :class:`~protbench.protocols.probe.ProbeConfig`).

Heads: ``linear`` and ``mlp`` (Linear → ReLU → Dropout → Linear, ``hidden``
units). Inputs are standardised with train statistics; regression targets are
standardised too. For regression the linear head is ridge regression solved in
closed form (one eigendecomposition of ``XᵀX``, then every ``alpha`` of the grid
is cheap); every other head trains with Adam on cross-entropy
(classification), BCE (multi-label) or MSE, in mini-batches, with early
stopping on the validation selection metric (the best epoch's weights are
kept). The configuration with the best validation score wins. Test data is
never seen while fitting or selecting.

Speed (see ``benchmarks/bench_probe.py``): the largest real task here, TAPE
stability (53,571 × 480-d), takes about 12 s per seed (fit + scoring, one thread,
machine load ~3) against the 2-minute budget.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Callable

import numpy as np
import torch
from protbench.protocols.probe import ProbeConfig
from torch import nn

TASK_TYPES = ("regression", "classification", "multilabel")


@dataclass
class ProbeFit:
    """A fitted head with its preprocessing and how it was chosen."""

    head: nn.Module
    task_type: str
    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: float = 0.0
    y_std: float = 1.0
    chosen: dict[str, Any] = field(default_factory=dict)
    valid_score: float = float("nan")
    seconds: float = 0.0
    candidates: list[dict[str, Any]] = field(default_factory=list)

    @torch.no_grad()
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Scores for ``x`` ``(n, d)``: regression ``(n,)`` in target units; class probabilities ``(n, C)``;
        multi-label probabilities ``(n, C)``."""
        self.head.eval()
        xt = torch.from_numpy(((x - self.x_mean) / self.x_std).astype(np.float32))
        out = torch.cat([self.head(xt[i:i + 8192]) for i in range(0, len(xt), 8192)]) if len(xt) else \
            self.head(xt)
        if self.task_type == "regression":
            return out.squeeze(-1).double().numpy() * self.y_std + self.y_mean
        if self.task_type == "classification":
            return torch.softmax(out.double(), dim=-1).numpy()
        return torch.sigmoid(out.double()).numpy()


def make_head(kind: str, d_in: int, d_out: int, hidden: int, dropout: float) -> nn.Module:
    if kind == "linear":
        return nn.Linear(d_in, d_out)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, d_out))
    if kind == "peer-mlp":   # PEER's feature encoder hidden layer + its 2-layer MLP head (hidden = encoder width)
        return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                             nn.Dropout(dropout), nn.Linear(hidden, d_out))
    raise ValueError(f"unknown probe head {kind!r}; use 'linear', 'mlp' or 'peer-mlp'")


def _targets(task_type: str, y: np.ndarray, y_mean: float, y_std: float) -> torch.Tensor:
    if task_type == "regression":
        return torch.from_numpy(((np.asarray(y, dtype=np.float64) - y_mean) / y_std).astype(np.float32)).unsqueeze(-1)
    if task_type == "classification":
        return torch.from_numpy(np.asarray(y, dtype=np.int64))
    return torch.from_numpy(np.asarray(y, dtype=np.float32))


def _loss(task_type: str) -> nn.Module:
    return {"regression": nn.MSELoss(), "classification": nn.CrossEntropyLoss(),
            "multilabel": nn.BCEWithLogitsLoss()}[task_type]


def _score(select, y_valid, scores, sign) -> float:
    s = sign * select(y_valid, scores)
    return s if np.isfinite(s) else -np.inf


def ridge_candidates(xt: torch.Tensor, yt: torch.Tensor, alphas: tuple[float, ...]) -> list[tuple[float, nn.Linear]]:
    """Closed-form ridge on standardised ``xt (n, d)`` and ``yt (n, 1)`` for each ``alpha * n`` penalty."""
    x = xt.double()
    y = yt.double()
    n = x.shape[0]
    evals, evecs = torch.linalg.eigh(x.T @ x)
    xty = evecs.T @ (x.T @ y)
    out = []
    for a in alphas:
        w = evecs @ (xty / (evals.clamp_min(0) + a * n).unsqueeze(-1))
        lin = nn.Linear(x.shape[1], 1)
        with torch.no_grad():
            lin.weight.copy_(w.T.float())
            lin.bias.zero_()   # x and y are centred on train statistics
        out.append((a, lin))
    return out


def fit_probe(task_type: str, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray,
              select: Callable[[np.ndarray, np.ndarray], float], seed: int = 0, n_outputs: int | None = None,
              config: ProbeConfig | None = None, higher_is_better: bool = True) -> ProbeFit:
    """Train every grid configuration, selecting on ``select(y_valid, scores)`` only; return the best.

    x_*: ``(n, d)`` float arrays; y_train/y_valid: ``(n,)`` floats (regression), ``(n,)`` int class ids
    (classification, ``n_outputs`` classes) or ``(n, C)`` 0/1 (multi-label).
    """
    if task_type not in TASK_TYPES:
        raise ValueError(f"unknown task type {task_type!r}; choose one of {TASK_TYPES}")
    if len(x_train) == 0 or len(x_valid) == 0:
        raise ValueError(f"probe needs non-empty train and valid splits (got {len(x_train)} and {len(x_valid)})")
    config = config or ProbeConfig()
    return _fit_probe(task_type, x_train, y_train, x_valid, y_valid, select, seed, n_outputs, config,
                      higher_is_better)


def _fit_probe(task_type, x_train, y_train, x_valid, y_valid, select, seed, n_outputs, config,
               higher_is_better) -> ProbeFit:
    t0 = time.perf_counter()
    x_mean = x_train.mean(axis=0)
    x_std = x_train.std(axis=0) + 1e-6
    if not config.standardize_inputs:
        x_mean, x_std = np.zeros_like(x_mean), np.ones_like(x_std)
    y_mean, y_std = 0.0, 1.0
    if task_type == "regression":
        if config.standardize_targets:
            y_mean, y_std = float(np.mean(y_train)), float(np.std(y_train) + 1e-12)
        n_outputs = 1
    elif n_outputs is None:
        n_outputs = int(np.max(y_train)) + 1 if task_type == "classification" else y_train.shape[1]
    xt = torch.from_numpy(((x_train - x_mean) / x_std).astype(np.float32))
    yt = _targets(task_type, y_train, y_mean, y_std)
    loss_fn = _loss(task_type)
    sign = 1.0 if higher_is_better else -1.0
    candidates: list[dict[str, Any]] = []

    best: ProbeFit | None = None

    def consider(fit: ProbeFit) -> None:
        nonlocal best
        candidates.append({**fit.chosen, "valid_score": fit.valid_score})
        if best is None or sign * fit.valid_score > sign * best.valid_score:
            best = fit

    for kind in config.heads:
        if kind == "linear" and task_type == "regression":
            for alpha, lin in ridge_candidates(xt, yt, config.ridge_alphas):
                fit = ProbeFit(lin, task_type, x_mean, x_std, y_mean, y_std)
                fit.valid_score = sign * _score(select, y_valid, fit.predict(x_valid), sign)
                fit.chosen = {"head": "linear", "solver": "ridge closed form", "alpha": alpha}
                consider(fit)
            continue
        for lr, wd in product(config.learning_rates, config.weight_decays):
            torch.manual_seed(seed)
            gen = torch.Generator().manual_seed(seed if config.shuffle_seed is None else config.shuffle_seed)
            head = make_head(kind, xt.shape[1], n_outputs, config.hidden, config.dropout)
            opt = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=wd)
            fit = ProbeFit(head, task_type, x_mean, x_std, y_mean, y_std)
            best_score, best_state, best_epoch, bad, epoch = -np.inf, None, 0, 0, 0
            for epoch in range(config.max_epochs):
                head.train()
                perm = torch.randperm(len(xt), generator=gen)
                xs, ys = xt[perm], yt[perm]          # one gather per epoch, then contiguous batches
                for i in range(0, len(perm), config.batch_size):
                    opt.zero_grad(set_to_none=True)
                    loss_fn(head(xs[i:i + config.batch_size]), ys[i:i + config.batch_size]).backward()
                    opt.step()
                if (epoch + 1) % config.eval_every and epoch + 1 != config.max_epochs:
                    continue                          # validate every eval_every epochs (and after the last)
                score = _score(select, y_valid, fit.predict(x_valid), sign)
                if score > best_score or best_state is None:
                    best_score, best_state, best_epoch, bad = score, copy.deepcopy(head.state_dict()), epoch, 0
                else:
                    bad += 1
                    if bad >= config.patience:
                        break
            head.load_state_dict(best_state)
            fit.valid_score = sign * best_score
            fit.chosen = {"head": kind, "lr": lr, "weight_decay": wd, "best_epoch": best_epoch + 1,
                          "epochs_run": epoch + 1, "hidden": config.hidden if kind != "linear" else None,
                          "batch_size": config.batch_size}
            consider(fit)
    if best is None:
        raise ValueError(f"probe grid is empty (heads={config.heads})")
    best.seconds = time.perf_counter() - t0
    best.candidates = candidates
    return best
