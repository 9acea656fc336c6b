"""Embedding-engine benchmark: ratios measured in one process (issues 2 and 17).

For each ESM-2 configuration (``--sizes``, default 35M and 150M; random weights — speed does not depend on
their values) on the same DeepLoc sequences:

1. Throughput of protbench's engine (length-sorted token-budget batches, the lean ESM-2 forward of
   ``models/esm_fast.py`` in ``--dtype``, bf16 by default) against the anchor — fair-esm's own ``extract.py``
   loop (``FastaBatchedDataset.get_batch_indices`` with the same token budget, fp32; ``--anchor-sizes``) —
   and against the same engine running transformers' ``EsmModel.forward``.
2. Model FLOP/s (useful FLOPs on real tokens) against a dense matmul **of the same dtype** measured in this
   process (the larger of a 2048² square and an FFN-shaped ``budget × d × 4d`` product), and against fp32.
3. Where the time goes: SDPA attention timed alone on the same batch shapes, its share of the loop, and the
   FLOP ratio of everything else.
4. Pooled embeddings against an fp32 reference of the same weights through transformers (cosine), and a
   rerun served from the embedding cache.

Usage: ``python benchmarks/bench_embed.py [--sizes 35m 150m] [--n 300] [--budget 4096] [--json out.json]``;
needs the DeepLoc FASTA from the data mirror ($PROTBENCH_MIRROR or ../shared/data). Run on an otherwise
idle machine for meaningful ratios.
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
import torch.nn.functional as F
from protbench.cache import EmbeddingCache
from protbench.embed import CachedEmbeddings, EmbedConfig, token_budget_batches
from protbench.models.esm import DTYPES, ESM2, ESM2_SIZES
from protbench.sequences import read_fasta

import mirror_files


def find_fasta() -> Path:
    return mirror_files.find_fasta(hint="")


def anchor_fair_esm(seqs: list[str], size: str, budget: int, threads: int) -> float:
    """fair-esm extract.py's loop: its batching, its batch converter, mean over residues of the last layer."""
    import esm

    layers, dim, heads = ESM2_SIZES[size]
    torch.manual_seed(0)
    alphabet = esm.data.Alphabet.from_architecture("ESM-1b")
    model = esm.model.esm2.ESM2(num_layers=layers, embed_dim=dim, attention_heads=heads, alphabet=alphabet,
                                token_dropout=True).eval()
    dataset = esm.data.FastaBatchedDataset([f"s{i}" for i in range(len(seqs))], seqs)
    batches = dataset.get_batch_indices(budget, extra_toks_per_seq=1)
    loader = torch.utils.data.DataLoader(dataset, collate_fn=alphabet.get_batch_converter(1022),
                                         batch_sampler=batches)
    out = np.zeros((len(seqs), dim), np.float32)
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    with torch.no_grad():
        for labels, strs, toks in loader:
            reps = model(toks, repr_layers=[layers])["representations"][layers]
            for i, label in enumerate(labels):
                n = min(1022, len(strs[i]))
                out[int(label[1:])] = reps[i, 1:n + 1].mean(0).numpy()
    return time.perf_counter() - t0


def model_flops(seqs: list[str], layers: int, dim: int, max_len: int = 1022) -> float:
    """Useful forward FLOPs on real tokens: 24·d² per token per layer (projections + FFN, 2 FLOPs per MAC)
    plus attention scores/values 4·L·d per token per layer."""
    total = 0.0
    for s in seqs:
        L = min(len(s), max_len) + 2
        total += layers * (24 * dim * dim * L + 4 * L * L * dim)
    return total


def attention_flops(seqs: list[str], layers: int, dim: int, max_len: int = 1022) -> float:
    return sum(layers * 4 * (min(len(s), max_len) + 2) ** 2 * dim for s in seqs)


def matmul_flops_per_s(threads: int, dtype: torch.dtype, shape: tuple[int, int, int] = (2048, 2048, 2048),
                       reps: int = 5) -> float:
    """FLOP/s of a dense ``(m, k) @ (k, n)`` product in ``dtype`` on ``threads`` threads."""
    torch.set_num_threads(threads)
    m, k, n = shape
    a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
    a @ b
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * m * k * n * reps / (time.perf_counter() - t0)


