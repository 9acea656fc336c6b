"""GNN-PPI's own protein encoder (Lv et al. 2021, lvguofeng/GNN_PPI ``gnn_model.py`` ``GIN_Net2`` @ cd1843ebec57).

Per protein: the ``vec5_CTC`` row of every residue (13 values, :mod:`protbench.formats.vec5_ctc`), truncated or
zero-padded to ``in_len`` = 2,000 positions → ``Conv1d(13 → 1, kernel 3, no padding)`` → ``BatchNorm1d(1)`` →
``MaxPool1d(3)`` (1,998 → 666 positions) → a bidirectional GRU with one input and one hidden unit → the mean of
its two direction outputs at each position (GNN-PPI's ``AdaptiveAvgPool1d(1)`` over the last axis) →
``Linear(666 → 256)``. The GIN, pair head and training belong to the ``ppi-gnn-finetune`` protocol, which trains
this encoder end to end with them on every step over every protein, as GNN-PPI does.

**The GRU, faster and the same function.** ``torch.nn.GRU`` on CPU spends its time in per-step overhead when the
hidden size is 1: 666 steps × 2 directions over ~1,700 proteins took seconds per pass. :class:`ScalarBiGRU` keeps
an ``nn.GRU`` for its parameters (same initialisation, same ``state_dict``) and runs PyTorch's GRU equations
(``r = σ(W_ir x + b_ir + W_hr h + b_hr)``, ``z = σ(W_iz x + b_iz + W_hz h + b_hz)``,
``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``, ``h' = (1 − z) n + z h``) for one unit: the input terms of every
step in one tensor product, then the recurrence and its hand-written backward as compiled loops (numba), with
no autograd graph per step. Equality with ``nn.GRU`` (outputs and every gradient) is tested.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import numba
import numpy as np
import torch
from torch import nn

from protbench.formats import vec5_ctc
from protbench.spec import Capability, DataSource, ModelMeta

GNN_PPI_COMMIT = "cd1843ebec574577aacdd65b38e3a49c545f3541"
VEC5_SOURCE = DataSource(
    filename="vec5_CTC.txt",
    url=f"https://raw.githubusercontent.com/lvguofeng/GNN_PPI/{GNN_PPI_COMMIT}/data/vec5_CTC.txt",
    git_blob="6fd5b9813687ea1d15a894d47b3033e9e0fbf562", size=2335,
    description="GNN-PPI's per-residue input features (5 continuous values + 8-way class one-hot per letter)",
    license="MIT (GNN-PPI)")
IN_LEN, POOL, GIN_IN = 2000, 3, 256


@numba.njit(cache=False)
def _scan_forward(gi, w, b):                           # pragma: no cover - compiled
    steps, rows = gi.shape[0], gi.shape[2]
    hs = np.empty((steps, rows), gi.dtype)
    rs = np.empty_like(hs)
    zs = np.empty_like(hs)
    ns = np.empty_like(hs)
    hns = np.empty_like(hs)
    h = np.zeros(rows, gi.dtype)
    one = gi.dtype.type(1.0)
    for t in range(steps):
        for m in range(rows):
            r = one / (one + np.exp(-(gi[t, 0, m] + w[0, m] * h[m] + b[0, m])))
            z = one / (one + np.exp(-(gi[t, 1, m] + w[1, m] * h[m] + b[1, m])))
            hn = w[2, m] * h[m] + b[2, m]
            n = np.tanh(gi[t, 2, m] + r * hn)
            h[m] = n + z * (h[m] - n)
            rs[t, m], zs[t, m], ns[t, m], hns[t, m], hs[t, m] = r, z, n, hn, h[m]
    return hs, rs, zs, ns, hns


@numba.njit(cache=False)
def _scan_backward(grad_hs, hs, rs, zs, ns, hns, w):   # pragma: no cover - compiled
    steps, rows = hs.shape
    d_a = np.empty((steps, 3, rows), hs.dtype)
    d_hn = np.empty((steps, rows), hs.dtype)
    dh = np.zeros(rows, hs.dtype)
    one = hs.dtype.type(1.0)
    for t in range(steps - 1, -1, -1):
        for m in range(rows):
            g = dh[m] + grad_hs[t, m]
            h_prev = hs[t - 1, m] if t > 0 else hs.dtype.type(0.0)
            r, z, n = rs[t, m], zs[t, m], ns[t, m]
            da_n = g * (one - z) * (one - n * n)
            da_z = g * (h_prev - n) * z * (one - z)
            dhn = da_n * r
            da_r = dhn * hns[t, m] * (one - r)
            d_a[t, 0, m], d_a[t, 1, m], d_a[t, 2, m], d_hn[t, m] = da_r, da_z, da_n, dhn
            dh[m] = g * z + dhn * w[2, m] + da_z * w[1, m] + da_r * w[0, m]
    return d_a, d_hn


class _ScalarGRUScan(torch.autograd.Function):
    """A 1-unit GRU over ``M`` independent rows (both directions of every protein stacked), time-major.

    ``gi`` ``(T, 3, M)`` = the input part of the (r, z, n) gates (``W_i x + b_i``) at every step;
    ``w_hh``, ``b_hh`` ``(3, M)`` = each row's recurrent weights and biases. Returns the hidden states
    ``(T, M)`` (initial state 0). Both passes are compiled loops (numba) over steps and rows, each row
    independent, so the result does not depend on threads; the parameter gradients are summed afterwards.
    """

    @staticmethod
    def forward(ctx, gi: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
        arrays = (gi.detach().contiguous().numpy(), w_hh.detach().contiguous().numpy(),
                  b_hh.detach().contiguous().numpy())
        hs, rs, zs, ns, hns = (torch.from_numpy(a) for a in _scan_forward(*arrays))
        ctx.save_for_backward(hs, rs, zs, ns, hns, w_hh)
        return hs

    @staticmethod
    def backward(ctx, grad_hs: torch.Tensor):
        hs, rs, zs, ns, hns, w_hh = ctx.saved_tensors
        d_a, d_hn = (torch.from_numpy(a) for a in _scan_backward(
            grad_hs.contiguous().numpy(), hs.numpy(), rs.numpy(), zs.numpy(), ns.numpy(), hns.numpy(),
            w_hh.detach().contiguous().numpy()))
        h_prev = torch.cat([hs.new_zeros(1, hs.shape[1]), hs[:-1]])        # (T, M)
        d_gates = torch.stack([d_a[:, 0], d_a[:, 1], d_hn], dim=1)          # of W_h h + b_h: (T, 3, M)
        return d_a, (d_gates * h_prev.unsqueeze(1)).sum(0), d_gates.sum(0)


class ScalarBiGRU(nn.Module):
    """``nn.GRU(1, 1, bidirectional=True, batch_first=True)``'s function for ``(N, T, 1) -> (N, T, 2)``, fast on
    CPU (see the module docstring); ``self.gru`` holds the parameters under ``nn.GRU``'s names."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(1, 1, bidirectional=True, batch_first=True, num_layers=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.gru
        n_seq = x.shape[0]
        xt = x[..., 0].t()                                                  # (T, N) time-major
        seq = torch.cat([xt, xt.flip(0)], dim=1)                           # (T, 2N): forward rows, then reversed
        per_row = lambda fwd, rev: torch.stack([fwd.view(3), rev.view(3)]).repeat_interleave(n_seq, 0).t()
        w_ih = per_row(g.weight_ih_l0, g.weight_ih_l0_reverse)             # (3, 2N)
        b_ih = per_row(g.bias_ih_l0, g.bias_ih_l0_reverse)
        gi = torch.addcmul(b_ih, seq.unsqueeze(1), w_ih)                   # (T, 3, 2N): every step's input terms
        hs = _ScalarGRUScan.apply(gi, per_row(g.weight_hh_l0, g.weight_hh_l0_reverse),
                                  per_row(g.bias_hh_l0, g.bias_hh_l0_reverse))
        fwd, bwd = hs[:, :n_seq], hs[:, n_seq:].flip(0)
        return torch.stack([fwd, bwd], dim=-1).transpose(0, 1)             # (N, T, 2)


