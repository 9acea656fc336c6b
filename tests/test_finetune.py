"""Fine-tune protocol: end to end on a tiny ESM-2 (CPU) and learning check on a toy encoder."""
from __future__ import annotations


import numpy as np
import torch
from torch import nn

from protbench.protocols.finetune import FinetuneConfig
from protbench.metrics import METRICS
from protbench.sequences import STANDARD
from protbench.smoke import planted_fitness, random_sequences, rng_for
from protbench.spec import Capability, ModelMeta, Record, TaskData
from protbench.stages import evaluate_seed
from protbench.tasks.mutation.specs import beta_lactamase


def _data(n=(48, 16, 16), seed=0):
    rng = rng_for("ft-test", seed)
    splits = {}
    for name, k in zip(("train", "valid", "test"), n):
        seqs = random_sequences(rng, k, 20, 40)
        splits[name] = [Record(f"{name}/{i}", s, planted_fitness(s)) for i, s in enumerate(seqs)]
    return TaskData(splits=splits)


class ToyEncoder:
    """Mean of learned residue embeddings: enough to learn a composition-based target."""

    def __init__(self, dim=16):
        torch.manual_seed(0)
        self.module = nn.Embedding(len(STANDARD), dim)
        self.dim = dim

    def __call__(self, seqs):
        return torch.stack([self.module(torch.tensor([STANDARD.index(a) for a in s])).mean(0) for s in seqs])


class ToyModel:
    meta = ModelMeta(name="toy", fingerprint="toy", dim=16, max_length=100,
                     capabilities=frozenset({Capability.PROTEIN, Capability.FINETUNE}))

    def __init__(self):
        self.encoders = []

    def trainable_encoder(self):
        self.encoders.append(ToyEncoder())
        return self.encoders[-1]


def _finetune(model, data, params=None, quick=False):
    res = evaluate_seed(beta_lactamase, data, None, 0, "finetune", quick=quick, params=params, model=model)
    return {s: res.predictions["test"]["y_score"] if s == "test" else None for s in ("valid", "test")}, res


def test_toy_encoder_learns_and_is_trained():
    model = ToyModel()
    data = _data(n=(120, 30, 40))
    preds, res = _finetune(model, data, {"epochs": 15, "lr": 3e-3, "lr_ratio": 1.0, "patience": 15})
    info = res.info
    y = np.array([r.label for r in data.splits["test"]])
    assert preds["test"].shape == (40,) and set(res.scores) == {"valid", "test"}
    assert METRICS["spearman"](y, preds["test"]) > 0.6
    fresh = ToyEncoder().module.weight
    assert not torch.allclose(model.encoders[-1].module.weight, fresh)      # encoder weights were fine-tuned
    assert info["config"]["lr_ratio"] == 1.0 and 1 <= info["best_epoch"] <= info["epochs_run"]


def test_encoder_lr_is_fraction_of_head_lr():
    model = ToyModel()
    data = _data()
    captured = {}
    orig = torch.optim.Adam

    class Spy(orig):
        def __init__(self, groups, **kw):
            captured["lrs"] = [g["lr"] for g in groups]
            super().__init__(groups, **kw)

    torch.optim.Adam = Spy
    try:
        _finetune(model, data, {"epochs": 1})
    finally:
        torch.optim.Adam = orig
    head_lr, enc_lr = captured["lrs"]
    assert enc_lr == FinetuneConfig().lr_ratio * head_lr and enc_lr < head_lr


def test_esm2_tiny_end_to_end_through_task():
    from protbench.models.esm import ESM2

    model = ESM2("tiny")
    data = _data(n=(24, 8, 8))
    res = evaluate_seed(beta_lactamase, data, None, 0, "finetune", quick=True, params={"ci_resamples": 20},
                        model=model)
    assert set(res.scores) == {"valid", "test"}
    assert np.isfinite(res.scores["test"]["mae"]) and np.isfinite(res.scores["test"]["rmse"])
    assert res.info["protocol"] == "finetune" and res.info["encoder_parameters"] > 10_000
    assert res.predictions["test"]["y_score"].shape == (8,)
