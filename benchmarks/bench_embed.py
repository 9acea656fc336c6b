"""Embedding-engine benchmark: ratios measured in one process (issue 2's speed goals).

1. Throughput vs the anchor — fair-esm's own ``extract.py`` loop (``FastaBatchedDataset.get_batch_indices``
   with the same token budget, fair-esm ESM-2 35M architecture, fp32) — on the same DeepLoc sequences.
   Ours: protbench's engine (length-sorted token-budget batches, transformers ESM-2 35M with SDPA attention)
   in ``--dtype`` (bf16 by default), checked against an fp32 reference of the same weights (cosine).
2. Model FLOP/s of our embedding loop (useful FLOPs on real tokens) vs a dense fp32 matmul in this process.
3. A rerun served from the embedding cache vs the first run (embed stage only).

Usage: ``python benchmarks/bench_embed.py [--n 300] [--budget 4096] [--dtype bfloat16] [--json out.json]``;
needs the DeepLoc FASTA from the data mirror ($PROTBENCH_MIRROR or ../shared/data). Weights are random
(speed does not depend on their values). Run on an otherwise idle machine for meaningful ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from protbench.cache import EmbeddingCache
from protbench.embed import CachedEmbeddings, EmbedConfig
from protbench.models.esm import ESM2
from protbench.sequences import read_fasta


def find_fasta() -> Path:
    roots = [Path(p) for p in os.environ.get("PROTBENCH_MIRROR", "").split(os.pathsep) if p]
    roots.append(Path(__file__).resolve().parents[2] / "shared" / "data")
    for r in roots:
        hits = list(r.rglob("deeploc_test_set.fasta")) if r.is_dir() else []
        if hits:
            return hits[0]
    raise SystemExit("deeploc_test_set.fasta not found: set PROTBENCH_MIRROR to the data mirror")


def anchor_fair_esm(seqs: list[str], budget: int, threads: int) -> tuple[float, np.ndarray]:
    """fair-esm extract.py's loop: its batching, its batch converter, mean over residues of the last layer."""
    import esm

    torch.manual_seed(0)
    alphabet = esm.data.Alphabet.from_architecture("ESM-1b")
    model = esm.model.esm2.ESM2(num_layers=12, embed_dim=480, attention_heads=20, alphabet=alphabet,
                                token_dropout=True).eval()
    dataset = esm.data.FastaBatchedDataset([f"s{i}" for i in range(len(seqs))], seqs)
    batches = dataset.get_batch_indices(budget, extra_toks_per_seq=1)
    loader = torch.utils.data.DataLoader(dataset, collate_fn=alphabet.get_batch_converter(1022),
                                         batch_sampler=batches)
    out = np.zeros((len(seqs), 480), np.float32)
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    with torch.no_grad():
        for labels, strs, toks in loader:
            reps = model(toks, repr_layers=[12])["representations"][12]
            for i, label in enumerate(labels):
                n = min(1022, len(strs[i]))
                out[int(label[1:])] = reps[i, 1:n + 1].mean(0).numpy()
    return time.perf_counter() - t0, out


def model_flops(seqs: list[str], layers: int, dim: int, max_len: int = 1022) -> float:
    """Useful forward FLOPs on real tokens: 24·d² per token per layer (projections + FFN, 2 FLOPs per MAC)
    plus attention scores/values 4·L·d per token per layer."""
    total = 0.0
    for s in seqs:
        L = min(len(s), max_len) + 2
        total += layers * (24 * dim * dim * L + 4 * L * L * dim)
    return total


def matmul_flops_per_s(threads: int, n: int = 2048, reps: int = 5) -> float:
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--budget", type=int, default=4096, help="tokens per batch (fair-esm extract.py default)")
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    seqs = [r.sequence for r in read_fasta(find_fasta())][: args.n]
    torch.set_num_threads(args.threads)

    t_anchor, _ = anchor_fair_esm(seqs, args.budget, args.threads)

    ours = ESM2("35m", seed=0, dtype=args.dtype)
    ref = ESM2("35m", seed=0, dtype="float32")
    with tempfile.TemporaryDirectory() as tmp:
        emb = CachedEmbeddings(ours, EmbeddingCache(Path(tmp)), EmbedConfig(token_budget=args.budget))
        t0 = time.perf_counter()
        v_ours = emb.proteins(seqs)
        t_ours = time.perf_counter() - t0
        rerun = CachedEmbeddings(ours, EmbeddingCache(Path(tmp)), EmbedConfig(token_budget=args.budget))
        t0 = time.perf_counter()
        v_again = rerun.proteins(seqs)
        t_cache = time.perf_counter() - t0
        assert rerun.stats.forward_batches == 0 and np.array_equal(v_ours, v_again)
    with tempfile.TemporaryDirectory() as tmp:
        v_ref = CachedEmbeddings(ref, EmbeddingCache(Path(tmp)), EmbedConfig(token_budget=args.budget)).proteins(seqs)
    cos = (v_ours * v_ref).sum(1) / (np.linalg.norm(v_ours, axis=1) * np.linalg.norm(v_ref, axis=1))

    flops = model_flops(seqs, 12, 480)
    peak = matmul_flops_per_s(args.threads)
    report = {
        "sequences": len(seqs), "token_budget": args.budget, "dtype": args.dtype, "threads": args.threads,
        "anchor_fair_esm_s": round(t_anchor, 3), "ours_s": round(t_ours, 3),
        "throughput_ratio_vs_anchor": round(t_anchor / t_ours, 3),
        "anchor_seq_per_s": round(len(seqs) / t_anchor, 2), "ours_seq_per_s": round(len(seqs) / t_ours, 2),
        "cosine_vs_fp32_min": float(cos.min()), "cosine_vs_fp32_mean": float(cos.mean()),
        "model_gflop_per_s": round(flops / t_ours / 1e9, 2), "matmul_fp32_gflop_per_s": round(peak / 1e9, 2),
        "flops_ratio_vs_fp32_matmul": round(flops / t_ours / peak, 3),
        "anchor_flops_ratio_vs_fp32_matmul": round(flops / t_anchor / peak, 3),
        "cache_rerun_s": round(t_cache, 4), "cache_speedup": round(t_ours / t_cache, 1),
        "host": platform.node(), "cpu_count": os.cpu_count(), "torch": torch.__version__,
    }
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