class GnnPpiEncoder(nn.Module):
    """``(N, in_len)`` residue indices → ``(N, 256)``: GNN-PPI's Conv1d/BatchNorm/MaxPool/BiGRU/Linear front end.

    ``table`` ``(27, 13)``: the vec5 rows of the letters (index 26 = the zero row of padding). The convolution
    over the 13 feature channels is computed as a lookup, the same function: with one output channel, position
    ``t`` of ``Conv1d(table[x])`` is ``bias + Σ_k (table @ W_k)[x_{t+k}]``, so the ``(27, 3)`` products
    ``table @ W`` are formed once per step and gathered (``index_select``, whose backward is deterministic),
    instead of convolving ``(N, 13, 2000)`` floats; :meth:`reference` is the plain ``Conv1d`` path (tested equal).
    """

    def __init__(self, table: torch.Tensor, in_len: int = IN_LEN, out_dim: int = GIN_IN, pool_size: int = POOL):
        super().__init__()
        self.register_buffer("table", torch.as_tensor(table, dtype=torch.float32))
        self.conv1d = nn.Conv1d(self.table.shape[1], 1, kernel_size=3, padding=0)
        self.bn1 = nn.BatchNorm1d(1)
        self.maxpool1d = nn.MaxPool1d(pool_size, stride=pool_size)
        self.bigru = ScalarBiGRU()
        # positions after the kernel-3 convolution and the pooling: 2,000 → 1,998 → 666 (GNN-PPI writes
        # floor(in_len / pool), equal for its in_len = 2,000)
        self.fc1 = nn.Linear((in_len - 2) // pool_size, out_dim)
        self.out_dim = out_dim

    def conv(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(N, L)`` indices → ``(N, 1, L - 2)``: the convolution's output, by lookup."""
        n_seq, length = tokens.shape
        taps = self.table @ self.conv1d.weight[0]                         # (27, 3)
        out = self.conv1d.bias.view(1, 1)
        for k in range(3):
            idx = tokens[:, k:length - 2 + k].reshape(-1)
            out = out + torch.index_select(taps[:, k], 0, idx).view(n_seq, length - 2)
        return out.unsqueeze(1)

    def head(self, c: torch.Tensor) -> torch.Tensor:
        h = self.maxpool1d(self.bn1(c))                       # (N, 1, 666)
        h = self.bigru(h.transpose(1, 2))                     # (N, 666, 2)
        return self.fc1(h.mean(dim=-1))                       # mean of the two directions -> (N, 256)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv(tokens))

    def reference(self, tokens: torch.Tensor) -> torch.Tensor:
        """The same function as GNN-PPI writes it: ``Conv1d`` over the ``(N, 13, L)`` vec5 features."""
        x = self.table[tokens].transpose(1, 2)
        return self.head(self.conv1d(x))


class GnnPpiTrainable:
    """What the ``ppi-gnn-finetune`` protocol trains: ``features(seqs)`` once (residue indices), then ``build()``
    a fresh encoder (under the run's torch seed) mapping them to ``(N, dim)`` with gradients."""

    def __init__(self, table: dict[str, np.ndarray], in_len: int = IN_LEN, dim: int = GIN_IN):
        self.letters = sorted(table)
        self.index = {a: i for i, a in enumerate(self.letters)}
        self.rows = np.concatenate([np.stack([table[a] for a in self.letters]),
                                    np.zeros((1, vec5_ctc.DIM), np.float32)])           # last row: padding
        self.in_len, self.dim = in_len, dim

    def features(self, seqs: Sequence[str]) -> torch.Tensor:
        """``(N, in_len)`` int64 row indices: GNN-PPI's truncation to ``in_len`` residues, padding at the end."""
        pad = len(self.letters)
        out = np.full((len(seqs), self.in_len), pad, dtype=np.int64)
        for i, s in enumerate(seqs):
            s = s[:self.in_len]
            missing = sorted({a for a in s if a not in self.index})
            if missing:
                raise vec5_ctc.Vec5FormatError(f"sequence {i} has residues {missing} without a vec5 row "
                                               f"(letters: {''.join(self.letters)})")
            out[i, :len(s)] = [self.index[a] for a in s]
        return torch.from_numpy(out)

    def build(self) -> GnnPpiEncoder:
        return GnnPpiEncoder(torch.from_numpy(self.rows), self.in_len, self.dim)


class GnnPpiModel:
    """The ``gnn-ppi`` model: GNN-PPI's encoder, trained per task by ``ppi-gnn-finetune`` (no frozen vectors)."""

    def __init__(self, vec5: str | None = None, in_len: int = IN_LEN, offline: bool = False):
        path = Path(vec5) if vec5 else None
        if path is None:
            from protbench.fetch import Fetcher, verify

            path = Fetcher(offline=offline).fetch(VEC5_SOURCE)
        else:
            from protbench.fetch import verify

            verify(path, VEC5_SOURCE)        # another table would be another model: refuse it by its checksum
        self.table = vec5_ctc.read_vec5(path)
        self.in_len = int(in_len)
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        fp = hashlib.sha256(f"gnn-ppi-encoder:v1:{self.in_len}:{digest}".encode()).hexdigest()[:16]
        self.meta = ModelMeta(
            name="gnn-ppi", fingerprint=f"gnn-ppi-{fp}", dim=GIN_IN, max_length=self.in_len,
            capabilities=frozenset({Capability.FINETUNE}), layer="none", pooling="none",
            revision=f"GNN-PPI @ {GNN_PPI_COMMIT[:12]}; trained per task",
            description="GNN-PPI's sequence encoder on vec5_CTC features (Conv1d-BN-MaxPool-BiGRU-Linear), "
                        "trained end to end with the GIN (protocol ppi-gnn-finetune)",
            parameters={"in_len": self.in_len, "in_feature": vec5_ctc.DIM, "conv": "1 channel, kernel 3",
                        "pool": POOL, "gru": "bidirectional, 1 unit", "out_dim": GIN_IN,
                        "vec5_sha256": digest, "source": f"lvguofeng/GNN_PPI gnn_model.py GIN_Net2 @ {GNN_PPI_COMMIT[:12]}"})

    def trainable_encoder(self) -> GnnPpiTrainable:
        return GnnPpiTrainable(self.table, self.in_len, GIN_IN)
