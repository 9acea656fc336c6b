"""ProtCLIP's entries in the model registry (metadata only; the model code loads on first use)."""
from __future__ import annotations

from protbench.registry import ModelEntry
from protbench.spec import Capability

CAPABILITIES = frozenset({Capability.PROTEIN, Capability.TEXT, Capability.SHARED_SPACE, Capability.RESIDUE,
                          Capability.FINETUNE})

MODELS = [
    ModelEntry("protclip-tiny", "protbench.protclip.suite_model:protclip_tiny",
               "ProtCLIP tiny (ESM-2 2x64 + 2x32 BERT, 32-d shared space), random init or --weights CHECKPOINT",
               CAPABILITIES),
    ModelEntry("protclip", "protbench.protclip.suite_model:protclip",
               "ProtCLIP (needs --weights: a `protbench pretrain` checkpoint or the released model.safetensors, "
               "Zenodo 15245588); --model-opt space=shared for zero-shot", CAPABILITIES, needs_weights=True),
]
