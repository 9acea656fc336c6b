"""The ``protbench`` command line: the parser and ``main``; the commands live in :mod:`protbench.commands`.

Other packages add commands through :data:`COMMAND_MODULES`, each exposing ``add_commands(subparsers)``
that registers sub-parsers whose ``func(args) -> int`` does the work.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

from .commands.catalog import cmd_list, cmd_show
from .commands.data import cmd_cache, cmd_data_check, cmd_leakage, cmd_prefetch
from .commands.options import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, _kv, add_data_options,  # noqa: F401
                               UsageError, check_device, existing_dir, no_abbreviations, non_negative_int, positive_int,
                               shard_spec)
from .commands.run import cmd_embed, cmd_run

COMMAND_MODULES = (
    "protbench.leaderboard.cli",
    "protbench.protclip.cli",
    "protbench.protclip.quickstart",
)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="protbench", description="Benchmark protein representation models "
                                     "on the ProtCLIP suite (22 tasks, 5 families).")
    parser.add_argument("--version", action="version", version=f"protbench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="progress details (per batch), debug logs")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output (errors only)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def task_selection(p: argparse.ArgumentParser) -> None:
        p.add_argument("--tasks", "--task", nargs="+", metavar="ID", help="task ids (see `protbench list tasks`)")
        p.add_argument("--families", nargs="+", metavar="NAME",
                       help="function, mutation, cross-modal, similarity, ppi")
        p.add_argument("--all", action="store_true", help="every registered task")

    p = sub.add_parser("run", help="evaluate a model on tasks and write result JSONs")
    p.add_argument("--model", required=True, help="model name (see `protbench list models`)")
    task_selection(p)
    p.add_argument("--weights", type=Path, help="local weights for the model (file or folder)")
    p.add_argument("--random-init", action="store_true", help="run a model that needs --weights with random "
                   "weights on purpose (recorded as MODEL@random-init)")
    p.add_argument("--model-opt", action="append", metavar="KEY=VALUE", help="model option (repeatable), "
                   "e.g. dtype=bfloat16, layer=6")
    p.add_argument("--name", metavar="MODEL@VARIANT", help="record the results under this name (its own folder "
                   "and leaderboard row), e.g. aac@plm-ppi for aac under --preset plm-ppi")
    p.add_argument("--seeds", nargs="+", type=non_negative_int, default=[0],
                   help="seeds of the evaluation protocol")
    p.add_argument("--output-dir", type=Path, default=Path("results"), help="results folder (default: results/)")
    p.add_argument("--overwrite", choices=("never", "always", "only-missing"), default="only-missing",
                   help="existing results: keep all (never), redo all (always), or redo failed/missing")
    p.add_argument("--limit", type=positive_int, help="at most N records per split (smoke/debug runs; recorded)")
    p.add_argument("--profile", choices=("real", "smoke"), default="real",
                   help="real upstream data, or built-in synthetic smoke data in the same formats")
    p.add_argument("--protocol", help="evaluation protocol override (e.g. probe, finetune)")
    p.add_argument("--param", action="append", metavar="PROTOCOL.FIELD=VALUE",
                   help="protocol setting, e.g. probe.heads=mlp (repeatable; `protbench show TASK` lists them)")
    p.add_argument("--preset", help="a named set of protocol settings (quick)")
    p.add_argument("--quick", action="store_true", help="cheap protocol settings (implied by --profile smoke)")
    p.add_argument("--dry-run", action="store_true",
                   help="print each task's protocol, whether its real data is here and whether a result exists; "
                        "build nothing, compute nothing")
    p.add_argument("--shard", type=shard_spec, metavar="I/N",
                   help="compute only shard I of N of the (task, seed) pairs (0-based), e.g. one per Slurm array "
                        "task into one shared --output-dir; the shard that completes a task writes its result")
    p.add_argument("--jobs", type=positive_int, default=1, metavar="N",
                   help="evaluate in N worker processes on this machine: embeddings first, once, with every "
                        "core; then the (task, seed) pairs dealt to N shard workers of --threads each (default "
                        "cores/N); same results as one process with those --threads")
    p.add_argument("--token-budget", type=positive_int, help="padded tokens per embedding batch (default: the "
                   "model's preferred budget, else 16384)")
    p.add_argument("--policy", choices=("truncate", "chunk"), default="truncate",
                   help="sequences longer than the model's max length: truncate, or chunk and average")
    p.add_argument("--device", default="cpu", help="torch device (cpu, cuda, cuda:1)")
    p.add_argument("--threads", type=positive_int, help="torch threads for embedding, probes, bridges and GNNs "
                   "(default: all cores; part of each result's identity: it changes GNN training)")
    p.add_argument("--leakage", choices=("off", "exact", "identity"), default="exact",
                   help="homology-leakage report recorded in real-data results: exact copies of valid/test "
                        "sequences in train (default), plus MMseqs2 identity bins (identity; slow on mutational "
                        "scans, cached), or off")
    add_data_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("embed", help="only fill the embedding cache (tasks and/or FASTA); shards over ranks "
                       "under torchrun")
    p.add_argument("--model", required=True)
    task_selection(p)
    p.add_argument("--fasta", action="append", type=Path, metavar="FILE", help="also embed these sequences")
    p.add_argument("--weights", type=Path)
    p.add_argument("--random-init", action="store_true", help="random weights on purpose (MODEL@random-init)")
    p.add_argument("--model-opt", action="append", metavar="KEY=VALUE")
    p.add_argument("--profile", choices=("real", "smoke"), default="real")
    p.add_argument("--limit", type=positive_int)
    p.add_argument("--token-budget", type=positive_int, help="padded tokens per batch (default: the model's, else 16384)")
    p.add_argument("--policy", choices=("truncate", "chunk"), default="truncate")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=positive_int, help="torch threads (default: all cores)")
    p.add_argument("--backend", choices=("gloo", "nccl"), help="torch.distributed backend (default: by device)")
    p.add_argument("--out", type=Path, metavar="FILE.npz",
                   help="also export the embeddings: ids, sequences, embeddings (n, dim) float32 (numpy .npz)")
    p.add_argument("--residues", action="store_true",
                   help="with --out: per-residue vectors too (residue_embeddings + residue_offsets)")
    p.add_argument("--force", action="store_true", help="with --out: replace an existing file")
    add_data_options(p)
    p.set_defaults(func=cmd_embed)

    p = sub.add_parser("list", help="list registered tasks or models")
    p.add_argument("what", choices=("tasks", "models"))
    p.add_argument("--family", help="only tasks of this family")
    p.add_argument("--available", action="store_true",
                   help="tasks: whether each task's real data is in the cache or a mirror (else only smoke data)")
    add_data_options(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="a task's specification, sources and citation")
    p.add_argument("task")
    p.add_argument("--json", action="store_true")
    p.add_argument("--include", action="append", default=[], metavar="PATH")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("prefetch", help="fill the cache with tasks' upstream files (mirror or download)")
    task_selection(p)
    add_data_options(p)
    p.set_defaults(func=cmd_prefetch)

    p = sub.add_parser("data", help="upstream data: `data check` says, per file, whether a run would get it")
    data_sub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    p = data_sub.add_parser("check", help="check every upstream file of the tasks (default: all): cache/mirror "
                            "copies offline; with --online also reachability, content type, size and checksum "
                            "(a missing file is downloaded, checked and cached only when good); exit 1 on problems")
    task_selection(p)
    p.add_argument("--online", action="store_true", help="also ask the servers (download what is missing)")
    p.add_argument("--no-download", action="store_true",
                   help="with --online: read only each file's first 64 KiB (status, Content-Type, announced "
                        "size, content sniff); no download, no checksum")
    add_data_options(p)
    p.set_defaults(func=cmd_data_check)

    p = sub.add_parser("leakage", help="homology leakage: test/valid sequences with close relatives in train "
                       "(exact copies and MMseqs2 identity bins), or in a pretraining corpus (--corpus)")
    p.add_argument("tasks", nargs="+", metavar="TASK")
    p.add_argument("--corpus", type=Path, help="FASTA or ProtAnno JSON lines: check TASK's --split against it")
    p.add_argument("--split", default="test", help="with --corpus: the split to check (default test)")
    p.add_argument("--thresholds", default="0.3,0.5,0.9", help="identity bins (default 0.3,0.5,0.9)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="MMseqs2 threads")
    p.add_argument("--exact-only", action="store_true", help="only exact copies (no MMseqs2 needed)")
    p.add_argument("--profile", choices=("real", "smoke"), default="real")
    p.add_argument("--json", type=Path, help="also write the full reports as JSON")
    add_data_options(p)
    p.set_defaults(func=cmd_leakage)

    p = sub.add_parser("cache", help="inspect, verify or prune the embedding cache")
    p.add_argument("action", choices=("ls", "prune", "verify"))
    p.add_argument("--fix", action="store_true", help="verify: delete corrupt shards and namespaces")
    p.add_argument("--cache-dir", type=Path)
    p.add_argument("--model", help="prune: namespaces whose model fingerprint starts with this")
    p.add_argument("--older-than", type=float, metavar="DAYS", help="prune: namespaces not written for DAYS")
    p.add_argument("--all", action="store_true", help="prune: everything")
    p.set_defaults(func=cmd_cache)

    for modname in COMMAND_MODULES:
        importlib.import_module(modname).add_commands(sub)
    return no_abbreviations(parser)


def main(argv: Sequence[str] | None = None) -> int:
    from .fetch import FetchError
    from .leakage import MmseqsError, MmseqsNotFoundError
    from .protocols.params import ParamError
    from .registry import RegistryError

    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)     # `run --jobs` starts workers with it
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from . import progress

    progress.set_level(0 if args.quiet else 2 if args.verbose else 1)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    check_device(parser, args)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        return int(args.func(args) or 0)
    except (RegistryError, FetchError, ValueError, FileNotFoundError, OSError, MmseqsError,
            MmseqsNotFoundError) as exc:
        print(f"protbench {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, (RegistryError, ParamError, UsageError)) else EXIT_FAILED
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
