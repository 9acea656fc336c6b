"""The ``protbench`` command line.

Core commands live here (run, list, show, prefetch, cache); other packages add
theirs through :data:`COMMAND_MODULES`, each exposing ``add_commands(subparsers)``
that registers sub-parsers whose ``func(args) -> int`` does the work.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import Any, Sequence

COMMAND_MODULES = (
    "protbench.leaderboard.cli",
    "protbench.protclip.cli",
    "protbench.protclip.quickstart",
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _kv(items: Sequence[str] | None) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}`` (values parsed as JSON when they parse)."""
    out: dict[str, Any] = {}
    for item in items or ():
        if "=" not in item:
            raise SystemExit(f"expected KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", type=Path, default=None,
                   help="cache folder (default: $PROTBENCH_CACHE or the user cache dir)")
    p.add_argument("--mirror", action="append", type=existing_dir, default=None, metavar="DIR",
                   help="folder searched by upstream file name before downloading (repeatable; "
                        "default: $PROTBENCH_MIRROR)")
    p.add_argument("--offline", action="store_true", help="never touch the network; report missing files")
    p.add_argument("--include", action="append", default=[], metavar="PATH",
                   help="a .py file or folder of plugins registering tasks/models (repeatable)")


def make_fetcher(args: argparse.Namespace):
    from .fetch import Fetcher, default_cache_dir, mirrors_from_env

    return Fetcher(cache_dir=args.cache_dir or default_cache_dir(),
                   mirrors=list(args.mirror) if args.mirror else mirrors_from_env(),
                   offline=args.offline, progress=sys.stderr.isatty())


def registries(args: argparse.Namespace):
    from .registry import load_registries

    return load_registries(include=getattr(args, "include", []) or [])


# -- run ------------------------------------------------------------------------------------------
def model_options(args: argparse.Namespace) -> dict[str, Any]:
    options = _kv(args.model_opt)
    if args.weights:
        options["weights"] = str(args.weights)
    return options


def cmd_run(args: argparse.Namespace) -> int:
    from .embed import EmbedConfig
    from .runner import RunConfig, Runner, select_tasks

    reg = registries(args)
    reg.models.get(args.model)
    ids = select_tasks(reg, args.tasks or [], args.families or [], args.all)
    if not ids:
        print("no tasks selected: give --tasks IDS, --families NAMES or --all", file=sys.stderr)
        return EXIT_USAGE
    config = RunConfig(
        model=args.model, tasks=ids, model_options=model_options(args), seeds=args.seeds,
        output_dir=args.output_dir, overwrite=args.overwrite, limit=args.limit, profile=args.profile,
        protocol=args.protocol, preset=args.preset, fetcher=make_fetcher(args),
        quick=args.quick or args.profile == "smoke", device=args.device,
        embed=EmbedConfig(token_budget=args.token_budget, policy=args.policy), params=parse_params(args.param),
    )
    runner = Runner(config, reg)
    outcomes = []

    def report(o) -> None:
        score = f" test {reg.tasks.get(o.task).spec.main_metric}={o.main:.4f}" if o.main is not None else ""
        print(f"[{args.model}] {o.task}: {o.status}{score}{(' - ' + o.message) if o.message else ''}",
              file=sys.stderr, flush=True)

    try:
        for tid in ids:
            print(f"[{args.model}] {tid} ...", file=sys.stderr, flush=True)
            outcomes += runner.run([tid], on_outcome=report)
    except KeyboardInterrupt:
        print("\ninterrupted: finished tasks, finished seeds and cached embeddings are on disk; "
              "rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    from tabulate import tabulate

    rows = [(o.task, o.status, "" if o.main is None else f"{o.main:.4f}", str(o.path or "")) for o in outcomes]
    print(tabulate(rows, headers=["task", "status", "test main metric (mean)", "result"]))
    return EXIT_FAILED if any(o.status == "failed" for o in outcomes) else EXIT_OK


def parse_params(items: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    from .protocols.params import parse_items

    return parse_items(items)


# -- embed (stages fetch → load → embed alone; runs under torchrun) ---------------------------------
def cmd_embed(args: argparse.Namespace) -> int:
    """Fill the embedding cache for tasks' sequences and/or FASTA files; shard over ranks under torchrun."""
    from . import stages
    from .cache import EmbeddingCache
    from .embed import CachedEmbeddings, EmbedConfig
    from .runner import select_tasks
    from .sequences import read_fasta

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        import torch.distributed as dist

        dist.init_process_group(backend=args.backend or ("nccl" if args.device.startswith("cuda") else "gloo"))
        if args.device.startswith("cuda"):
            args.device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    reg = registries(args)
    options = model_options(args)
    options.setdefault("device", args.device)
    model = reg.models.get(args.model).create(**options)
    fetcher = make_fetcher(args)
    seqs: list[str] = []
    for fasta in args.fasta or []:
        seqs += [r.sequence for r in read_fasta(fasta)]
    for tid in select_tasks(reg, args.tasks or [], args.families or [], args.all):
        task = reg.tasks.get(tid)
        files, _ = stages.fetch(task, args.profile, fetcher)
        seqs += stages.load(task, files, args.profile, args.limit).protein_sequences()
    emb = CachedEmbeddings(model, EmbeddingCache(Path(fetcher.cache_dir) / "embeddings"),
                           EmbedConfig(token_budget=args.token_budget, policy=args.policy))
    emb.warm(seqs)
    rank = int(os.environ.get("RANK", "0"))
    print(f"rank {rank}/{world}: {len(set(seqs))} distinct sequences, embedded {emb.stats.embedded} here, "
          f"{emb.stats.cache_hits} from cache, {emb.stats.forward_batches} batches, {emb.stats.seconds:.1f} s",
          flush=True)
    if world > 1:
        import torch.distributed as dist

        dist.destroy_process_group()
    return EXIT_OK


# -- list / show ----------------------------------------------------------------------------------
_CONTROL = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)])


