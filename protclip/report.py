"""Compare pretraining runs: loss terms before/after and zero-shot retrieval at init vs end.

``python -m protbench.protclip.report RUN_DIR... --out results/pretraining`` copies each
run's ``summary.json``, ``log.jsonl`` and ``pretrain_config.json`` (never weights) to
``OUT/<run name>/`` and writes ``OUT/comparison.json`` and ``OUT/comparison.md``;
``--paired DATA`` adds a per-protein init-vs-final Wilcoxon test on the retrieval set.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

TERMS = ("loss", "gc", "mlm", "bsr", "pda", "terms")     # "terms": the GO-term objective, when a run has it


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
    paired = [r for r in rows if r.get("paired_retrieval")]
    if paired:
        out += ["", "| run | direction | MRR init | MRR final | proteins better / worse | Wilcoxon p (final > init) |",
                "|---|---|---|---|---|---|"]
        for r in paired:
            for d in ("protein_to_text", "text_to_protein"):
                x = r["paired_retrieval"][d]
                out.append(f"| {r['run']} | {d} | {x['mrr_init']:.4f} | {x['mrr_final']:.4f} | "
                           f"{x['improved']} / {x['worse']} | {x['wilcoxon_p']:.2g} |")
    return "\n".join(out) + "\n"


def paired_retrieval(run: Path, data: Path, max_n: int = 500) -> dict[str, Any]:
    """Per-protein reciprocal ranks of the init model vs the run's final checkpoint; Wilcoxon signed-rank test.

    The init model is rebuilt from the run's config (deterministic from its seed); the
    final one is loaded from ``summary["checkpoint"]``. Uses the run's text cache file
    when it has one (texts are frozen-encoder features, identical for both models).
    """
    import numpy as np
    import torch
    from scipy.stats import wilcoxon

    from .checkpoint import load_model
    from .config import ProtCLIPConfig
    from .data import read_protanno
    from .model import ProtCLIP
    from .train import load_text_cache

    s = json.loads((run / "summary.json").read_text())
    pcfg = json.loads((run / "pretrain_config.json").read_text())
    recs = read_protanno(data)[:max_n]
    seqs, texts = [r.seq for r in recs], [r.text for r in recs]
    out: dict[str, Any] = {"n": len(recs)}
    rr = {}
    for name in ("init", "final"):
        model = ProtCLIP(ProtCLIPConfig.from_dict(s["model"])) if name == "init" else load_model(s["checkpoint"])
        model.eval()
        if pcfg.get("text_cache_file"):
            model.text_cache = load_text_cache(pcfg["text_cache_file"], model)
        L = model.cfg.max_protein_length
        with torch.no_grad():
            p = torch.cat([model.embed_proteins([x[:L] for x in seqs[i:i + 32]]) for i in range(0, len(seqs), 32)])
            t = torch.cat([model.embed_texts(texts[i:i + 32]) for i in range(0, len(texts), 32)])
        sc = (p @ t.T).numpy()
        for d, m in (("protein_to_text", sc), ("text_to_protein", sc.T)):
            diag = np.diag(m)
            rank = (m > diag[:, None]).sum(1) + (m == diag[:, None]).sum(1)
            rr[(name, d)] = 1.0 / rank
    for d in ("protein_to_text", "text_to_protein"):
        a, b = rr[("init", d)], rr[("final", d)]
        out[d] = {"mrr_init": float(a.mean()), "mrr_final": float(b.mean()),
                  "wilcoxon_p": float(wilcoxon(b, a, alternative="greater").pvalue),
                  "improved": int((b > a).sum()), "worse": int((b < a).sum())}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--paired", type=Path, help="ProtAnno retrieval set: paired init-vs-final test per run")
    args = ap.parse_args(argv)
    rows = []
    for run in args.runs:
        dest = args.out / run.name
        dest.mkdir(parents=True, exist_ok=True)
        for name in ("summary.json", "log.jsonl", "pretrain_config.json"):
            if (run / name).is_file():
                shutil.copyfile(run / name, dest / name)
        row = run_row(run)
        if args.paired:
            row["paired_retrieval"] = paired_retrieval(run, args.paired)
            (dest / "paired_retrieval.json").write_text(json.dumps(row["paired_retrieval"], indent=2))
        rows.append(row)
    (args.out / "comparison.json").write_text(json.dumps(rows, indent=2))
    md = markdown(rows)
    (args.out / "comparison.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":   # pragma: no cover
    raise SystemExit(main())
