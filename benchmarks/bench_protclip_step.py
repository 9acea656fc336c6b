"""Memory and speed of one ProtCLIP training step on CPU (tiny and 8M configs).

Each configuration runs in its own subprocess so that its peak resident memory
is its own: the child builds the model, records RSS, runs ``--warmup`` steps
then ``--steps`` timed steps (forward + backward + AdamW) on a fixed global
batch of real ProtAnno pairs (``protclip/aligned_data_sample.json`` from the
data mirror, sequences cropped to ``--length``), and reports the median step
time, peak RSS, RSS growth over the built model, and parameter counts.

Configurations: ``tiny`` (ESM-2 2×64 + random 2×32 BERT, 32-d space),
``8m`` (ESM-2 8M + frozen all-MiniLM-L6-v2, 512-d space, 512 prototypes),
``8m-gc-only`` (same, MLM/BSR/PDA off: what the three extra objectives cost), and ProtCLIP over
UniRep's published weights with the 8m recipe: ``unirep1900``, ``unirep256``, ``unirep64`` (trained end
to end, next-residue term for MLM) and ``unirep1900-frozen`` (mLSTM frozen, no next-residue term; without
the protein-state cache, so its clean pass is timed too). ``--configs`` picks some.

Usage: ``python benchmarks/bench_protclip_step.py [--batch 8] [--length 256] [--json out.json]``.
On a shared machine absolute times are inflated by contention; the CPU seconds
per step (process time, all threads) are less sensitive to contention, and the ratios
between configurations measured in one run are more meaningful.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

CONFIGS = {
    "tiny": {"size": "tiny", "overrides": {}},
    "8m": {"size": "8m", "overrides": {"text_model": "minilm"}},
    "8m-gc-only": {"size": "8m", "overrides": {"text_model": "minilm",
                                               "loss_weights": {"gc": 1, "mlm": 0, "bsr": 0, "pda": 0}}},
}
# ProtCLIP over UniRep (issue 28): the published weights of each size trained end to end, and UniRep-1900 frozen
# (projections and heads train; its next-residue term is then a constant, so it is off). Same recipe and widths
# as 8m (512-d space, 512 prototypes, frozen MiniLM).
# Texts as the CPU runs crop them (results/pretraining/run8m.sh: 80 word pieces, subtexts 32), since the runs
# read texts from the text-state cache and the official 512-token subtexts would dominate an uncached step.
_UNIREP = {"text_model": "minilm", "protein_encoder": "unirep", "max_text_length": 80, "max_subtext_length": 32}
CONFIGS.update({f"unirep{n}": {"size": "8m", "overrides": {**_UNIREP, "unirep_size": n}} for n in (1900, 256, 64)})
CONFIGS["unirep1900-frozen"] = {"size": "8m", "overrides": {**_UNIREP, "unirep_size": 1900, "unirep_train": "projections",
                                                            "loss_weights": {"gc": 1, "mlm": 0, "bsr": 0.7, "pda": 1}}}


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(name: str, batch: int, length: int, steps: int, warmup: int, threads: int, bf16: bool = False) -> dict:
    import contextlib

    import torch

    from protbench.protclip.config import named_config
    from protbench.protclip.data import ProtAnnoRecord, collate, read_protanno
    from protbench.protclip.model import ProtCLIP

    torch.set_num_threads(threads)
    mirror = Path(os.environ.get("PROTBENCH_MIRROR", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    sample = read_protanno(mirror / "protclip" / "aligned_data_sample.json")
    recs = [ProtAnnoRecord((r.seq * 4)[:length], r.text) for r in (sample * (batch // len(sample) + 1))[:batch]]
    spec = CONFIGS[name]
    cfg = named_config(spec["size"], max_protein_length=length, **{"max_text_length": 128, **spec["overrides"]})
    rss0 = rss_mb()
    model = ProtCLIP(cfg).train()
    rss_model = rss_mb()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    gb = collate(recs, cfg, torch.Generator().manual_seed(0))
    gb["scale"] = 1.0
    times, cpu, terms = [], [], {}
    for i in range(warmup + steps):
        t, c = time.perf_counter(), time.process_time()
        with torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
            out = model(gb)
        out["loss"].backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i >= warmup:
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        terms = {k: float(v.detach()) for k, v in out.items()}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_all = sum(p.numel() for p in model.parameters())
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"config": name, "batch": batch, "residues": length, "threads": threads, "bf16_autocast": bf16,
            "median_step_s": statistics.median(times), "min_step_s": min(times), "steps_timed": len(times),
            "median_step_cpu_s": statistics.median(cpu),
            "peak_rss_mb": peak, "rss_before_model_mb": rss0, "rss_after_model_mb": rss_model,
            "step_peak_over_model_mb": peak - rss_model, "params": n_all, "trainable_params": n_train,
            "loss_terms": terms}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", nargs="*", default=list(CONFIGS))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast around the forward (as pretrain --bf16)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.batch, args.length, args.steps, args.warmup, args.threads,
                               args.bf16)))
        return
    rows = []
    for name in args.configs:
        cmd = [sys.executable, __file__, "--child", name, "--batch", str(args.batch), "--length", str(args.length),
               "--steps", str(args.steps), "--warmup", str(args.warmup), "--threads", str(args.threads)] + \
            (["--bf16"] if args.bf16 else [])
        p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        if p.returncode:
            raise SystemExit(f"{name} failed:\n{p.stderr[-3000:]}")
        row = json.loads(p.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{name:11s} batch {row['batch']} x {row['residues']} aa | step {row['median_step_s']:7.2f} s wall, "
              f"{row['median_step_cpu_s']:7.2f} s CPU (median of {row['steps_timed']}) | peak RSS {row['peak_rss_mb']:7.0f} MB "
              f"(+{row['step_peak_over_model_mb']:6.0f} MB over the built model) | "
              f"params {row['params'] / 1e6:6.2f} M ({row['trainable_params'] / 1e6:.2f} M trainable)", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        from protbench.results import numeric_platform   # which CPU (AMX or not decides bf16's worth)
        args.json.write_text(json.dumps({"rows": rows, "note": "CPU, shared machine: times inflated by contention",
                                         "load_avg": os.getloadavg(), "platform": numeric_platform()}, indent=2))


if __name__ == "__main__":
    main()
