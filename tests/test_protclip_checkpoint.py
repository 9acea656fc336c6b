"""Config round trips, released-checkpoint name mapping, and exact resume."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from protbench.protclip.checkpoint import (load_model, load_released, load_state_into, map_released_state,
                                           released_config, save_model)
from protbench.protclip.config import DEFAULT_WEIGHTS, ProtCLIPConfig, named_config
from protbench.protclip.data import ProtAnnoRecord, write_protanno
from protbench.protclip.model import ProtCLIP
from protbench.protclip.suite_model import ProtCLIPSuiteModel


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
    released = released_config(cfg)
    for key in ("protein_model_config", "text_model_config", "projection_dim", "proto_num", "proto_dim",
                "logit_scale_init", "local_logit_scale_init", "protein_mask_probability", "text_mask_probability"):
        assert key in released
    assert released["model_type"] == "FST" and released["t2p_mlm"] == 1 and released["local_contrast"] == 1
    (tmp_path / "config.json").write_text(json.dumps(released))
    back = ProtCLIPConfig.load(tmp_path / "config.json")
    assert back.projection_dim == 32 and back.proto_num == 16 and back.logit_scale_init == 0.07
    assert back.protein_model_config["hidden_size"] == 64 and back.text_model_config["hidden_size"] == 32
    assert back.extra["fusion_num_heads"] == 8 and back.text_tokenizer == "none"
    assert released_config(back)["fusion_num_heads"] == 8
    cfg.save(tmp_path / "ours.json")
    assert ProtCLIPConfig.load(tmp_path / "ours.json") == cfg


FIXTURE = Path(__file__).parent / "fixtures" / "protclip_official_param_names.txt"

# Where each official module lands in our model: written from reading both model classes (the official
# FSTForPretrain and protclip/model.py), independently of checkpoint.RELEASED_RENAMES. Names not listed
# keep their official name.
OFFICIAL_TO_OURS = {"decoder.": "bsr_decoder.", "t2p_mlm_head.": "bsr_head.", "proto_bank.prototype.": "prototypes."}
# Official tensors our model has no use for.
OFFICIAL_UNUSED = ("local_cross_attention.", "predictor.", "protein_model.pooler.", "text_model.pooler.",
                   "protein_model.embeddings.position_embeddings.")


def official_tiny_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random float16 tensors (the released file is float16) under the fixture's official names and shapes."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for line in FIXTURE.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, shape = line.split("\t")
        out[name] = torch.randn(tuple(int(x) for x in shape.split(",") if x), generator=g).half()
    return out


def _check_official_values(model, state, dropped):
    after = model.state_dict()
    for name, t in state.items():
        if name.startswith(OFFICIAL_UNUSED) or name.endswith("rotary_embeddings.inv_freq"):
            assert name in dropped, name
        elif name == "local_logit_scale":                  # official: 2 scales, the loss reads [0]
            assert torch.equal(after[name], t[0].float())
        else:
            target = next((new + name[len(old):] for old, new in OFFICIAL_TO_OURS.items() if name.startswith(old)),
                          name)
            assert torch.equal(after[target], t.float()), (name, target)
    assert len(dropped) == sum(n.startswith(OFFICIAL_UNUSED) or n.endswith("inv_freq") for n in state)


def test_official_parameter_names_map_onto_ours_with_nothing_missing_or_unexpected():
    state = official_tiny_state()
    assert len(state) == 126 and "protein_model.contact_head.regression.weight" in state
    mapped, dropped = map_released_state(state)
    model = ProtCLIP(named_config("tiny", seed=3))
    ours = model.state_dict()
    assert sorted(set(mapped) - set(ours)) == []                                  # nothing unexpected
    # nothing missing but ESM's rotary frequency buffer (a constant of the architecture, rebuilt)
    assert sorted(set(ours) - set(mapped)) == [k for k in ours if k.endswith("rotary_embeddings.inv_freq")]
    load_state_into(model, mapped, "official names fixture", allow_missing=())  # strict: names and shapes
    _check_official_values(model, state, dropped)


def test_released_files_load_end_to_end(tmp_path):
    from safetensors.torch import save_file

    cfg = named_config("tiny", seed=3)
    state = official_tiny_state(1)
    save_file(state, str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps(released_config(cfg)))
    model = load_released(tmp_path / "model.safetensors")
    assert model.tokenizer is None                  # released weights ship no vocabulary
    _check_official_values(model, state, [n for n in state if n.startswith(OFFICIAL_UNUSED) or
                                           n.endswith("inv_freq")])
    assert model.embed_proteins(["MKTAYIAKQR", "GSHMLEDPVD"], "encoder").shape == (2, 64)
    with pytest.raises(FileNotFoundError, match="text_tokenizer"):
        model.embed_texts(["a kinase"])
    with pytest.raises(KeyError, match="does not know"):
        map_released_state({"some.other.weight": torch.zeros(1)})
    with pytest.raises(FileNotFoundError, match="15245588"):
        load_released(tmp_path / "missing.safetensors")
    # one official tensor missing from the file: refused, named
    from safetensors.torch import load_file

    del state["t2p_mlm_head.3.bias"]
    save_file(state, str(tmp_path / "model.safetensors"))
    with pytest.raises(ValueError, match=r"missing \['bsr_head.3.bias'\]"):
        load_released(tmp_path / "model.safetensors")
    assert "t2p_mlm_head.3.bias" not in load_file(str(tmp_path / "model.safetensors"))


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


def _strip(d):
    """Summary parts compared between runs (wall-clock seconds excluded)."""
    if isinstance(d, dict):
        return {k: _strip(v) for k, v in d.items() if k != "seconds"}
    return d


def test_resumed_summary_covers_the_whole_run(tmp_path):
    from protbench.protclip.train import PretrainConfig, pretrain

    data = _corpus(tmp_path / "c.jsonl", n=40)
    common = dict(train_data=str(data), batch_size=4, max_steps=8, eval_every=2, valid_fraction=0.2, max_valid=8,
                  threads=1, save_best=False, keep_checkpoints=5, lr=1e-3, save_every=2,
                  retrieval_data=str(data), max_retrieval=8)
    full = pretrain(PretrainConfig(output_dir=str(tmp_path / "a"), resume=None, **common))
    pretrain(PretrainConfig(output_dir=str(tmp_path / "b"), resume=None, stop_after_steps=4, **common))
    resumed = pretrain(PretrainConfig(output_dir=str(tmp_path / "b"), resume="auto", **common))
    assert resumed["resumed_from"].endswith("step-000004") and resumed["steps"] == 8
    for key in ("first", "final", "mean_first", "mean_last", "valid"):
        assert _strip(resumed[key]) == _strip(full[key]), key
    assert resumed["first"]["step"] == 1 and resumed["valid"]["first"]["step"] == 0
    assert resumed["retrieval"]["init"] == full["retrieval"]["init"]
    assert resumed["retrieval"]["final"] == full["retrieval"]["final"]


def test_resume_refuses_changed_data_or_batches(tmp_path):
    from protbench.protclip.train import PretrainConfig, pretrain

    data = _corpus(tmp_path / "c.jsonl", n=24)
    common = dict(train_data=str(data), batch_size=4, max_steps=4, eval_every=0, valid_fraction=0.0, threads=1,
                  save_best=False, save_every=2, lr=1e-3)
    pretrain(PretrainConfig(output_dir=str(tmp_path / "r"), resume=None, stop_after_steps=2, **common))
    with pytest.raises(ValueError, match=r"batch_size changed \(4 in the checkpoint, 8 now\).*--fresh"):
        pretrain(PretrainConfig(output_dir=str(tmp_path / "r"), **{**common, "batch_size": 8}))
    with pytest.raises(ValueError, match=r"grad_accum changed \(1 in the checkpoint, 2 now\)"):
        pretrain(PretrainConfig(output_dir=str(tmp_path / "r"), grad_accum=2, **common))
    with pytest.raises(ValueError, match="seed changed"):
        pretrain(PretrainConfig(output_dir=str(tmp_path / "r"), **{**common, "seed": 1}))
    lines = data.read_text().splitlines()
    data.write_text("\n".join(lines[1:] + lines[:1]) + "\n")          # same records, another order
    with pytest.raises(ValueError, match="train_data sha256 changed"):
        pretrain(PretrainConfig(output_dir=str(tmp_path / "r"), **common))
    data.write_text("\n".join(lines) + "\n")                            # back as it was: resumes
    with pytest.raises(ValueError, match=r"recipe changed \(lr 0\.001 in the checkpoint, 0\.002 now\)"):
        pretrain(PretrainConfig(output_dir=str(tmp_path / "r"), **{**common, "lr": 2e-3}))
    with pytest.raises(ValueError, match=r"recipe changed \(max_steps 4 in the checkpoint, 6 now\)"):
        pretrain(PretrainConfig(output_dir=str(tmp_path / "r"), **{**common, "max_steps": 6}))
    without_bsr = {**DEFAULT_WEIGHTS, "bsr": 0.0}                       # an objective left out: another run
    with pytest.raises(ValueError, match=r"recipe changed \(model\.loss_weights .*'bsr': 0\.0"):
        pretrain(PretrainConfig(output_dir=str(tmp_path / "r"), model_overrides={"loss_weights": without_bsr},
                                **common))
    s = pretrain(PretrainConfig(output_dir=str(tmp_path / "r"), **common))
    assert s["steps"] == 4 and s["resumed_from"].endswith("step-000002")


def test_fresh_run_over_an_earlier_one_resumes_its_own_checkpoints(tmp_path):
    """A fresh run in a folder that holds a longer earlier run, killed after its first checkpoint: the rerun
    resumes the new run (not the earlier run's later steps) and ends where an uninterrupted run ends."""
    from protbench.protclip.train import PretrainConfig, pretrain

    data = _corpus(tmp_path / "c.jsonl", n=24)
    common = dict(train_data=str(data), batch_size=4, eval_every=0, valid_fraction=0.0, threads=1,
                  save_best=False, save_every=2, keep_checkpoints=2, lr=1e-3)
    clean = pretrain(PretrainConfig(output_dir=str(tmp_path / "clean"), resume=None, max_steps=4, **common))
    out = str(tmp_path / "r")
    pretrain(PretrainConfig(output_dir=out, resume=None, max_steps=8, seed=1, **common))      # the earlier run
    assert (tmp_path / "r" / "checkpoints" / "step-000008").is_dir()
    pretrain(PretrainConfig(output_dir=out, resume=None, max_steps=4, stop_after_steps=2, **common))
    assert sorted(p.name for p in (tmp_path / "r" / "checkpoints").iterdir()) == ["step-000002"]
    s = pretrain(PretrainConfig(output_dir=out, max_steps=4, **common))
    assert s["resumed_from"].endswith("step-000002") and s["steps"] == 4
    assert _strip(s["final"]) == _strip(clean["final"])


class _Killed(Exception):
    pass


@pytest.mark.parametrize("kill_at", ["writing", "parked", "swapped"])
def test_a_kill_while_replacing_the_best_model_keeps_a_complete_one(tmp_path, monkeypatch, kill_at):
    """Fault injection: `best/` is replaced while training runs; a kill mid-write, after the old copy is
    parked, or after the swap leaves one complete folder once recovered (the old or the new model)."""
    from protbench.protclip import checkpoint as ckpt

    torch.manual_seed(0)
    old_model, new_model = ProtCLIP(named_config("tiny")), ProtCLIP(named_config("tiny"))
    best = tmp_path / "best"
    ckpt.save_best(old_model, best)
    real_rename, real_rmtree = Path.rename, ckpt.shutil.rmtree

    if kill_at == "writing":
        def write_then_die(model, folder, training=None):
            Path(folder).mkdir(parents=True)
            (Path(folder) / "model.safetensors").write_bytes(b"half a file")
            raise _Killed
        monkeypatch.setattr(ckpt, "save_model", write_then_die)
    elif kill_at == "parked":
        def rename(self, target):
            if Path(target).name == "best":
                raise _Killed          # old copy parked as best.old, new one complete in best.tmp
            return real_rename(self, target)
        monkeypatch.setattr(Path, "rename", rename)
    else:
        def rmtree(path, *a, **k):
            if Path(path).name == "best.old":
                raise _Killed          # swapped, old copy not yet deleted
            return real_rmtree(path, *a, **k)
        monkeypatch.setattr(ckpt.shutil, "rmtree", rmtree)
    with pytest.raises(_Killed):
        ckpt.save_best(new_model, best)
    monkeypatch.undo()
    expect = old_model if kill_at == "writing" else new_model
    left = sorted(p.name for p in tmp_path.iterdir())
    # a reader before any repair (e.g. `protbench run --weights run/best` right after the kill) gets the
    # complete copy and changes nothing on disk, so it cannot race a trainer that is mid-swap
    for loaded in (load_model(best), ProtCLIPSuiteModel("protclip", weights=best).model):
        for (k, a), b in zip(loaded.state_dict().items(), expect.state_dict().values()):
            assert torch.equal(a, b), k
    assert sorted(p.name for p in tmp_path.iterdir()) == left
    ckpt.recover_folder(best)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best"]
    loaded = load_model(best)
    for (k, a), b in zip(loaded.state_dict().items(), expect.state_dict().values()):
        assert torch.equal(a, b), k


def test_recovery_never_drops_the_only_complete_copy(tmp_path):
    """Only `best.old` left (the new copy lost by hand or by the file system): it goes back, it is not deleted."""
    from protbench.protclip import checkpoint as ckpt

    model = ProtCLIP(named_config("tiny"))
    ckpt.save_best(model, tmp_path / "best")
    (tmp_path / "best").rename(tmp_path / "best.old")
    ckpt.recover_folder(tmp_path / "best")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best"]
    load_model(tmp_path / "best")
