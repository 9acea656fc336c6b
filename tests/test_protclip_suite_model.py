"""ProtCLIP as a registered suite model."""
from __future__ import annotations

import json

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
    # a checkpoint of ours is named for its encoders (tiny: ESM-2 2x64, random BERT), never plain "protclip"
    assert model.meta.name == "protclip-esm2-tiny-text-random:ck@shared"
    assert "training" not in model.meta.parameters and "no training.json" in model.meta.description


def test_a_model_trained_here_says_so_in_its_name_parameters_and_leaderboard(tmp_path):
    """A `protbench pretrain` checkpoint carries training.json: the suite model names the run and the
    encoders, records the training, and the leaderboard marks its cells as weights trained here."""
    import protbench
    from protbench.leaderboard.collect import collect
    from protbench.protclip.data import ProtAnnoRecord, write_protanno
    from protbench.protclip.train import PretrainConfig, pretrain

    rng = np.random.default_rng(0)
    recs = [ProtAnnoRecord("".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), int(rng.integers(20, 40)))),
                           f"FUNCTION: binds ligand {i % 3}.") for i in range(16)]
    write_protanno(recs, tmp_path / "c.jsonl")
    summary = pretrain(PretrainConfig(train_data=str(tmp_path / "c.jsonl"), output_dir=str(tmp_path / "myrun"),
                                      batch_size=4, max_steps=2, eval_every=0, threads=1, resume=None))
    ckpt = tmp_path / "myrun" / "checkpoints" / "step-000002"
    training = json.loads((ckpt / "training.json").read_text())
    assert (training["by"], training["steps"], training["train_records"]) == ("protbench pretrain", 2,
                                                                                summary["train_records"])
    from protbench.results import numeric_platform
    assert training["platform"]["isa"] == numeric_platform()["isa"]      # which CPU trained it
    model = load_registries(entry_points=False).models.get("protclip").create(weights=str(ckpt))
    assert model.meta.name == "protclip-esm2-tiny-text-random:myrun.step-000002"
    assert model.meta.parameters["training"] == training
    assert "trained here by protbench pretrain: 2 steps" in model.meta.description

    df = protbench.run("protclip", tasks=["beta-lactamase"], profile="smoke", output_dir=tmp_path / "r",
                       cache_dir=tmp_path / "cache", model_options={"weights": str(ckpt)})
    assert set(df.status) == {"ok"}
    board = collect(tmp_path / "r")
    (cell,) = [c for c in board.cells.values() if c.kind == "measured"]
    assert cell.model == "protclip-esm2-tiny-text-random:myrun.step-000002"
    assert "weights trained here (protbench pretrain: 2 steps on cpu), not the published model's" in cell.caveats()


def test_unreadable_training_json_is_refused_with_its_path(tmp_path):
    from protbench.protclip.checkpoint import read_training

    (tmp_path / "training.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="training.json: expected a JSON object"):
        read_training(tmp_path)
    (tmp_path / "training.json").write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match="training.json: not valid JSON"):
        read_training(tmp_path)


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