def attention_seconds(seqs: list[str], size: str, budget: int, dtype: torch.dtype) -> float:
    """SDPA alone on the batch shapes of the engine (every layer), with the key-padding mask."""
    layers, dim, heads = ESM2_SIZES[size]
    lengths = [min(len(s), 1022) for s in seqs]
    total = 0.0
    for batch in token_budget_batches(lengths, budget):
        L = max(lengths[i] for i in batch) + 2
        q, k, v = (torch.randn(len(batch), heads, L, dim // heads).to(dtype) for _ in range(3))
        mask = torch.ones(len(batch), 1, 1, L, dtype=torch.bool)
        for j, i in enumerate(batch):
            mask[j, ..., lengths[i] + 2:] = False
        t0 = time.perf_counter()
        for _ in range(layers):
            F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0)
        total += time.perf_counter() - t0
    return total


def timed_embeddings(model: ESM2, seqs: list[str], budget: int) -> tuple[float, np.ndarray, float]:
    """``(seconds, vectors, cache rerun seconds)`` through the harness's cached embedding engine."""
    with tempfile.TemporaryDirectory() as tmp:
        emb = CachedEmbeddings(model, EmbeddingCache(Path(tmp)), EmbedConfig(token_budget=budget))
        t0 = time.perf_counter()
        vecs = emb.proteins(seqs)
        seconds = time.perf_counter() - t0
        rerun = CachedEmbeddings(model, EmbeddingCache(Path(tmp)), EmbedConfig(token_budget=budget))
        t0 = time.perf_counter()
        again = rerun.proteins(seqs)
        cached = time.perf_counter() - t0
        assert rerun.stats.forward_batches == 0 and np.array_equal(vecs, again)
    return seconds, vecs, cached


def bench_size(size: str, seqs: list[str], args: argparse.Namespace) -> dict:
    layers, dim, _ = ESM2_SIZES[size]
    dtype = DTYPES[args.dtype]
    t_ours, v_ours, t_cache = timed_embeddings(ESM2(size, seed=0, dtype=args.dtype), seqs, args.budget)
    t_hf, _, _ = timed_embeddings(ESM2(size, seed=0, dtype=args.dtype, engine="transformers"), seqs, args.budget)
    _, v_ref, _ = timed_embeddings(ESM2(size, seed=0, dtype="float32", engine="transformers"), seqs, args.budget)
    cos = (v_ours * v_ref).sum(1) / (np.linalg.norm(v_ours, axis=1) * np.linalg.norm(v_ref, axis=1))
    t_attn = attention_seconds(seqs, size, args.budget, dtype)
    flops, attn = model_flops(seqs, layers, dim), attention_flops(seqs, layers, dim)
    fp32 = matmul_flops_per_s(args.threads, torch.float32)
    same = max(matmul_flops_per_s(args.threads, dtype),
               matmul_flops_per_s(args.threads, dtype, (args.budget, dim, 4 * dim)))
    lengths = np.array([min(len(s), 1022) for s in seqs])
    report = {
        "size": size, "sequences": len(seqs), "mean_length": round(float(lengths.mean()), 1),
        "token_budget": args.budget, "dtype": args.dtype, "threads": args.threads,
        "ours_s": round(t_ours, 3), "ours_seq_per_s": round(len(seqs) / t_ours, 2),
        "transformers_forward_s": round(t_hf, 3), "speedup_vs_transformers_forward": round(t_hf / t_ours, 3),
        "cosine_vs_fp32_min": float(cos.min()), "cosine_vs_fp32_mean": float(cos.mean()),
        "model_gflop_per_s": round(flops / t_ours / 1e9, 2),
        "matmul_same_dtype_gflop_per_s": round(same / 1e9, 2), "matmul_fp32_gflop_per_s": round(fp32 / 1e9, 2),
        "flops_ratio_vs_same_dtype_matmul": round(flops / t_ours / same, 3),
        "flops_ratio_vs_fp32_matmul": round(flops / t_ours / fp32, 3),
        "attention_s": round(t_attn, 3), "attention_share_of_time": round(t_attn / t_ours, 3),
        "attention_share_of_flops": round(attn / flops, 3),
        "attention_gflop_per_s": round(attn / t_attn / 1e9, 2),
        "non_attention_flops_ratio_vs_same_dtype_matmul": round((flops - attn) / max(t_ours - t_attn, 1e-9) / same, 3),
        "cache_rerun_s": round(t_cache, 4), "cache_speedup": round(t_ours / t_cache, 1),
    }
    if size in args.anchor_sizes:
        t_anchor = anchor_fair_esm(seqs, size, args.budget, args.threads)
        report.update({"anchor_fair_esm_s": round(t_anchor, 3), "anchor_seq_per_s": round(len(seqs) / t_anchor, 2),
                       "throughput_ratio_vs_anchor": round(t_anchor / t_ours, 3),
                       "anchor_flops_ratio_vs_fp32_matmul": round(flops / t_anchor / fp32, 3)})
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["35m", "150m"], choices=sorted(ESM2_SIZES))
    ap.add_argument("--n", type=int, default=300, help="sequences (first N of the DeepLoc test FASTA)")
    ap.add_argument("--n-large", type=int, default=100, help="sequences for sizes above 35M")
    ap.add_argument("--budget", type=int, default=4096, help="tokens per batch (fair-esm extract.py default)")
    ap.add_argument("--dtype", default="bfloat16", choices=sorted(DTYPES))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--anchor-sizes", nargs="*", default=["35m"], help="sizes also run through fair-esm")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    seqs = [r.sequence for r in read_fasta(find_fasta())]
    torch.set_num_threads(args.threads)
    report = {"sizes": {}, "host": platform.node(), "cpu_count": os.cpu_count(), "torch": torch.__version__,
              "load_average_before": os.getloadavg()}
    for size in args.sizes:
        n = args.n if ESM2_SIZES[size][1] <= 480 else args.n_large
        report["sizes"][size] = bench_size(size, seqs[:n], args)
        print(json.dumps(report["sizes"][size], indent=1), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
