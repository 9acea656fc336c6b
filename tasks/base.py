"""The task class shared by the function and mutation families: a spec, a loader, smoke data, a probe.

A :class:`ProbeTask` evaluates with the ``probe`` protocol (frozen pooled
embeddings → head chosen on validation) or, for models with a trainable
encoder, ``finetune``. Scores are reported for the valid and test splits.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from protbench.evaluation.probe import ProbeConfig, fit_probe
from protbench.interfaces import Embeddings, EvalOptions
from protbench.metrics import LOWER_IS_BETTER, METRICS
from protbench.spec import SeedResult, TaskData, TaskSpec


def labels_of(data: TaskData, split: str, task_type: str, n_outputs: int | None) -> np.ndarray:
    """Labels of a split as an array: floats ``(n,)``, class ids ``(n,)`` or a 0/1 matrix ``(n, C)``."""
    recs = data.splits[split]
    if task_type == "regression":
        return np.array([float(r.label) for r in recs], dtype=np.float64)
    if task_type == "classification":
        return np.array([int(r.label) for r in recs], dtype=np.int64)
    y = np.zeros((len(recs), int(n_outputs)), dtype=np.float32)
    for i, r in enumerate(recs):
        y[i, list(r.label)] = 1.0
    return y


def score_all(metrics: tuple[str, ...], y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
    return {m: float(METRICS[m](y_true, y_score)) for m in metrics}


@dataclass
class ProbeTask:
    """A supervised task on pooled protein embeddings.

    ``read(files) -> TaskData`` parses the fetched upstream files (keys are
    :attr:`DataSource.filename`; ``files.cache_dir`` is where archives unpack);
    ``smoke(folder) -> {filename: path}`` writes synthetic files in the same
    format. ``task_type`` is ``regression``, ``classification`` or ``multilabel``;
    ``n_outputs`` the number of classes/labels (None: taken from the data).
    """

    spec: TaskSpec
    task_type: str
    read: Callable[[Mapping[str, Path]], TaskData]
    smoke: Callable[[Path], dict[str, Path]]
    n_outputs: int | None = None

    def load(self, files: Mapping[str, Path]) -> TaskData:
        return self.read(files)

    def write_smoke(self, folder: Path) -> dict[str, Path]:
        return self.smoke(Path(folder))

    def outputs(self, data: TaskData) -> int | None:
        return self.n_outputs or data.extra.get("n_outputs")

    def evaluate(self, data: TaskData, emb: Embeddings, seed: int, options: EvalOptions) -> SeedResult:
        protocol = options.protocol or self.spec.protocol
        n_out = self.outputs(data)
        ys = {s: labels_of(data, s, self.task_type, n_out) for s in ("train", "valid", "test")}
        select = METRICS[self.spec.main_metric]
        higher = self.spec.main_metric not in LOWER_IS_BETTER
        if protocol == "probe":
            xs = {s: emb.proteins([r.sequence for r in data.splits[s]]) for s in ("train", "valid", "test")}
            config = ProbeConfig.quick() if options.quick else ProbeConfig()
            fit = fit_probe(self.task_type, xs["train"], ys["train"], xs["valid"], ys["valid"], select, seed=seed,
                            n_outputs=n_out, config=config, higher_is_better=higher)
            preds = {s: fit.predict(xs[s]) for s in ("valid", "test")}
            info: dict[str, Any] = {"chosen": fit.chosen, "fit_seconds": round(fit.seconds, 3)}
        elif protocol == "finetune":
            from protbench.evaluation.finetune import finetune

            preds, info = finetune(self.task_type, emb.model, data, ys, select, seed=seed, n_outputs=n_out,
                                   quick=options.quick, higher_is_better=higher, device=options.device)
        else:
            raise ValueError(f"task {self.spec.id!r} has no protocol {protocol!r}; choose one of {self.spec.protocols}")
        scores = {s: score_all(self.spec.metrics, ys[s], preds[s]) for s in ("valid", "test")}
        return SeedResult(scores=scores, info=info,
                          predictions={"test": {"y_true": ys["test"], "y_score": preds["test"]}})
