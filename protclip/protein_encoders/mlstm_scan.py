"""The mLSTM recurrence as one autograd node: forward step by step, backward through time by hand.

Left to autograd, a Python loop over T positions records T small graphs. Its backward then builds the
gradient of each recurrent matrix as T outer products, one ``(D, 4D)`` buffer per position, allocated and
summed one after another (58 MB per position for UniRep-1900). That memory traffic, not arithmetic,
dominates a training step. :class:`MLSTMScan` keeps what backward needs per position (gates, cell state,
``m``, ``h @ Wmh``), runs backpropagation through time step by step for the ``(B, ·)`` state gradients only,
and forms each matrix gradient at the end as one ``(D, T·B) @ (T·B, 4D)`` product.

Same function as :meth:`protbench.protclip.protein_encoders.unirep.MLSTMCell.forward`'s loop (the forward
runs the same operations in the same order, so its outputs are bit-identical); the gradients equal
autograd's to float rounding (``tests/test_protclip_unirep.py`` checks both, and ``gradcheck`` in float64).

Equations per position t (``x``-projections precomputed outside, so their gradients flow through autograd):
``hm = h_{t-1} Wmh``, ``m = xm_t * hm``, ``z = xz_t + m Wh``, ``i, f, o = sigmoid(z[:3D])``,
``u = tanh(z[3D:])``, ``c_t = f c_{t-1} + i u``, ``h_t = o tanh(c_t)``; zero initial state.
"""
from __future__ import annotations

import torch


def mlstm_scan(xz: torch.Tensor, xm: torch.Tensor, wh: torch.Tensor, wmh: torch.Tensor) -> torch.Tensor:
    """Hidden states ``(B, T, D)`` from ``xz (B, T, 4D)``, ``xm (B, T, D)``, ``wh (D, 4D)``, ``wmh (D, D)``."""
    if torch.is_grad_enabled() and any(t.requires_grad for t in (xz, xm, wh, wmh)):
        return MLSTMScan.apply(xz, xm, wh, wmh)
    return _forward(xz, xm, wh, wmh, keep=False)[0]          # nothing to differentiate: keep nothing


def mlstm_loop(xz: torch.Tensor, xm: torch.Tensor, wh: torch.Tensor, wmh: torch.Tensor) -> torch.Tensor:
    """The same function as a plain loop that autograd differentiates (one small graph per position): the
    reference :func:`mlstm_scan` is checked and benchmarked against (``benchmarks/bench_mlstm_scan.py``)."""
    B, T, _ = xz.shape
    d = wmh.shape[0]
    h, c, out = xz.new_zeros(B, d), xz.new_zeros(B, d), []
    for t in range(T):
        m = xm[:, t] * (h @ wmh)
        z = xz[:, t] + m @ wh
        i, f, o = torch.sigmoid(z[:, :3 * d]).split(d, dim=1)
        c = f * c + i * torch.tanh(z[:, 3 * d:])
        h = o * torch.tanh(c)
        out.append(h)
    return torch.stack(out, dim=1)


def _forward(xz, xm, wh, wmh, keep: bool):
    B, T, _ = xz.shape
    d = wmh.shape[0]
    h = xz.new_zeros(B, d)
    c = xz.new_zeros(B, d)
    out, saved = [], []
    for t in range(T):
        hm = h @ wmh
        m = xm[:, t] * hm
        z = xz[:, t] + m @ wh
        i, f, o = torch.sigmoid(z[:, :3 * d]).split(d, dim=1)
        u = torch.tanh(z[:, 3 * d:])
        c_prev = c
        c = f * c + i * u
        tc = torch.tanh(c)
        h = o * tc
        out.append(h)
        if keep:
            saved.append((hm, m, i, f, o, u, c_prev, tc))
    return torch.stack(out, dim=1), saved


class MLSTMScan(torch.autograd.Function):
    """Autograd node of :func:`mlstm_scan` (see the module docstring)."""

    @staticmethod
    def forward(ctx, xz, xm, wh, wmh):
        hs, saved = _forward(xz, xm, wh, wmh, keep=any(ctx.needs_input_grad))
        ctx.saved = saved
        ctx.save_for_backward(xm, wh, wmh, hs)
        device = xz.device.type       # backward runs under the forward's autocast state, as autograd's would
        ctx.autocast = (device, torch.is_autocast_enabled(device), torch.get_autocast_dtype(device))
        return hs

    @staticmethod
    def backward(ctx, grad_hs):
        device, enabled, dtype = ctx.autocast
        with torch.autocast(device, dtype=dtype, enabled=enabled):
            return MLSTMScan._backward(ctx, grad_hs)

    @staticmethod
    def _backward(ctx, grad_hs):
        xm, wh, wmh, hs = ctx.saved_tensors
        saved = ctx.saved
        B, T, d = hs.shape
        dxz = grad_hs.new_empty(T, B, 4 * d)          # position-major: row blocks of the matrix gradients
        dxm = grad_hs.new_empty(T, B, d)
        dhm_all = grad_hs.new_empty(T, B, d)
        dh = grad_hs.new_zeros(B, d)
        dc = grad_hs.new_zeros(B, d)
        wh_t, wmh_t = wh.t(), wmh.t()
        for t in range(T - 1, -1, -1):
            hm, m, i, f, o, u, c_prev, tc = saved[t]
            dh = dh + grad_hs[:, t]
            do = dh * tc
            dc = dc + dh * o * (1 - tc * tc)
            dz = torch.cat([dc * u * i * (1 - i), dc * c_prev * f * (1 - f), do * o * (1 - o),
                            dc * i * (1 - u * u)], dim=1)
            dc = dc * f
            dxz[t] = dz
            dm = dz @ wh_t
            dxm[t] = dm * hm
            dhm = dm * xm[:, t]
            dhm_all[t] = dhm
            dh = dhm @ wmh_t
        dwh = dwmh = None
        if ctx.needs_input_grad[2]:
            m_all = torch.stack([s[1] for s in saved]).reshape(T * B, d)
            dwh = m_all.t() @ dxz.reshape(T * B, 4 * d)
        if ctx.needs_input_grad[3]:
            h_prev = torch.cat([hs.new_zeros(1, B, d), hs.transpose(0, 1)[:-1]]).reshape(T * B, d)
            dwmh = h_prev.t() @ dhm_all.reshape(T * B, d)
        return dxz.transpose(0, 1), dxm.transpose(0, 1), dwh, dwmh
