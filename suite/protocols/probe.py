"""``probe``: a small head trained on frozen pooled embeddings, chosen on validation.

Heads ``linear`` (ridge regression in closed form for regression targets) and ``mlp``
(Linear → ReLU → Dropout → Linear); inputs and regression targets standardised with train
statistics; Adam with early stopping on the task's validation metric. The fitting code is
:mod:`protbench.protocols.algorithms.probe`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protbench.spec import Capability, SeedResult

from . import ProtocolSpec
from .context import ProtocolContext
from .supervised import ScoringConfig, finish, labels
from .settings import setting


@dataclass(frozen=True)
class ProbeConfig(ScoringConfig):
    """Grid and training schedule of the probe.

    ``ridge_alphas`` are multiplied by the number of training items (penalty per item). Fits use the run's
    torch threads (``protbench run --threads``; an execution setting, not part of the config). ``peer-mlp`` is PEER's network for feature encoders
    (Linear(d, hidden) → ReLU → Linear(hidden, hidden) → ReLU → Linear(hidden, out)). ``eval_every``: validate
    after every that many epochs (and the last); ``patience`` counts validations; ``shuffle_seed``: the data
    order's seed (None: the run's seed).
    """

    heads: tuple[str, ...] = setting(("linear", "mlp"), choices=("linear", "mlp", "peer-mlp"))
    hidden: int = setting(512, low=1)
    dropout: float = setting(0.1, low=0, high=1, high_open=True)
    learning_rates: tuple[float, ...] = setting((1e-3,), low=0, low_open=True)
    weight_decays: tuple[float, ...] = setting((0.0,), low=0)
    batch_size: int = setting(1024, low=1)
    max_epochs: int = setting(40, low=1)
    patience: int = setting(5, low=0)
    ridge_alphas: tuple[float, ...] = setting((1e-4, 1e-3, 1e-2, 1e-1, 1.0), low=0, low_open=True)
    standardize_inputs: bool = True
    standardize_targets: bool = True
    eval_every: int = setting(1, low=1)
    shuffle_seed: int | None = setting(None, low=0)

    def __post_init__(self) -> None:
        for h in self.heads:
            if h not in ("linear", "mlp", "peer-mlp"):
                raise ValueError(f"unknown probe head {h!r}; use 'linear', 'mlp' or 'peer-mlp'")
        if self.eval_every < 1:
            raise ValueError("eval_every must be at least 1")

    @classmethod
    def quick(cls) -> "ProbeConfig":
        """A cheap setting for smoke runs and tests."""
        return cls(heads=("linear", "mlp"), hidden=64, batch_size=64, max_epochs=30, patience=5)


def run(ctx: ProtocolContext) -> SeedResult:
    from .algorithms.probe import fit_probe

    lab = labels(ctx)
    xs = {s: ctx.emb.proteins(lab.sequences(ctx.data, s)) for s in ("train", "valid", "test")}
    fit = fit_probe(lab.task_type, xs["train"], lab.ys["train"], xs["valid"], lab.ys["valid"], lab.select,
                    seed=ctx.seed, n_outputs=lab.n_outputs, config=ctx.config, higher_is_better=lab.higher_is_better)
    preds = {s: fit.predict(xs[s]) for s in ("valid", "test")}
    info: dict[str, Any] = {"chosen": fit.chosen, "candidates": fit.candidates, "fit_seconds": round(fit.seconds, 3)}
    return finish(ctx, lab, preds, info)


PROTOCOL = ProtocolSpec("probe", ProbeConfig, run, frozenset({Capability.PROTEIN}),
                        description="head on frozen pooled embeddings, chosen on validation")
