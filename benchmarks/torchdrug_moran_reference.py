"""torchdrug's own Moran feature (and, optionally, its own PEER training) on TAPE stability, beside protbench's
``moran-torchdrug``: the reference that says whether the open PEER Moran stability cell (protbench 0.258 ± 0.011
vs PEER 0.322 ± 0.011 Spearman) comes from the features or from the training.

    python benchmarks/torchdrug_moran_reference.py --aaidx AAidx.txt [--n 2000] [--train --seeds 0 1 2]
        [--epochs 100] [--json benchmarks/results/torchdrug_moran_stability.json]

Runs in an environment with the PyPI package torchdrug (0.2.1) next to protbench; see docs/reproducing-published.md
§2 for how it installs on Python 3.11 / torch 2.13 (torchdrug declares Requires-Python < 3.11). ``--aaidx`` is
the AAindex file torchdrug's ``models.Physicochemical`` downloads (md5 ``ec612f4df41b93ae03c31ae376c23ce0``;
iFeature's ``data/AAidx.txt`` has that md5); it is checked and handed to torchdrug, so nothing is downloaded.

1. **Features.** ``models.Physicochemical(type="moran", nlag=30)``'s 240 features (its MLP replaced by the
   identity) on ``--n`` stability sequences (train, valid and test, in file order) against protbench's
   ``moran-torchdrug``: max |Δ| and max relative |Δ|.
2. **Training** (``--train``): PEER's Moran stability config run by torchdrug itself — ``Physicochemical(moran,
   nlag 30, hidden_dims [512])``, ``tasks.PropertyPrediction`` (MSE, 2-layer MLP head, no target
   normalisation), ``core.Engine`` with Adam 1e-4, batch 64 (PEER's 16 × 4 GPUs), ``--epochs`` epochs in ten
   chunks, the chunk with the best validation Spearman tested; per seed. The records are protbench's stability
   loader's (the same records protbench's run used; read from the LMDB without unpickling arbitrary objects),
   given to torchdrug as sequences and targets — torchdrug's own dataset class would unpickle the LMDB values.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

AAIDX_MD5 = "ec612f4df41b93ae03c31ae376c23ce0"


def stability_records() -> dict[str, list]:
    """protbench's stability splits (real data from the mirror)."""
    import mirror_files

    return mirror_files.task_splits("stability")


def physicochemical(aaidx: Path, hidden: list[int] | None = None):
    """torchdrug's Moran module reading ``aaidx`` (md5-checked) from a private folder."""
    from torchdrug import models

    if hashlib.md5(aaidx.read_bytes()).hexdigest() != AAIDX_MD5:
        raise SystemExit(f"{aaidx}: md5 is not torchdrug's AAidx.txt ({AAIDX_MD5}); give iFeature's data/AAidx.txt")
    folder = Path(tempfile.mkdtemp(prefix="td-aaidx-"))
    shutil.copy(aaidx, folder / "AAidx.txt")
    return models.Physicochemical(str(folder), type="moran", nlag=30, hidden_dims=list(hidden or [512]))


def torchdrug_features(module, seqs: list[str], batch: int = 256) -> np.ndarray:
    """``(len(seqs), 240)`` raw features: torchdrug's forward with its MLP replaced by the identity."""
    import torch
    from torchdrug import data

    module.mlp = torch.nn.Identity()
    out = []
    with torch.no_grad():
        for i in range(0, len(seqs), batch):
            proteins = [data.Protein.from_sequence(s, atom_feature=None, bond_feature=None, residue_feature="default")
                        for s in seqs[i:i + batch]]
            graph = data.Protein.pack(proteins)
            out.append(module(graph, graph.residue_feature.float())["graph_feature"].numpy())
    return np.concatenate(out)


