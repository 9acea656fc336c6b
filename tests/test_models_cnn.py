"""PEER CNN: shapes, masking of padding, determinism, and that it trains (gradient step lowers the loss)."""
from __future__ import annotations

import numpy as np
import torch

from protbench.models.cnn import ConvEncoder, PeerCNN, one_hot_batch


def test_one_hot_batch_pads_and_truncates():
    x, mask = one_hot_batch(["ACX", "A"], max_length=2)
    assert x.shape == (2, 21, 2) and mask.tolist() == [[True, True], [True, False]]
    assert x[0, :, 0].argmax() == 0 and x[1, :, 1].sum() == 0


def test_padding_does_not_change_the_pooled_vector():
    torch.manual_seed(0)
    enc = ConvEncoder(hidden=8, layers=2, kernel=5)
    short = "MKTAYIAKQR"
    x1, m1 = one_hot_batch([short], 100)
    x2, m2 = one_hot_batch([short, "A" * 40], 100)       # padded to 40
    torch.testing.assert_close(enc(x1, m1)[0], enc(x2, m2)[0])


def test_model_meta_and_embeddings_are_deterministic():
    a, b = PeerCNN(hidden=16, seed=3), PeerCNN(hidden=16, seed=3)
    from protbench.registry import load_registries

    assert load_registries(entry_points=False).models.get("cnn").protocol == "finetune"
    assert a.meta.parameters["recipe"]["lr"] == 1e-4 and a.meta.parameters["layers"] == 2
    assert a.meta.fingerprint == b.meta.fingerprint != PeerCNN(hidden=16, seed=4).meta.fingerprint
    e = a.embed_proteins(["MKTAYIAKQR", "GG"])
    assert e.shape == (2, 16) and np.all(e >= 0)
    np.testing.assert_array_equal(e, b.embed_proteins(["MKTAYIAKQR", "GG"]))


def test_trainable_encoder_learns():
    enc = PeerCNN(hidden=16, kernel=3).trainable_encoder()
    head = torch.nn.Linear(enc.dim, 1)
    opt = torch.optim.Adam(list(enc.module.parameters()) + list(head.parameters()), lr=1e-2)
    seqs = ["KKKKAAAA", "DDDDAAAA"] * 4
    y = torch.tensor([[1.0], [-1.0]] * 4)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(head(enc(seqs)), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
