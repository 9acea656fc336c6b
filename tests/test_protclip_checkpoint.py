"""Config round trips, released-checkpoint name mapping, and exact resume."""
from __future__ import annotations

import json

import pytest
import torch

from protbench.protclip.checkpoint import (RELEASED_RENAMES, load_model, load_released, map_released_state,
                                           save_model)
from protbench.protclip.config import ProtCLIPConfig, named_config
from protbench.protclip.data import ProtAnnoRecord, write_protanno
from protbench.protclip.model import ProtCLIP


def test_named_sizes_and_validation():
    tiny = named_config("tiny")
    assert (tiny.projection_dim, tiny.proto_num, tiny.protein_size) == (32, 16, "tiny")
    big = named_config("650m")
    assert (big.projection_dim, big.proto_num, big.proto_dim) == (512, 512, 512)
    assert big.text_model_config["hidden_size"] == 768
    assert big.loss_weights == {"gc": 1.0, "mlm": 0.3, "bsr": 0.7, "pda": 1.0}
    with pytest.raises(ValueError, match="unknown ProtCLIP size"):
        named_config("huge")
    with pytest.raises(ValueError, match="proto_dim"):
        ProtCLIPConfig(projection_dim=32, proto_dim=16)
    with pytest.raises(ValueError, match="unknown objectives"):
        ProtCLIPConfig(loss_weights={"gc": 1, "itm": 1})


def test_released_config_json_round_trip(tmp_path):
    cfg = named_config("tiny")
    released = cfg.to_released()
    for key in ("protein_model_config", "text_model_config", "projection_dim", "proto_num", "proto_dim",
                "logit_scale_init", "local_logit_scale_init", "protein_mask_probability", "text_mask_probability"):
        assert key in released
    assert released["model_type"] == "FST" and released["t2p_mlm"] == 1 and released["local_contrast"] == 1
    (tmp_path / "config.json").write_text(json.dumps(released))
    back = ProtCLIPConfig.load(tmp_path / "config.json")
    assert back.projection_dim == 32 and back.proto_num == 16 and back.logit_scale_init == 0.07
    assert back.protein_model_config["hidden_size"] == 64 and back.text_model_config["hidden_size"] == 32
    assert back.extra["fusion_num_heads"] == 8 and back.text_tokenizer == "none"
    assert back.to_released()["fusion_num_heads"] == 8
    cfg.save(tmp_path / "ours.json")
    assert ProtCLIPConfig.load(tmp_path / "ours.json") == cfg


