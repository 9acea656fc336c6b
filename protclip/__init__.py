"""ProtCLIP: function-informed protein–text pretraining (Zhou et al., AAAI 2025), built on ESM-2 + BERT
(or UniRep + BERT: ``protein_encoder="unirep"``).

Modules
    ``config``      ProtCLIPConfig (named sizes; reads/writes the released config.json)
    ``protein_encoders``  the protein-encoder interface; ESM-2 (default) and UniRep
    ``encoders``    the BERT-family text encoder through transformers
    ``heads``       projection, MLM / reconstruction heads, BSR cross-attention decoder
    ``objectives``  GC, MLM, BSR, PDA as small tensor functions (decisions documented there)
    ``masking``     MLM (15 %, all <mask> as official, or 80/10/10) and BSR span masking (official sampler or per protein)
    ``model``       the ProtCLIP module and its combined loss
    ``data``        ProtAnno JSON lines, 4-property split, Swiss-Prot+GO builder, batching
    ``sampler``     property-driven sampling (P = R^a / C^b) and its before/after report
    ``train``       ``pretrain(PretrainConfig)`` — the loop behind ``protbench pretrain``
    ``checkpoint``  safetensors + optimizer/scheduler/RNG state; released-weight names and config.json
    ``distributed`` torchrun / DDP helpers (features gathered across processes for GC)
    ``evaluate``    zero-shot protein→text retrieval
    ``suite_model`` ``protclip`` / ``protclip-tiny`` in the model registry
    ``cli``         ``protbench pretrain`` and ``protbench protanno``
    ``report``      compare pretraining runs (results/pretraining)

Defaults are the official code's behaviour (diaoshaoyou/ProtCLIP) and, for the paper's
sizes, the paper's training recipe; every deviation is an option or one of three fixes of
official bugs, all in one table in ``docs/protclip.md``. The fixes (details in
:mod:`protbench.protclip.objectives`): masked mean pooling over real residues / word
pieces only (the released code averaged over padding and special tokens); BSR trains
its decoder and, unless ``bsr_grad_to_encoder=False``, the protein encoder (released:
no gradient through either); PDA averages both InfoNCE directions (released: one
direction computed twice).
"""
