"""ProtCLIP: function-informed protein–text pretraining (Zhou et al., AAAI 2025), built on ESM-2 + BERT.

Modules
    ``config``      ProtCLIPConfig (named sizes; reads/writes the released config.json)
    ``encoders``    ESM-2 and BERT-family encoders through transformers
    ``heads``       projection, MLM / reconstruction heads, BSR cross-attention decoder
    ``objectives``  GC, MLM, BSR, PDA as small tensor functions (decisions documented there)
    ``masking``     MLM (15 %, 80/10/10) and BSR span masking (5–11 residues to ~15 % coverage)
    ``model``       the ProtCLIP module and its combined loss
    ``data``        ProtAnno JSON lines, 4-property split, Swiss-Prot+GO builder, batching
    ``sampler``     property-driven sampling (P = R^a / C^b) and its before/after report
    ``train``       ``pretrain(PretrainConfig)`` — the loop behind ``protbench pretrain``
    ``checkpoint``  safetensors + optimizer/scheduler/RNG state; released-weight name mapping
    ``distributed`` torchrun / DDP helpers (features gathered across processes for GC)
    ``evaluate``    zero-shot protein→text retrieval
    ``suite_model`` ``protclip`` / ``protclip-tiny`` in the model registry
    ``cli``         ``protbench pretrain`` and ``protbench protanno``
    ``report``      compare pretraining runs (results/pretraining)

Decisions (details in :mod:`protbench.protclip.objectives`): masked mean pooling over
real residues / word pieces only (the released code averaged over padding and special
tokens); BSR sends gradients into the protein encoder and trains its decoder (released:
no gradient through either; ``bsr_grad_to_encoder=False`` detaches the encoder); the text
encoder is frozen by default (as released); PDA is a symmetric per-protein InfoNCE over
the present properties only.
"""