def compare_features(args: argparse.Namespace, splits: dict[str, list]) -> dict:
    from protbench.models.physicochemical import moran_torchdrug

    seqs = [r.sequence for s in ("train", "valid", "test") for r in splits[s]][:args.n]
    theirs = torchdrug_features(physicochemical(args.aaidx), seqs)
    ours = moran_torchdrug(seqs, 30)
    diff = np.abs(theirs.astype(np.float64) - ours.astype(np.float64))
    rel = diff / np.maximum(np.abs(theirs.astype(np.float64)), 1e-6)
    return {"sequences": len(seqs), "max_abs_delta": float(diff.max()), "max_rel_delta": float(rel.max()),
            "mean_abs_feature": float(np.abs(theirs).mean()),
            "rows_with_delta_over_1e-4": int((diff.max(axis=1) > 1e-4).sum())}


def records_dataset():
    """A torchdrug dataset class over a JSON file of sequences and targets (configurable like torchdrug's own
    dataset classes, whose config the engine logs: its config is the file's path, not 69k sequences)."""
    from torchdrug import core, data, transforms

    class RecordsDataset(data.ProteinDataset, core.Configurable):
        def __init__(self, path: str):
            content = json.loads(Path(path).read_text())
            self.load_sequence(content["sequences"], {"stability_score": content["stability_score"]},
                               attributes=None, transform=transforms.ProteinView("residue"), atom_feature=None,
                               bond_feature=None, residue_feature="default")

    return RecordsDataset


def train(args: argparse.Namespace, splits: dict[str, list], seed: int) -> dict:
    """PEER's Moran stability run, by torchdrug's task and engine."""
    import torch
    from torch.utils import data as torch_data
    from torchdrug import core, tasks

    torch.manual_seed(seed)
    np.random.seed(seed)
    seqs, targets, sizes = [], [], []
    for split in ("train", "valid", "test"):
        recs = splits[split]
        seqs += [r.sequence for r in recs]
        targets += [float(r.label) for r in recs]
        sizes.append(len(recs))
    records = Path(tempfile.mkdtemp(prefix="td-stability-")) / "records.json"
    records.write_text(json.dumps({"sequences": seqs, "stability_score": targets}))
    dataset = records_dataset()(str(records))
    offsets = np.cumsum([0] + sizes)
    train_set, valid_set, test_set = (torch_data.Subset(dataset, range(offsets[i], offsets[i + 1])) for i in range(3))
    task = tasks.PropertyPrediction(physicochemical(args.aaidx), task=("stability_score",), criterion="mse",
                                    metric=("mae", "rmse", "spearmanr"), normalization=False, num_mlp_layer=2)
    optimizer = torch.optim.Adam(task.parameters(), lr=1e-4)
    engine = core.Engine(task, train_set, valid_set, test_set, optimizer, batch_size=64, log_interval=10 ** 9)
    step = max(args.epochs // 10, 1)
    best, best_state, history, t0 = -float("inf"), None, [], time.perf_counter()
    for done in range(step, args.epochs + 1, step):
        engine.train(num_epoch=step)
        valid = {k: float(v) for k, v in engine.evaluate("valid").items()}
        score = next(v for k, v in valid.items() if "spearman" in k)
        history.append({"epoch": done, "valid_spearman": score, "seconds": round(time.perf_counter() - t0, 1)})
        if score > best:
            best, best_state = score, {k: v.clone() for k, v in task.state_dict().items()}
    task.load_state_dict(best_state)
    test = {k: float(v) for k, v in engine.evaluate("test").items()}
    return {"seed": seed, "test": test, "best_valid_spearman": best, "history": history}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--aaidx", type=Path, required=True)
    ap.add_argument("--n", type=int, default=2000, help="sequences for the feature comparison")
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    import torch
    import torchdrug

    splits = stability_records()
    report = {"torchdrug": torchdrug.__version__, "torch": torch.__version__, "host": platform.node(),
              "cpu_count": os.cpu_count(), "threads": torch.get_num_threads(),
              "records": {s: len(splits[s]) for s in ("train", "valid", "test")},
              "features": compare_features(args, splits)}
    print(json.dumps(report["features"], indent=1), flush=True)
    if args.train:
        report["training"] = []
        for seed in args.seeds:
            report["training"].append(train(args, splits, seed))
            print(json.dumps(report["training"][-1]["test"]), flush=True)
            if args.json:
                args.json.write_text(json.dumps(report, indent=1) + "\n")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
