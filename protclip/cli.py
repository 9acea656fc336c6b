"""``protbench pretrain`` and ``protbench protanno`` sub-commands.

Examples::

    protbench protanno build-go --table $M/uniprot_go/swissprot_go_201401_nonhuman_sample60k.tsv.gz \\
        --obo $M/go/go-basic.obo.gz --counts $M/go/frequency_counts_uniprot.json --out corpus.jsonl
    protbench protanno sample --uniprot uniprot.tsv.gz --out protanno.jsonl --report report.json
    protbench pretrain --train corpus.jsonl --output-dir runs/tiny --size tiny --text-model minilm \\
        --max-steps 500 --batch-size 32 --set lr=1e-3 --model-set projection_dim=128
    torchrun --nproc_per_node 2 -m protbench.cli pretrain ...      # data parallel (gloo on CPU)
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from protbench.cli import _kv


def cmd_pretrain(args: argparse.Namespace) -> int:
    from .config import DEFAULT_WEIGHTS
    from .train import PretrainConfig, pretrain

    fields = {"train_data": str(args.train), "output_dir": str(args.output_dir),
              "model": str(args.config) if args.config else args.size}
    for name in ("valid_data", "retrieval_data", "max_steps", "batch_size", "lr", "time_budget_s", "device",
                 "seed", "grad_accum", "eval_every", "save_every"):
        v = getattr(args, name)
        if v is not None:
            fields[name] = str(v) if isinstance(v, Path) else v
    if args.bf16:
        fields["bf16"] = True
    if args.fresh:
        fields["resume"] = None
    elif args.resume:
        fields["resume"] = str(args.resume)
    fields.update(_kv(args.set))
    over = _kv(args.model_set)
    if args.text_model:
        over["text_model"] = args.text_model
    weights = dict(over.pop("loss_weights", DEFAULT_WEIGHTS))
    for name in args.without or ():
        weights[name] = 0.0
    over["loss_weights"] = weights
    fields["model_overrides"] = over
    summary = pretrain(PretrainConfig(**fields))
    keep = {k: summary[k] for k in ("steps", "seconds", "stopped", "mean_first", "mean_last", "checkpoint")}
    keep["valid_best"] = (summary["valid"] or {}).get("best")
    keep["retrieval"] = summary.get("retrieval")
    print(json.dumps(keep, indent=2, default=str))
    return 0


def cmd_build_go(args: argparse.Namespace) -> int:
    from .data import build_from_go_table, write_protanno

    records, report = build_from_go_table(args.table, args.obo, args.counts, args.max_terms, args.limit)
    n = write_protanno(records, args.out)
    report["written"] = n
    print(json.dumps(report, indent=2))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from .data import write_protanno
    from .sampler import SamplingRule, read_uniprot_table, sample, sampling_report

    rule = SamplingRule(args.a, args.b, args.max_confidence, args.min_coverage)
    records = read_uniprot_table(args.uniprot)
    kept = sample(records, rule, args.seed)
    write_protanno(kept, args.out)
    report = sampling_report(records, kept, rule)
    text = json.dumps(report, indent=2)
    if args.report:
        Path(args.report).write_text(text)
    print(text)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("pretrain", help="pretrain ProtCLIP (GC/MLM/BSR/PDA) on ProtAnno JSON lines",
                       description="Pretrain ProtCLIP. Run under torchrun for data parallel training.")
    p.add_argument("--train", type=Path, required=True, help="ProtAnno JSON-lines file ({'seq','text'} per line)")
    p.add_argument("--output-dir", type=Path, required=True)
    p.add_argument("--size", default="tiny", help="named size: tiny, 8m, 35m, 150m, 650m (default tiny)")
    p.add_argument("--config", type=Path, help="protclip_config.json or released config.json (overrides --size)")
    p.add_argument("--text-model", help="'minilm', 'random', or a local BERT-family folder (PubMedBERT)")
    p.add_argument("--without", action="append", choices=("gc", "mlm", "bsr", "pda"),
                   help="switch an objective off (ablation; repeatable)")
    p.add_argument("--valid-data", type=Path)
    p.add_argument("--retrieval-data", type=Path, help="ProtAnno file for zero-shot retrieval before/after")
    p.add_argument("--max-steps", type=int)
    p.add_argument("--batch-size", type=int, help="global batch size")
    p.add_argument("--grad-accum", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--time-budget-s", type=float)
    p.add_argument("--eval-every", type=int)
    p.add_argument("--save-every", type=int)
    p.add_argument("--device")
    p.add_argument("--seed", type=int)
    p.add_argument("--bf16", action="store_true", help="bf16 autocast")
    p.add_argument("--resume", type=Path, help="checkpoint folder to resume from (default: latest in output dir)")
    p.add_argument("--fresh", action="store_true", help="ignore existing checkpoints in the output dir")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="any PretrainConfig field (JSON values)")
    p.add_argument("--model-set", action="append", metavar="KEY=VALUE", help="any ProtCLIPConfig field")
    p.set_defaults(func=cmd_pretrain)

    p = sub.add_parser("protanno", help="build ProtAnno protein-text corpora")
    s = p.add_subparsers(dest="protanno_command", required=True)
    q = s.add_parser("build-go", help="ProtAnno from a Swiss-Prot+GO table with GO term names as texts")
    q.add_argument("--table", type=Path, required=True)
    q.add_argument("--obo", type=Path, required=True, help="go-basic.obo(.gz)")
    q.add_argument("--counts", type=Path, help="GO annotation counts JSON (most specific terms first)")
    q.add_argument("--max-terms", type=int, default=8)
    q.add_argument("--limit", type=int)
    q.add_argument("--out", type=Path, required=True)
    q.set_defaults(func=cmd_build_go)
    q = s.add_parser("sample", help="property-driven sampling of a UniProt TSV export")
    q.add_argument("--uniprot", type=Path, required=True)
    q.add_argument("--out", type=Path, required=True)
    q.add_argument("--report", type=Path)
    q.add_argument("--a", type=float, default=0.5)
    q.add_argument("--b", type=float, default=3.0)
    q.add_argument("--max-confidence", type=int, default=3)
    q.add_argument("--min-coverage", type=float, default=0.75)
    q.add_argument("--seed", type=int, default=0)
    q.set_defaults(func=cmd_sample)


def main(argv=None) -> int:   # pragma: no cover - convenience for `python -m protbench.protclip.cli`
    parser = argparse.ArgumentParser(prog="protclip")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":   # pragma: no cover
    sys.exit(main())
