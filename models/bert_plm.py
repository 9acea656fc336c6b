"""BERT-architecture protein language models from local Hugging Face folders: ProtBert and OntoProtein.

Both use ProtBert's character vocabulary: the input is the sequence in upper case with residues separated by
spaces, and the rare residues ``U Z O B`` replaced by ``X`` (as the ProtBert model card prescribes). The folder
needs ``config.json``, weights (``model.safetensors`` or ``pytorch_model.bin``) and ``vocab.txt``; it is loaded
with ``local_files_only=True``. Pooled vectors are the masked mean of the chosen layer over residue tokens
(``[CLS]``, ``[SEP]`` and padding excluded). At most 1022 residues are passed (ProtBert was trained on 512 and
1024-token windows; longer sequences are truncated or chunked by the embedding engine).

* ProtBert (Elnaggar et al. 2021): Hugging Face ``Rostlab/prot_bert`` (BFD-100 pre-training, then UniRef100).
* OntoProtein (Zhang et al. 2022): ``zjunlp/OntoProtein`` — ProtBert further trained with Gene Ontology
  knowledge-graph embeddings (ProteinKG25).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from protbench.pooling import masked_mean
from protbench.spec import Capability, ModelMeta

from .esm import DTYPES, state_fingerprint

SOURCES = {
    "protbert": ("Rostlab/prot_bert", ("BFD-100", "UniRef100")),
    "ontoprotein": ("zjunlp/OntoProtein", ("BFD-100", "UniRef100", "ProteinKG25 (GO)")),
}
_RARE = re.compile(r"[UZOB]")


def spaced(seq: str) -> str:
    """``"MKU"`` -> ``"M K X"``: ProtBert's input text for a sequence."""
    return " ".join(_RARE.sub("X", seq.upper()))


def check_folder(path: str | Path | None, kind: str) -> Path:
    """``path`` as a folder holding a config, weights and a vocabulary, or an error saying where to get them."""
    hub = SOURCES[kind][0]
    if path is None:
        raise FileNotFoundError(f"{kind} needs local weights: pass --weights FOLDER with a copy of the Hugging Face "
                                f"repository {hub} (config.json, model.safetensors or pytorch_model.bin, vocab.txt)")
    p = Path(path).expanduser()
    if not p.is_dir():
        raise FileNotFoundError(f"{kind} weights folder {p} not found; download the Hugging Face repository {hub} "
                                f"there (e.g. `huggingface-cli download {hub} --local-dir {p}`)")
    needed = {"config.json": ["config.json"], "weights": ["model.safetensors", "pytorch_model.bin"],
              "vocab": ["vocab.txt"]}
    for what, names in needed.items():
        if not any((p / n).is_file() for n in names):
            raise FileNotFoundError(f"{kind} folder {p} lacks {' or '.join(names)}; copy it from the Hugging Face "
                                    f"repository {hub}")
    return p


class ProtBert:
    """A BertModel protein encoder (ProtBert, OntoProtein) as a suite model: pooled, residue-level, trainable."""

    max_residues = 1022

    def __init__(self, weights: str | Path | None = None, kind: str = "protbert", dtype: str = "float32",
                 layer: str | int = "last", device: str = "cpu", name: str | None = None):
        from transformers import BertModel, BertTokenizer

        if kind not in SOURCES:
            raise ValueError(f"unknown BERT protein model {kind!r}; choose one of {sorted(SOURCES)}")
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; choose one of {sorted(DTYPES)}")
        self.path = check_folder(weights, kind)
        self.kind, self.device, self.layer = kind, device, layer
        self.tokenizer = BertTokenizer.from_pretrained(self.path, do_lower_case=False, local_files_only=True)
        from protbench.models.esm_checkpoint import refusing_pickles

        with refusing_pickles(self.path):        # a pickle .bin is refused naming the file (nothing in it runs)
            self.module = BertModel.from_pretrained(self.path, add_pooling_layer=False,
                                                    local_files_only=True).eval()
        self.module.to(device=device, dtype=DTYPES[dtype])
        cfg = self.module.config
        fp = state_fingerprint(self.module, {"dtype": dtype, "arch": kind})
        self.meta = ModelMeta(
            name=name or kind, fingerprint=f"{kind}-{fp}", dim=cfg.hidden_size, max_length=self.max_residues,
            capabilities=frozenset({Capability.PROTEIN, Capability.RESIDUE, Capability.FINETUNE}),
            layer=str(layer), pooling="mean", revision=str(self.path), training_data=SOURCES[kind][1],
            description=f"{kind} (BERT, {cfg.num_hidden_layers} layers, {cfg.hidden_size}-d) from {self.path}",
            parameters={"weights": str(self.path), "dtype": dtype, "layers": cfg.num_hidden_layers,
                        "hub": SOURCES[kind][0]},
        )

    def _batch(self, seqs: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        enc = self.tokenizer([spaced(s) for s in seqs], padding=True, return_tensors="pt")
        ids = enc["input_ids"].to(self.device)
        special = torch.tensor(self.tokenizer.all_special_ids, device=ids.device)
        return ids, enc["attention_mask"].to(self.device), ~torch.isin(ids, special)

    @torch.inference_mode()
    def hidden(self, seqs: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(states (B, L, D), residue mask (B, L))`` of the chosen layer."""
        ids, att, residues = self._batch(seqs)
        want_all = self.layer != "last"
        out = self.module(input_ids=ids, attention_mask=att, output_hidden_states=want_all)
        states = out.last_hidden_state if not want_all else out.hidden_states[int(self.layer)]
        return states, residues

    def embed_proteins(self, seqs: Sequence[str]) -> np.ndarray:
        states, mask = self.hidden(seqs)
        return masked_mean(states, mask).float().cpu().numpy()

    def embed_residues(self, seqs: Sequence[str]) -> list[np.ndarray]:
        states, _ = self.hidden(seqs)
        states = states.float().cpu().numpy()
        return [states[i, 1:1 + len(s)] for i, s in enumerate(seqs)]   # [CLS] r1 .. rL [SEP]

    def trainable_encoder(self):
        from transformers import BertModel

        module = BertModel.from_pretrained(self.path, add_pooling_layer=False, local_files_only=True)
        return _TrainableBert(module.to(self.device).float().train(), self.meta.dim, self)


class _TrainableBert:
    """Fine-tuning view of a :class:`ProtBert`: calling it pools ``(B, dim)`` with gradients."""

    def __init__(self, module: torch.nn.Module, dim: int, owner: ProtBert):
        self.module, self.dim, self.owner = module, dim, owner

    def __call__(self, seqs: Sequence[str]) -> torch.Tensor:
        ids, att, residues = self.owner._batch(seqs)
        out = self.module(input_ids=ids, attention_mask=att)
        return masked_mean(out.last_hidden_state, residues).float()
