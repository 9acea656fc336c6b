"""Compare pretraining runs: loss terms before/after and zero-shot retrieval at init vs end.

``python -m protbench.protclip.report RUN_DIR... --out results/pretraining`` copies each
run's ``summary.json``, ``log.jsonl`` and ``pretrain_config.json`` (never weights) to
``OUT/<run name>/`` and writes ``OUT/comparison.json`` and ``OUT/comparison.md``.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

TERMS = ("loss", "gc", "mlm", "bsr", "pda")


def run_row(folder: Path) -> dict[str, Any]:
    s = json.loads((folder / "summary.json").read_text())
    w = s["model"]["loss_weights"]
    valid = s.get("valid") or {}
    ret = s.get("retrieval") or {}
    row: dict[str, Any] = {"run": folder.name, "steps": s["steps"], "stopped": s["stopped"],
                           "seconds": round(s["seconds"], 1), "loss_weights": w,
                           "train_first": s.get("mean_first"), "train_last": s.get("mean_last"),
                           "valid_first": {k: v for k, v in (valid.get("first") or {}).items() if k in TERMS},
                           "valid_last": {k: v for k, v in (valid.get("last") or {}).items() if k in TERMS}}
    for when in ("init", "final"):
        r = ret.get(when)
        if r:
            row[f"retrieval_{when}"] = {d: {k: r[d][k] for k in ("recall@1", "recall@5", "recall@10", "mrr", "n")}
                                        for d in ("protein_to_text", "text_to_protein")}
    return row


def markdown(rows: list[dict[str, Any]]) -> str:
    out = ["| run | steps | stop | term | train first→last (mean of 10% of steps) | valid step 0→last |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        for t in TERMS:
            if t not in (r["train_first"] or {}):
                continue
            vf, vl = r["valid_first"].get(t), r["valid_last"].get(t)
            valid = f"{vf:.3f} → {vl:.3f}" if vf is not None and vl is not None else "–"
            out.append(f"| {r['run']} | {r['steps']} | {r['stopped']} | {t} | "
                       f"{r['train_first'][t]:.3f} → {r['train_last'][t]:.3f} | {valid} |")
    out += ["", "| run | direction | R@1 init→final | R@5 init→final | R@10 init→final | MRR init→final | n |",
            "|---|---|---|---|---|---|---|"]
    for r in rows:
        a, b = r.get("retrieval_init"), r.get("retrieval_final")
        if not (a and b):
            continue
        for d in ("protein_to_text", "text_to_protein"):
            x, y = a[d], b[d]
            out.append(f"| {r['run']} | {d} | {x['recall@1']:.3f} → {y['recall@1']:.3f} | "
                       f"{x['recall@5']:.3f} → {y['recall@5']:.3f} | {x['recall@10']:.3f} → {y['recall@10']:.3f} | "
                       f"{x['mrr']:.4f} → {y['mrr']:.4f} | {x['n']} |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    rows = []
    for run in args.runs:
        dest = args.out / run.name
        dest.mkdir(parents=True, exist_ok=True)
        for name in ("summary.json", "log.jsonl", "pretrain_config.json"):
            if (run / name).is_file():
                shutil.copyfile(run / name, dest / name)
        rows.append(run_row(run))
    (args.out / "comparison.json").write_text(json.dumps(rows, indent=2))
    md = markdown(rows)
    (args.out / "comparison.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":   # pragma: no cover
    raise SystemExit(main())
