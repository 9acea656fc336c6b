"""ProtCLIP's pretraining recipes as plain data (the CLI prints them without importing torch).

``paper``: the ProtCLIP paper and official code (AdamW lr 1e-5, betas (0.9, 0.999), no weight decay, 3 % warmup,
global batch 2048, 35 epochs, fp16/bf16 mixed precision, ZeRO-1); ``demo``: the small CPU demo sizes' own defaults.
Details and every deviation from the official code: docs/protclip.md.
"""
from __future__ import annotations

from typing import Any

PAPER_RECIPE: dict[str, Any] = {
    "lr": 1e-5, "betas": (0.9, 0.999), "weight_decay": 0.0, "warmup_fraction": 0.03, "batch_size": 2048,
    "per_process_batch": 64, "epochs": 35, "eval_every": "epoch", "save_every": "epoch", "precision": "auto",
    "zero1": True, "gradient_checkpointing": True}
DEMO_RECIPE: dict[str, Any] = {
    "lr": 5e-4, "betas": (0.9, 0.98), "weight_decay": 0.0, "warmup_fraction": 0.03, "batch_size": 8,
    "per_process_batch": None, "epochs": 1, "eval_every": 50, "save_every": 100, "precision": "fp32",
    "zero1": False, "gradient_checkpointing": False}
RECIPES = {"paper": PAPER_RECIPE, "demo": DEMO_RECIPE}
