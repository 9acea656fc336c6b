"""PEER's from-scratch CNN baseline: a 1-D convolutional encoder trained per task.

Architecture (PEER ``ConvolutionalNetwork`` config, Xu et al. 2022): one-hot input with 21 channels (20 standard
residues + other, :func:`protbench.models.features.one_hot`) → ``layers`` × [Conv1d(kernel 5, padding 2) → ReLU]
with ``hidden`` channels (PEER: 2 × 1024) → max pooling over residue positions (padding excluded) → ``(B, hidden)``.
The task head (PEER: 2-layer MLP) and the training loop belong to the ``finetune`` protocol
(:mod:`protbench.protocols.finetune`), configured with ``--param finetune.<field>=value``. PEER's recipe — Adam,
lr 1e-4 (2e-4 for binary localization), batch 32 (256 for binloc), 100 epochs, the encoder at the head's
learning rate (``finetune.lr_ratio=1``: it is trained from scratch), selection on validation — is recorded in
``meta.parameters["recipe"]``; the settings actually in force are recorded in every seed's ``info.config``.
``--model-opt hidden=128`` narrows the encoder for small CPU machines (recorded in ``meta.parameters``).

``embed_proteins`` returns the max-pooled output of the *untrained*, seeded encoder (a random-CNN feature); it is
what a frozen ``probe`` would see, and the ``finetune`` protocol does not use it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn

from protbench.spec import Capability, ModelMeta

from .features import one_hot


def one_hot_batch(seqs: Sequence[str], max_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x (B, 21, L) float32, mask (B, L) bool)`` for sequences truncated to ``max_length`` residues."""
    seqs = [s[:max_length] for s in seqs]
    width = max((len(s) for s in seqs), default=1) or 1
    x = np.zeros((len(seqs), width, 21), dtype=np.float32)
    mask = np.zeros((len(seqs), width), dtype=bool)
    for i, s in enumerate(seqs):
        if s:
            x[i, :len(s)] = one_hot(s)
            mask[i, :len(s)] = True
    return torch.from_numpy(x).transpose(1, 2).contiguous(), torch.from_numpy(mask)


class ConvEncoder(nn.Module):
    """Conv1d stack with ReLU and masked max pooling: ``(B, 21, L), (B, L) -> (B, hidden)``."""

    def __init__(self, hidden: int = 1024, layers: int = 2, kernel: int = 5, in_channels: int = 21):
        super().__init__()
        if kernel % 2 != 1:
            raise ValueError(f"kernel must be odd to keep the length with symmetric padding, got {kernel}")
        dims = [in_channels] + [hidden] * layers
        self.convs = nn.ModuleList(nn.Conv1d(a, b, kernel, padding=kernel // 2) for a, b in zip(dims, dims[1:]))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(1).to(x.dtype)
        for conv in self.convs:
            x = torch.relu(conv(x)) * m          # padding positions stay zero for the next layer
        x = x.masked_fill(~mask.unsqueeze(1), float("-inf"))
        out = x.max(dim=-1).values
        return torch.where(torch.isfinite(out), out, torch.zeros_like(out))   # empty sequence -> zeros


@dataclass
class TrainableCNN:
    """Fine-tuning view: ``module`` is trained; calling it on sequences returns ``(B, dim)`` with gradients."""

    module: ConvEncoder
    dim: int
    max_length: int
    device: str = "cpu"

    def __call__(self, seqs: Sequence[str]) -> torch.Tensor:
        x, mask = one_hot_batch(seqs, self.max_length)
        return self.module(x.to(self.device), mask.to(self.device))


class PeerCNN:
    """PEER's CNN as a suite model whose preferred protocol is ``finetune`` (trained on each task)."""

    def __init__(self, hidden: int = 1024, layers: int = 2, kernel: int = 5, max_length: int = 1000,
                 seed: int = 0, device: str = "cpu"):
        self.hidden, self.layers, self.kernel = int(hidden), int(layers), int(kernel)
        self.max_length, self.seed, self.device = int(max_length), int(seed), device
        recipe = {"source": "PEER config/single_task/CNN", "optimizer": "Adam", "lr": 1e-4, "lr_binloc": 2e-4,
                  "batch_size": 32, "batch_size_binloc": 256, "epochs": 100, "head": "2-layer MLP",
                  "as_protbench_params": "finetune.epochs=100 finetune.lr=1e-4 finetune.lr_ratio=1 finetune.batch_size=32"}
        arch = {"hidden": self.hidden, "layers": self.layers, "kernel": self.kernel, "padding": self.kernel // 2,
                "pooling": "max", "input": "one-hot (21)", "max_length": self.max_length}
        self.encoder = self._build(self.seed).eval()
        fp = hashlib.sha256(json.dumps({"arch": arch, "seed": self.seed},
                                       sort_keys=True).encode()).hexdigest()[:16]
        self.meta = ModelMeta(
            name="cnn", fingerprint=f"cnn-{fp}", dim=self.hidden, max_length=self.max_length,
            capabilities=frozenset({Capability.PROTEIN, Capability.FINETUNE}), layer="last", pooling="max",
            revision=f"random init seed {self.seed}; trained per task",
            description=f"PEER CNN ({self.layers} × Conv1d {self.hidden}, kernel {self.kernel}, max pool), "
                        f"trained from scratch per task",
            parameters={"recipe": recipe, **arch, "seed": self.seed},
        )

    def _build(self, seed: int) -> ConvEncoder:
        torch.manual_seed(seed)
        return ConvEncoder(self.hidden, self.layers, self.kernel).to(self.device)

    @torch.inference_mode()
    def embed_proteins(self, seqs: Sequence[str]) -> np.ndarray:
        """``(n, hidden)`` max-pooled features of the untrained (seeded) encoder."""
        x, mask = one_hot_batch(seqs, self.max_length)
        return self.encoder(x.to(self.device), mask.to(self.device)).float().cpu().numpy()

    def trainable_encoder(self) -> TrainableCNN:
        """A freshly initialised encoder (seeded) to train on one task."""
        return TrainableCNN(self._build(self.seed).train(), self.hidden, self.max_length, self.device)
