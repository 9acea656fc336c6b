"""The random-init control of results/pretraining: the step-0 model a run started from, rebuilt from its config."""
import json

import torch

from protbench.protclip.checkpoint import load_model
from protbench.protclip.initial import save_initial
from protbench.protclip.model import ProtCLIP
from protbench.protclip.train import PretrainConfig, model_config


def test_initial_model_is_the_runs_step_zero_model(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    cfg = PretrainConfig(train_data="unused.jsonl", output_dir=str(run), model="tiny", seed=5)
    fields = {k: getattr(cfg, k) for k in PretrainConfig.__dataclass_fields__}
    (run / "pretrain_config.json").write_text(json.dumps(fields, default=str))
    folder = save_initial(run, tmp_path / "init")
    saved = load_model(folder).state_dict()
    built = ProtCLIP(model_config(cfg)).state_dict()       # what the Trainer builds at step 0
    assert saved.keys() == built.keys()
    assert all(torch.equal(saved[k], built[k]) for k in built)
    other = ProtCLIP(model_config(PretrainConfig(train_data="x", output_dir="y", model="tiny", seed=6))).state_dict()
    assert not all(torch.equal(other[k], built[k]) for k in built if k in other)