def _released_names(ours: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Our tiny model's tensors under the official FSTForPretrain names, plus the modules we drop."""
    inverse = {new: old for old, new in RELEASED_RENAMES}
    out = {}
    for k, v in ours.items():
        if k == "local_logit_scale":
            out[k] = torch.stack([v, v + 1.0])          # released: 2 scales, only [0] used
            continue
        for new, old in inverse.items():
            if k.startswith(new):
                out[old + k[len(new):]] = v.clone().half()  # released file is float16
                break
        else:
            out[k] = v.clone()
    d = 32
    out.update({
        "local_cross_attention.query1.weight": torch.zeros(d, d), "local_cross_attention.query1.bias": torch.zeros(d),
        "predictor.0.weight": torch.zeros(d // 2, d), "predictor.2.bias": torch.zeros(d),
        "text_model.pooler.dense.weight": torch.zeros(32, 32), "protein_model.pooler.dense.bias": torch.zeros(64),
        "text_model.embeddings.position_ids": torch.arange(512)[None],
    })
    return out


def test_released_state_dict_maps_onto_ours(tmp_path):
    from safetensors.torch import save_file

    cfg = named_config("tiny", seed=3)
    src = ProtCLIP(cfg)
    state = _released_names(src.state_dict())
    # official names present, ours absent
    for name in ("proto_bank.prototype.weight", "t2p_mlm_head.3.weight", "decoder.query.weight", "mlm_head.2.weight",
                 "protein_projection.0.weight", "protein_model.encoder.layer.0.attention.self.query.weight",
                 "text_model.embeddings.word_embeddings.weight", "logit_scale"):
        assert name in state
    assert "prototypes.weight" not in state and "bsr_head.0.weight" not in state
    mapped, dropped = map_released_state(state)
    assert "predictor.0.weight" in dropped and "text_model.pooler.dense.weight" in dropped
    assert mapped["local_logit_scale"].shape == () and mapped["prototypes.weight"].shape == (16, 32)
    save_file({k: v.contiguous() for k, v in state.items()}, str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps(cfg.to_released()))
    model = load_released(tmp_path / "model.safetensors")
    assert model.tokenizer is None                  # released weights ship no vocabulary
    for k, v in src.state_dict().items():
        if k.startswith("protein_model.contact_head.") or k.endswith(("inv_freq", "position_ids")):  # dropped
            continue
        got = model.state_dict()[k]
        if k in ("logit_scale", "local_logit_scale") or v.dtype != torch.float32:
            assert torch.equal(got, v), k
        else:                                              # went through float16
            assert torch.equal(got, v.half().float()), k
    seqs = ["MKTAYIAKQR", "GSHMLEDPVD"]
    assert torch.allclose(model.embed_proteins(seqs, "encoder"), src.eval().embed_proteins(seqs, "encoder"),
                          atol=5e-2)
    with pytest.raises(FileNotFoundError, match="text_tokenizer"):
        model.embed_texts(["a kinase"])
    with pytest.raises(KeyError, match="does not know"):
        map_released_state({"some.other.weight": torch.zeros(1)})
    with pytest.raises(FileNotFoundError, match="15245588"):
        load_released(tmp_path / "missing.safetensors")


def test_save_and_load_model_folder(tmp_path):
    m = ProtCLIP(named_config("tiny", seed=1)).eval()
    save_model(m, tmp_path / "ck")
    back = load_model(tmp_path / "ck")
    for k, v in m.state_dict().items():
        assert torch.equal(v, back.state_dict()[k]), k
    with pytest.raises(FileNotFoundError, match="no ProtCLIP checkpoint"):
        load_model(tmp_path)


def _corpus(path, n=24):
    import random

    rng = random.Random(0)
    aa = "ACDEFGHIKLMNPQRSTVWY"
    recs = []
    for i in range(n):
        seq = "".join(rng.choice(aa) for _ in range(rng.randint(20, 40)))
        recs.append(ProtAnnoRecord(seq, f"PROTEIN NAME: protein {i % 5}. FUNCTION: binds ligand {i % 3}. "
                                        f"SUBCELLULAR LOCATION: compartment {i % 2}."))
    write_protanno(recs, path)
    return path


def test_resume_gives_bit_identical_next_step(tmp_path):
    from protbench.protclip.train import PretrainConfig, pretrain

    data = _corpus(tmp_path / "c.jsonl")
    common = dict(train_data=str(data), batch_size=4, max_steps=4, eval_every=0, valid_fraction=0.0,
                  threads=1, save_best=False, keep_checkpoints=5, lr=1e-3)
    full = pretrain(PretrainConfig(output_dir=str(tmp_path / "a"), save_every=2, resume=None, **common))
    assert full["steps"] == 4
    # run B: its time budget stops it after step 1 (final checkpoint step-000001), then it resumes
    pretrain(PretrainConfig(output_dir=str(tmp_path / "b"), save_every=2, resume=None,
                            **{**common, "max_steps": 4, "time_budget_s": 1e-9}))
    resumed = pretrain(PretrainConfig(output_dir=str(tmp_path / "b"), save_every=2, resume="auto", **common))
    assert resumed["resumed_from"].endswith("step-000001") and resumed["steps"] == 4
    log_a = [json.loads(x) for x in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    log_b = [json.loads(x) for x in (tmp_path / "b" / "log.jsonl").read_text().splitlines()]
    drop = ("seconds",)
    strip = lambda log: [{k: v for k, v in r.items() if k not in drop} for r in log if "split" not in r]
    assert strip(log_a) == strip(log_b)          # every per-term loss bit-identical (JSON floats)
    sa = load_model(tmp_path / "a" / "checkpoints" / "step-000004").state_dict()
    sb = load_model(tmp_path / "b" / "checkpoints" / "step-000004").state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
