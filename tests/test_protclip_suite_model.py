"""ProtCLIP as a registered suite model."""
from __future__ import annotations

import numpy as np
import pytest

from protbench.interfaces import model_capabilities
from protbench.registry import load_registries
from protbench.spec import Capability


def test_registered_and_embeds_in_both_spaces(tmp_path):
    reg = load_registries(entry_points=False)
    assert "protclip" in reg.models and "protclip-tiny" in reg.models
    enc = reg.models.get("protclip-tiny").create(space="encoder")
    shared = reg.models.get("protclip-tiny").create(space="shared")
    seqs = ["MKTAYIAKQRQISFVK", "GSHM"]
    pe, ps = enc.embed_proteins(seqs), shared.embed_proteins(seqs)
    assert pe.shape == (2, 64) and ps.shape == (2, 32) and pe.dtype == np.float32
    assert np.allclose(np.linalg.norm(ps, axis=1), 1, atol=1e-5)
    t = shared.embed_texts(["PROTEIN NAME: kinase.", "FUNCTION: transport."])
    assert t.shape == (2, 32) and np.allclose(np.linalg.norm(t, axis=1), 1, atol=1e-5)
    res = enc.embed_residues(seqs)
    assert [r.shape for r in res] == [(16, 64), (4, 64)]
    # pooled = masked mean of residues: padding of the short sequence must not leak in
    assert np.allclose(res[1].mean(0), pe[1], atol=1e-5)
    assert np.allclose(enc.embed_proteins(["GSHM"])[0], pe[1], atol=1e-5)
    assert Capability.SHARED_SPACE in model_capabilities(shared)
    assert Capability.SHARED_SPACE not in model_capabilities(enc)
    assert enc.meta.fingerprint != shared.meta.fingerprint and shared.meta.layer == "shared"
    assert (enc.meta.name, shared.meta.name) == ("protclip-tiny", "protclip-tiny@shared")
    te = enc.trainable_encoder()
    out = te(seqs)
    assert out.shape == (2, 64) and out.requires_grad


def test_protclip_needs_weights_with_a_clear_error(tmp_path):
    reg = load_registries(entry_points=False)
    with pytest.raises(FileNotFoundError, match="15245588"):
        reg.models.get("protclip").create()
    with pytest.raises(FileNotFoundError, match="not found at"):
        reg.models.get("protclip").create(weights=str(tmp_path / "nothing"))


def test_loads_a_pretrained_checkpoint_folder(tmp_path):
    from protbench.protclip.checkpoint import save_model
    from protbench.protclip.config import named_config
    from protbench.protclip.model import ProtCLIP

    m = ProtCLIP(named_config("tiny", seed=4))
    save_model(m, tmp_path / "ck")
    reg = load_registries(entry_points=False)
    model = reg.models.get("protclip").create(weights=str(tmp_path / "ck"), space="shared")
    got = model.embed_proteins(["MKTAYIAK"])
    assert np.allclose(got, m.eval().embed_proteins(["MKTAYIAK"]).numpy(), atol=1e-6)
    assert model.meta.name == "protclip:ck@shared"


def test_lean_engine_dtype_and_max_length_options():
    """fp32 through the lean engine equals the model's own forward; bf16 stays within cosine 0.999; both
    options change the fingerprint, and max_length is what the embedding engine truncates to."""
    from protbench.protclip.suite_model import protclip_tiny

    seqs = ["MKTAYIAKQR" * 5, "ACDEFGHIKL" * 12, "MW"]
    for space in ("encoder", "shared"):
        fp32, bf16 = protclip_tiny(space=space), protclip_tiny(space=space, dtype="bfloat16")
        ref = fp32.model.embed_proteins(seqs, space=space).numpy()
        np.testing.assert_allclose(fp32.embed_proteins(seqs), ref, atol=1e-5)
        got = bf16.embed_proteins(seqs)
        cos = (got * ref).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(ref, axis=1)
        assert cos.min() > 0.999
        assert fp32.meta.fingerprint != bf16.meta.fingerprint
    short = protclip_tiny(max_length=256)
    assert short.meta.max_length == 256 and short.meta.fingerprint != protclip_tiny().meta.fingerprint
    with pytest.raises(ValueError, match="max_length"):
        protclip_tiny(max_length=5000)