def terminal_text(value: Any) -> str:
    """``value`` as text without C0/C1 control characters (ESC, BEL, ...), so a plugin's name or description
    cannot move the cursor, recolour or retitle the terminal; tabs and newlines become spaces."""
    text = str(value if value is not None else "")
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ").translate(_CONTROL)


def cmd_list(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from .spec import Family

    families = [f.value for f in Family]
    if args.family and args.family not in families:
        import difflib

        close = difflib.get_close_matches(args.family, families, n=2, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        print(f"protbench list: error: unknown family {args.family!r}{hint} (families: {', '.join(families)})",
              file=sys.stderr)
        return EXIT_USAGE
    reg = registries(args)
    t = terminal_text
    if args.what == "tasks":
        rows = []
        for tid in reg.tasks:
            s = reg.tasks.get(tid).spec
            if args.family and s.family.value != args.family:
                continue
            rows.append((t(s.id), s.family.value, t(s.main_metric), t(s.protocol), t(s.variant),
                         textwrap.shorten(t(s.description), 60)))
        print(tabulate(rows, headers=["task", "family", "main metric", "protocol", "variant", "description"]))
    else:
        rows = [(t(e.name), ",".join(sorted(c.value for c in e.capabilities)), "yes" if e.needs_weights else "",
                 textwrap.shorten(t(e.description), 70), t(reg.models.origins[e.name].replace("built-in ", "")))
                for e in reg.models.values()]
        print(tabulate(rows, headers=["model", "capabilities", "weights", "description", "from"]))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    reg = registries(args)
    spec = reg.tasks.get(args.task).spec
    if args.json:
        print(json.dumps(spec.to_dict(), indent=1, default=str))
        return EXIT_OK
    d = spec.to_dict()
    print(f"{terminal_text(spec.id)}  ({spec.family.value}; variant: {terminal_text(spec.variant)})\n")
    print(textwrap.fill(terminal_text(spec.description), 88) + "\n")
    for key in ("main_metric", "metrics", "protocol", "protocols", "label_space", "splits", "requires",
                "parameters", "citation", "license"):
        print(f"  {key:12s} {d[key]}")
    from . import protocols
    from .protocols.params import describe_fields

    print("  protocols (default first) and their settings (--param PROTOCOL.FIELD=VALUE):")
    for name in spec.protocols:
        p = protocols.get(name)
        print(f"    {name}: {p.description}\n{textwrap.indent(describe_fields(p.config), '    ')}")
    print("  sources:")
    for s in spec.sources:
        print(f"    {s.filename}\n      url    {s.url}\n      md5    {s.md5 or '-'}  sha256 {s.sha256 or '-'}")
    return EXIT_OK


# -- prefetch / cache -----------------------------------------------------------------------------
def cmd_prefetch(args: argparse.Namespace) -> int:
    from .fetch import FetchError
    from .runner import select_tasks

    reg = registries(args)
    ids = select_tasks(reg, args.tasks or [], args.families or [], args.all)
    fetcher = make_fetcher(args)
    status = EXIT_OK
    seen = set()
    for tid in ids:
        for src in reg.tasks.get(tid).spec.sources:
            if src.filename in seen:
                continue
            seen.add(src.filename)
            try:
                path = fetcher.prefetch([src])[src.filename]
                print(f"ok       {src.filename}  -> {path}")
            except FetchError as exc:
                status = EXIT_FAILED
                print(f"missing  {src.filename}: {exc}", file=sys.stderr)
    return status


def cmd_cache(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from .cache import EmbeddingCache
    from .fetch import default_cache_dir

    root = Path(args.cache_dir or default_cache_dir()) / "embeddings"
    cache = EmbeddingCache(root)
    if args.action == "ls":
        rows = [(r["namespace"][:12], r["model_fingerprint"], r["kind"], r["layer"], r["pooling"], r["max_length"],
                 r["policy"], r["vectors"], f"{r['bytes'] / 1e6:.1f} MB", r["problem"]) for r in cache.entries()]
        print(f"embedding cache: {root}")
        print(tabulate(rows, headers=["id", "model", "kind", "layer", "pooling", "max len", "policy", "vectors",
                                      "size", "problem"]))
        if any(r[-1] for r in rows):
            print("damaged entries found: `protbench cache verify --fix` removes them", file=sys.stderr)
        return EXIT_OK
    if args.action == "verify":
        problems = cache.verify(fix=args.fix)
        for p in problems:
            print(f"{'removed' if p['fixed'] else 'corrupt'}  {p['path']}: {p['problem']}")
        print(f"embedding cache {root}: {len(problems)} problem(s)"
              + (" fixed" if args.fix and problems else " (rerun with --fix to remove them)" if problems else ""))
        return EXIT_FAILED if problems and not args.fix else EXIT_OK
    if not (args.model or args.older_than is not None or args.all):
        print("cache prune: say what to remove: --model FINGERPRINT, --older-than DAYS or --all", file=sys.stderr)
        return EXIT_USAGE
    removed = cache.prune(model_fingerprint=args.model, older_than_days=args.older_than, everything=args.all)
    print(f"removed {len(removed)} cache namespace(s) from {root}")
    return EXIT_OK


# -- parser ---------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="protbench", description="Benchmark protein representation models "
                                     "on the ProtCLIP suite (22 tasks, 5 families).")
    parser.add_argument("--version", action="version", version=f"protbench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def task_selection(p: argparse.ArgumentParser) -> None:
        p.add_argument("--tasks", nargs="+", metavar="ID", help="task ids (see `protbench list tasks`)")
        p.add_argument("--families", nargs="+", metavar="NAME",
                       help="function, mutation, cross-modal, similarity, ppi")
        p.add_argument("--all", action="store_true", help="every registered task")

    p = sub.add_parser("run", help="evaluate a model on tasks and write result JSONs")
    p.add_argument("--model", required=True, help="model name (see `protbench list models`)")
    task_selection(p)
    p.add_argument("--weights", type=Path, help="local weights for the model (file or folder)")
    p.add_argument("--model-opt", action="append", metavar="KEY=VALUE", help="model option (repeatable), "
                   "e.g. dtype=bfloat16, layer=6")
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
    p.add_argument("--token-budget", type=positive_int, default=16384, help="padded tokens per embedding batch")
    p.add_argument("--policy", choices=("truncate", "chunk"), default="truncate",
                   help="sequences longer than the model's max length: truncate, or chunk and average")
    p.add_argument("--device", default="cpu", help="torch device (cpu, cuda, cuda:1)")
    add_data_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("embed", help="only fill the embedding cache (tasks and/or FASTA); shards over ranks "
                       "under torchrun")
    p.add_argument("--model", required=True)
    task_selection(p)
    p.add_argument("--fasta", action="append", type=Path, metavar="FILE", help="also embed these sequences")
    p.add_argument("--weights", type=Path)
    p.add_argument("--model-opt", action="append", metavar="KEY=VALUE")
    p.add_argument("--profile", choices=("real", "smoke"), default="real")
    p.add_argument("--limit", type=positive_int)
    p.add_argument("--token-budget", type=positive_int, default=16384)
    p.add_argument("--policy", choices=("truncate", "chunk"), default="truncate")
    p.add_argument("--device", default="cpu")
    p.add_argument("--backend", choices=("gloo", "nccl"), help="torch.distributed backend (default: by device)")
    add_data_options(p)
    p.set_defaults(func=cmd_embed)

    p = sub.add_parser("list", help="list registered tasks or models")
    p.add_argument("what", choices=("tasks", "models"))
    p.add_argument("--family", help="only tasks of this family")
    p.add_argument("--include", action="append", default=[], metavar="PATH")
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
    return parser


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def existing_dir(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such folder")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    return path


def check_device(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """A CUDA device on a machine (or torch build) without CUDA is a usage error before any work."""
    device = getattr(args, "device", None)
    if isinstance(device, str) and device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            parser.exit(EXIT_USAGE, f"protbench {args.command}: error: --device {device}: CUDA is not available "
                                    f"(torch {torch.__version__}, no usable GPU); use --device cpu\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    from .fetch import FetchError
    from .protocols.params import ParamError
    from .registry import RegistryError

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    check_device(parser, args)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        return int(args.func(args) or 0)
    except (RegistryError, FetchError, ValueError, FileNotFoundError, OSError) as exc:
        print(f"protbench {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, (RegistryError, ParamError)) else EXIT_FAILED
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
