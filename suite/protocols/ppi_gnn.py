"""``ppi-gnn``: multi-type PPI with a GIN over the training graph on frozen protein vectors (GNN-PPI).

The task's pairs are split (BFS / DFS / random, :mod:`protbench.protocols.algorithms.ppi_splits`;
the method is the task's) into train / valid / test; the message-passing graph holds the training
pairs only; the best validation epoch (micro-F1) is kept; test pairs are scored once, overall and on
GNN-PPI's BS / ES / NS subsets (both / one / no protein seen in training). The split is written
beside the result (``.splits/<task>/``) with its sha256. Network: :mod:`protbench.protocols.algorithms.ppi_gnn`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from protbench.metrics import METRICS
from protbench.spec import Capability, SeedResult, TaskData

from . import ProtocolSpec
from .context import ProtocolContext
from .settings import setting


@dataclass(frozen=True)
class PpiGnnConfig:
    """Split and network settings (GNN-PPI's values where it states them; ``hidden`` and epochs reduced for CPU).

    ``split_seed``: the split's seed, fixed across model seeds so the std measures the model alone (None: the
    run's seed, every seed drawing its own split); ``split_file``: reuse a saved split JSON (with
    ``split_sha256`` to check it); ``graph``: message passing over the ``train`` pairs (default) or ``all``
    pairs, held-out ones included (GNN-PPI); ``select_on``: the split choosing the epoch, ``valid`` (default)
    or ``test`` (GNN-PPI: its only held-out set — not a clean estimate, marked in tables);
    ``aggregation``: ``mean`` (default) or ``sum`` (GIN / GNN-PPI); ``hide_batch_edges``: a step's own
    training pairs pass no messages; ``lr_plateau_patience``: halve the lr after that many epochs without a
    lower mean training loss (0: off; GNN-PPI: 20); ``select_on = "last"`` keeps the last epoch (no early
    stopping); ``input_dim``: 0 projects the frozen vectors to ``hidden`` (default), > 0 projects them to
    ``input_dim`` and the first GIN layer maps that to ``hidden`` (GNN-PPI's fc1 to 256 before a 512-wide GIN;
    the PLM papers' projection). Training uses the run's torch threads (``--threads``).
    """

    split_seed: int | None = setting(0, low=0)
    split_file: str = ""
    split_sha256: str = ""
    test_fraction: float = setting(0.2, low=0, high=1, low_open=True, high_open=True)
    valid_fraction: float = setting(0.1, low=0, high=1, high_open=True)
    hidden: int = setting(256, low=1)
    layers: int = setting(1, low=1)
    dropout: float = setting(0.5, low=0, high=1, high_open=True)
    lr: float = setting(1e-3, low=0, low_open=True)
    weight_decay: float = setting(5e-4, low=0)
    batch_size: int = setting(2048, low=1)
    max_epochs: int = setting(200, low=1)
    patience: int = setting(30, low=0)
    standardize: bool = True
    aggregation: str = setting("mean", choices=("sum", "mean"))
    hide_batch_edges: bool = False
    graph: str = setting("train", choices=("train", "all"))
    select_on: str = setting("valid", choices=("valid", "test", "last"))
    lr_plateau_patience: int = setting(0, low=0)
    input_dim: int = setting(0, low=0)

    def __post_init__(self) -> None:
        if self.aggregation not in ("sum", "mean"):
            raise ValueError(f"aggregation must be 'sum' or 'mean', not {self.aggregation!r}")
        if self.graph not in ("train", "all"):
            raise ValueError(f"graph must be 'train' or 'all', not {self.graph!r}")
        if self.select_on not in ("valid", "test", "last"):
            raise ValueError(f"select_on must be 'valid', 'test' or 'last', not {self.select_on!r}")
        if self.test_fraction + self.valid_fraction >= 1:
            raise ValueError(f"test_fraction + valid_fraction must be below 1 (train keeps the rest), not "
                             f"{self.test_fraction} + {self.valid_fraction}")

    @classmethod
    def quick(cls) -> "PpiGnnConfig":
        return cls(hidden=64, max_epochs=40, patience=10)


def pairs_on(data: TaskData, node_of: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs/labels re-indexed onto the current protein records (``--limit`` may have removed some)."""
    pairs = np.asarray(data.extra["pairs"], dtype=np.int64)
    labels = np.asarray(data.extra["labels"], dtype=np.uint8)
    ids = [pid.split("__") for pid in data.extra["pair_ids"]]
    mapped = np.array([[node_of.get(a, -1), node_of.get(b, -1)] for a, b in ids], dtype=np.int64).reshape(-1, 2)
    keep = (mapped >= 0).all(axis=1)
    if keep.all() and np.array_equal(mapped, pairs):
        return pairs, labels
    if not keep.any():
        raise ValueError("no pair has both proteins among the loaded records (is --limit too small for a graph?)")
    return mapped[keep], labels[keep]


def subset_scores(pairs, split, y_true, y_score, metrics) -> dict[str, dict[str, float]]:
    """Test scores on GNN-PPI's BS / ES / NS subsets (both / one / none protein seen in training)."""
    seen = np.zeros(int(pairs.max()) + 1, dtype=bool)
    seen[pairs[np.asarray(split.train + split.valid, dtype=np.int64)].ravel()] = True
    k = seen[pairs[np.asarray(split.test, dtype=np.int64)]].sum(axis=1)
    out = {}
    for name, n_seen in (("both", 2), ("one", 1), ("none", 0)):
        m = k == n_seen
        out[name] = {"n": int(m.sum()), **({met: float(METRICS[met](y_true[m], y_score[m])) for met in metrics}
                                            if m.any() else {})}
    return out


def evaluate_pairs(ctx: ProtocolContext, graph: bool, trainable: Any = None, protocol: str = "") -> SeedResult:
    """Split the task's pairs, train the pair network (with or without the graph), score test once.

    ``trainable`` (``ppi-gnn-finetune``): the model's trainable encoder — ``features(seqs)`` gives the raw node
    inputs and ``build()`` a fresh encoder trained with the GIN — instead of frozen vectors from the cache.
    """
    from .algorithms import ppi_splits
    from .algorithms.ppi_gnn import fit_pairs

    cfg = ctx.config
    task, spec = ctx.task, ctx.spec
    proteins = ctx.data.splits["proteins"]
    pairs, labels = pairs_on(ctx.data, {r.id: i for i, r in enumerate(proteins)})
    seqs = [r.sequence for r in proteins]
    x = trainable.features(seqs) if trainable is not None else ctx.emb.proteins(seqs)
    split_seed = ctx.seed if cfg.split_seed is None else int(cfg.split_seed)
    if cfg.split_file:
        split = ppi_splits.load_split(Path(cfg.split_file), len(pairs), cfg.split_sha256 or None)
    else:
        split = ppi_splits.make_split(pairs, len(proteins), task.split_method, seed=split_seed,
                                      test_fraction=cfg.test_fraction, valid_fraction=cfg.valid_fraction)
    split_info: dict[str, Any] = {
        "method": split.method, "seed": split.seed, "test_fraction": split.test_fraction,
        "valid_fraction": split.valid_fraction, "roots": split.roots,
        "sizes": {"train": len(split.train), "valid": len(split.valid), "test": len(split.test)},
        "sha256": split.sha256(),
        # GNN-PPI's BS / ES / NS: test pairs with both / one / no protein in a non-test pair
        "test_seen": ppi_splits.seen_shares(pairs, split.train + split.valid, split.test),
        "valid_seen": ppi_splits.seen_shares(pairs, split.train, split.valid),
    }
    if ctx.artefacts is not None:
        name = f"{split.method}-seed{split.seed}.json"
        saved = ppi_splits.save_split(split, ctx.artefacts.path(name))
        split_info["file"] = ctx.artefacts.ref(name)
        split_info["sha256"] = saved["sha256"]
    select = METRICS[spec.main_metric]
    held_out = np.asarray(split.test if cfg.select_on == "test" else split.valid)
    graph_edges = np.arange(len(pairs)) if cfg.graph == "all" else None
    fit = fit_pairs(x, pairs, labels, np.asarray(split.train), held_out, select, seed=ctx.seed, graph=graph,
                    config=cfg, graph_edges=graph_edges,
                    encoder=trainable.build if trainable is not None else None)
    parts = [s for s in ("valid", "test") if len(getattr(split, s))]
    preds = {s: fit.predict(pairs[getattr(split, s)]) for s in parts}
    ys = {s: labels[getattr(split, s)].astype(np.float32) for s in parts}
    scores = {s: {m: float(METRICS[m](ys[s], preds[s])) for m in spec.metrics} for s in parts}
    info = {"protocol": protocol or ("ppi-gnn" if graph else "pair-mlp"),
            "split": split_info, "fit": fit.info(),
            "selected_on": cfg.select_on, "graph_edges": cfg.graph if graph else "none",
            "test_subsets": subset_scores(pairs, split, ys["test"], preds["test"], spec.metrics),
            "nodes": len(proteins), "pairs": int(len(pairs))}
    if fit.last_state is not None:       # the same run read at its last epoch (GNN-PPI's gnn_model_train.ckpt)
        last = fit.predict(pairs[split.test], last_epoch=True)
        info["test_last_epoch"] = {"epoch": fit.epochs, **{m: float(METRICS[m](ys["test"], last))
                                                           for m in spec.metrics},
                                   "subsets": subset_scores(pairs, split, ys["test"], last, spec.metrics)}
    return SeedResult(scores=scores, info=info,
                      predictions={"test": {"y_true": ys["test"].astype(np.uint8), "y_score": preds["test"],
                                            "edges": np.asarray(split.test, dtype=np.int64)}})


def run(ctx: ProtocolContext) -> SeedResult:
    return evaluate_pairs(ctx, graph=True)


PROTOCOL = ProtocolSpec("ppi-gnn", PpiGnnConfig, run, frozenset({Capability.PROTEIN}),
                        seed_cost=2,
                        # 2: node vectors gathered with index_select (f6cb16b): multi-thread fits repeat exactly,
                        # and their numbers differ from revision 1's in the last digits
                        revision=2,
                        description="GIN over the training pairs on frozen vectors, best validation epoch (GNN-PPI)")
