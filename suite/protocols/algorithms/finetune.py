"""Fine-tuning: the protein encoder trained together with a task head (config: :class:`~protbench.protocols.finetune.FinetuneConfig`).

The model must offer ``trainable_encoder()`` returning an object with
``module`` (a ``torch.nn.Module`` holding the encoder's parameters), ``dim``
(output width) and ``__call__(seqs) -> (B, dim)`` tensor with gradients.

Head: Linear → ReLU → Dropout → Linear (hidden = ``dim``), as ProtST's 2-layer
MLP heads. Optimiser: Adam with two parameter groups; as in ProtST the encoder's
learning rate is ``lr_ratio`` × the head's (default 0.1). Loss: cross-entropy,
BCE or MSE on train-standardised targets. Sequences longer than ``max_length``
residues are cropped to their first ``max_length`` (ProtST/PEER crop to 550 in
training). After each epoch the validation main metric is computed; the best
epoch's encoder+head weights are kept (early stopping with ``patience``). The
test split is predicted once, with the selected weights.

"""
from __future__ import annotations

import copy
import time
from dataclasses import asdict
from typing import Any, Sequence

import numpy as np
import torch
from protbench.protocols.finetune import FinetuneConfig
from protbench.protocols.supervised import Labels
from torch import nn


def _head(dim: int, out: int, dropout: float) -> nn.Module:
    return nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dim, out))


def _device_of(module: nn.Module) -> torch.device:
    p = next(module.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


@torch.no_grad()
def _predict(encoder, head: nn.Module, seqs: Sequence[str], cfg: FinetuneConfig, task_type: str,
             y_mean: float, y_std: float) -> np.ndarray:
    encoder.module.eval()
    head.eval()
    outs = []
    order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))   # similar lengths per batch
    for i in range(0, len(order), cfg.batch_size * 2):
        idx = order[i:i + cfg.batch_size * 2]
        outs.append((idx, head(encoder([seqs[j][:cfg.max_length] for j in idx]).float()).double().cpu()))
    if not outs:
        return np.zeros((0,) if task_type == "regression" else (0, 1))
    logits = torch.zeros((len(seqs), outs[0][1].shape[1]), dtype=torch.float64)
    for idx, o in outs:
        logits[idx] = o
    if task_type == "regression":
        return logits.squeeze(-1).numpy() * y_std + y_mean
    if task_type == "classification":
        return torch.softmax(logits, dim=-1).numpy()
    return torch.sigmoid(logits).numpy()


def finetune(model: Any, lab: Labels, seqs: dict[str, list[str]], cfg: FinetuneConfig, seed: int
             ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Train ``model.trainable_encoder()`` with a head on train, select on valid, predict valid/test."""
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    encoder = model.trainable_encoder()
    device = _device_of(encoder.module)
    y_train = lab.ys["train"]
    y_mean, y_std = 0.0, 1.0
    if lab.task_type == "regression":
        n_out = 1
        y_mean, y_std = float(np.mean(y_train)), float(np.std(y_train) + 1e-12)
        target = torch.from_numpy(((y_train - y_mean) / y_std).astype(np.float32)).unsqueeze(-1)
        loss_fn: nn.Module = nn.MSELoss()
    elif lab.task_type == "classification":
        n_out = int(lab.n_outputs or int(np.max(y_train)) + 1)
        target = torch.from_numpy(np.asarray(y_train, dtype=np.int64))
        loss_fn = nn.CrossEntropyLoss()
    else:
        n_out = int(lab.n_outputs or y_train.shape[1])
        target = torch.from_numpy(np.asarray(y_train, dtype=np.float32))
        loss_fn = nn.BCEWithLogitsLoss()
    head = _head(encoder.dim, n_out, cfg.dropout).to(device)
    opt = torch.optim.Adam([{"params": head.parameters(), "lr": cfg.lr},
                            {"params": encoder.module.parameters(), "lr": cfg.lr * cfg.lr_ratio}],
                           weight_decay=cfg.weight_decay)
    sign = 1.0 if lab.higher_is_better else -1.0
    gen = torch.Generator().manual_seed(seed)
    best, best_state, best_epoch, bad, history = -np.inf, None, 0, 0, []
    epoch = 0
    for epoch in range(cfg.epochs):
        encoder.module.train()
        head.train()
        perm = torch.randperm(len(seqs["train"]), generator=gen).tolist()
        total = 0.0
        for i in range(0, len(perm), cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            x = encoder([seqs["train"][j][:cfg.max_length] for j in idx]).float()
            loss = loss_fn(head(x), target[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        pred_valid = _predict(encoder, head, seqs["valid"], cfg, lab.task_type, y_mean, y_std)
        score = sign * float(lab.select(lab.ys["valid"], pred_valid))
        score = score if np.isfinite(score) else -np.inf
        history.append({"epoch": epoch + 1, "train_loss": total / max(len(perm), 1), "valid": sign * score})
        if score > best or best_state is None:
            best, best_epoch, bad = score, epoch, 0
            best_state = ({k: v.detach().cpu().clone() for k, v in encoder.module.state_dict().items()},
                          copy.deepcopy({k: v.cpu() for k, v in head.state_dict().items()}))
        else:
            bad += 1
            if bad >= cfg.patience:
                break
    encoder.module.load_state_dict(best_state[0])
    head.load_state_dict(best_state[1])
    preds = {s: _predict(encoder, head, seqs[s], cfg, lab.task_type, y_mean, y_std) for s in ("valid", "test")}
    info = {"protocol": "finetune", "config": asdict(cfg), "best_epoch": best_epoch + 1, "epochs_run": epoch + 1,
            "history": history, "encoder_parameters": sum(p.numel() for p in encoder.module.parameters()),
            "fit_seconds": round(time.perf_counter() - t0, 3)}
    return preds, info
