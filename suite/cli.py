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

from .progress import say  # noqa: E402  (tiny module, no heavy imports)

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
    from .runner import RunConfig, Runner, check_weights, select_tasks

    reg = registries(args)
    model_name, options = reg.resolve_model(args.model, model_options(args))
    check_weights(reg.models.get(model_name), options, args.random_init)
    ids = select_tasks(reg, args.tasks or [], args.families or [], args.all)
    if not ids:
        print("no tasks selected: give --tasks IDS, --families NAMES or --all", file=sys.stderr)
        return EXIT_USAGE
    config = RunConfig(
        model=model_name, tasks=ids, model_options=options, seeds=args.seeds,
        output_dir=args.output_dir, overwrite=args.overwrite, limit=args.limit, profile=args.profile,
        protocol=args.protocol, preset=args.preset, fetcher=make_fetcher(args),
        quick=args.quick or args.profile == "smoke", device=args.device,
        embed=EmbedConfig(token_budget=args.token_budget, policy=args.policy), params=parse_params(args.param),
        shard=args.shard,
        random_init=args.random_init,
    )
    if args.dry_run:
        return dry_run(reg, config)
    runner = Runner(config, reg)
    outcomes = []
    label = args.model + ("@random-init" if args.random_init else "")

    def report(o) -> None:
        score = f" test {reg.tasks.get(o.task).spec.main_metric}={o.main:.4f}" if o.main is not None else ""
        print(f"[{label}] {o.task}: {o.status}{score}{(' - ' + o.message) if o.message else ''}",
              file=sys.stderr, flush=True)

    try:
        for tid in ids:
            print(f"[{label}] {tid} ...", file=sys.stderr, flush=True)
            outcomes += runner.run([tid], on_outcome=report)
    except KeyboardInterrupt:
        print("\ninterrupted: finished tasks, finished seeds and cached embeddings are on disk; "
              "rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    from tabulate import tabulate

    rows = [(o.task, o.status, "" if o.main is None else f"{o.main:.4f}", str(o.path or "")) for o in outcomes]
    print(tabulate(rows, headers=["task", "status", "test main metric (mean)", "result"]))
    return EXIT_FAILED if any(o.status == "failed" for o in outcomes) else EXIT_OK


def dry_run(reg: Any, config: Any) -> int:
    """What ``run`` would do, without building the model: each task's protocol, data and existing result."""
    from tabulate import tabulate

    from .stages import availability
    from .store import ResultStore

    rows = []
    for tid in config.tasks:
        task = reg.tasks.get(tid)
        protocol = config.protocol or reg.models.get(config.model).protocol or task.spec.protocol
        if config.profile == "smoke":
            data = "smoke data (generated)"
        else:
            ok, missing = availability(task, config.fetcher)
            data = "real, local" if ok else ("missing: " + ", ".join(missing) +
                                             ("" if config.fetcher.offline else " (would download)"))
        existing = ResultStore(config.output_dir, config.model, config.profile).result_path(tid)
        note = "skipped: protocol not allowed" if protocol not in task.spec.protocols else ""
        rows.append((tid, protocol, data, "exists (kept if same identity)" if existing.exists() else "", note))
    print(tabulate(rows, headers=["task", "protocol", "data", "result", "note"]))
    return EXIT_OK


def parse_params(items: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    from .protocols.params import parse_items

    return parse_items(items)


# -- embed (stages fetch → load → embed alone; runs under torchrun) ---------------------------------
def cmd_embed(args: argparse.Namespace) -> int:
    """Fill the embedding cache for tasks' sequences and/or FASTA files; shard over ranks under torchrun."""
    from . import stages
    from .cache import EmbeddingCache
    from .embed import CachedEmbeddings, EmbedConfig
    from .runner import RANDOM_INIT, check_weights, rename, select_tasks
    from .sequences import read_fasta

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        import torch.distributed as dist

        dist.init_process_group(backend=args.backend or ("nccl" if args.device.startswith("cuda") else "gloo"))
        if args.device.startswith("cuda"):
            args.device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    reg = registries(args)
    model_name, options = reg.resolve_model(args.model, model_options(args))
    options.setdefault("device", args.device)
    entry = reg.models.get(model_name)
    check_weights(entry, options, args.random_init)
    model = entry.create(**options)
    if args.random_init:
        rename(model, f"{args.model}@{RANDOM_INIT}")
    fetcher = make_fetcher(args)
    named: dict[str, str] = {}           # sequence -> first id it was seen under (FASTA id, or task:split:record)
    for fasta in args.fasta or []:
        for r in read_fasta(fasta):
            named.setdefault(r.sequence, r.id)
    for tid in select_tasks(reg, args.tasks or [], args.families or [], args.all):
        task = reg.tasks.get(tid)
        files, _ = stages.fetch(task, args.profile, fetcher)
        data = stages.load(task, files, args.profile, args.limit)
        for split, recs in data.splits.items():
            for r in recs:
                if r.sequence:
                    named.setdefault(r.sequence, f"{tid}:{split}:{r.id}")
        for i, extra in enumerate(data.extra.get("sequences", ())):
            named.setdefault(extra, f"{tid}:candidate:{i}")
    seqs = list(named)
    emb = CachedEmbeddings(model, EmbeddingCache(Path(fetcher.cache_dir) / "embeddings"),
                           EmbedConfig(token_budget=args.token_budget, policy=args.policy))
    emb.warm(seqs)
    if args.out and int(os.environ.get("RANK", "0")) == 0:
        if world > 1:
            import torch.distributed as dist

            dist.barrier()
        export_embeddings(args.out, emb, named, residues=args.residues)
        print(f"wrote {len(named)} embeddings to {args.out}", flush=True)
    rank = int(os.environ.get("RANK", "0"))
    print(f"rank {rank}/{world}: {len(set(seqs))} distinct sequences, embedded {emb.stats.embedded} here, "
          f"{emb.stats.cache_hits} from cache, {emb.stats.forward_batches} batches, {emb.stats.seconds:.1f} s",
          flush=True)
    if world > 1:
        import torch.distributed as dist

        dist.destroy_process_group()
    return EXIT_OK


def export_embeddings(path: Path, emb: Any, named: dict[str, str], residues: bool = False) -> Path:
    """``.npz``: ``ids`` (n,), ``sequences`` (n,), ``embeddings`` (n, dim) float32 pooled; with ``residues``
    also ``residue_embeddings`` (total residues, dim) and ``residue_offsets`` (n + 1,): protein i's rows are
    ``residue_embeddings[offsets[i]:offsets[i + 1]]``. Plus ``model`` and ``fingerprint`` (strings)."""
    import io

    import numpy as np

    from .store import atomic_write_bytes

    seqs = list(named)
    arrays = {"ids": np.array([named[s] for s in seqs]), "sequences": np.array(seqs),
              "embeddings": emb.proteins(seqs), "model": np.array(emb.meta.name),
              "fingerprint": np.array(emb.meta.fingerprint)}
    if residues:
        per = emb.residues(seqs)
        arrays["residue_embeddings"] = np.concatenate(per) if per else np.zeros((0, emb.meta.dim), np.float32)
        arrays["residue_offsets"] = np.concatenate([[0], np.cumsum([len(r) for r in per])]).astype(np.int64)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return atomic_write_bytes(Path(path), buf.getvalue())


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
        from .stages import availability

        fetcher = make_fetcher(args) if args.available else None
        rows = []
        for tid in reg.tasks:
            s = reg.tasks.get(tid).spec
            if args.family and s.family.value != args.family:
                continue
            row = [t(s.id), s.family.value, t(s.main_metric), t(s.protocol), t(s.variant),
                   textwrap.shorten(t(s.description), 60)]
            if fetcher is not None:
                ok, missing = availability(reg.tasks.get(tid), fetcher)
                row.insert(1, "real" if ok else f"smoke only (missing {', '.join(missing)})")
            rows.append(row)
        headers = ["task", "family", "main metric", "protocol", "variant", "description"]
        if fetcher is not None:
            headers.insert(1, "data here")
        print(tabulate(rows, headers=headers))
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
    """Fill the cache with the tasks' upstream files; end with a per-task table (ready / what is missing)."""
    from tabulate import tabulate

    from .fetch import FetchError
    from .runner import select_tasks

    reg = registries(args)
    ids = select_tasks(reg, args.tasks or [], args.families or [], args.all)
    fetcher = make_fetcher(args)
    done: dict[str, str | None] = {}          # file name -> None when present, else the short reason
    rows = []
    for tid in ids:
        task = reg.tasks.get(tid)
        select = getattr(task, "select_sources", None)
        sources = tuple(select(fetcher) if select else task.spec.sources)
        missing = []
        for src in sources:
            if src.filename not in done:
                try:
                    path = fetcher.prefetch([src])[src.filename]
                    done[src.filename] = None
                    say(f"ok       {src.filename}  -> {path}")
                except FetchError as exc:
                    done[src.filename] = str(exc).split("\n")[0][:100]
                    say(f"missing  {src.filename}")
            if done[src.filename] is not None:
                missing.append(src.filename)
        rows.append((tid, "ready" if not missing else "smoke data only", ", ".join(missing)))
    print(tabulate(rows, headers=["task", "status", "missing files"]))
    if any(r[2] for r in rows):
        print(f"\nPut missing files, under the names above, in a mirror folder (--mirror DIR or $PROTBENCH_MIRROR) "
              f"or in {Path(fetcher.cache_dir) / 'downloads'}; `protbench show TASK` gives each file's URL and "
              f"checksum" + ("" if args.offline else ", or rerun without --offline to download them") + ".")
    return EXIT_OK if not any(r[2] for r in rows) else EXIT_FAILED


def cmd_leakage(args: argparse.Namespace) -> int:
    """Homology leakage: evaluation splits against train (or a pretraining corpus) by exact copy and identity."""
    from tabulate import tabulate

    from . import stages
    from .leakage import corpus_leakage, leakage_report, read_corpus_sequences

    reg = registries(args)
    fetcher = make_fetcher(args)
    thresholds = tuple(float(t) for t in args.thresholds.split(","))
    cache_dir = Path(fetcher.cache_dir) / "leakage"
    corpus = read_corpus_sequences(args.corpus) if args.corpus else None
    rows, reports = [], {}
    for tid in args.tasks:
        task = reg.tasks.get(tid)
        files, _ = stages.fetch(task, args.profile, fetcher)
        data = stages.load(task, files, args.profile, None)
        splits = {s: [r.sequence for r in recs if r.sequence] for s, recs in data.splits.items()}
        if corpus is not None:
            rep = corpus_leakage(corpus, splits.get(args.split, []), thresholds=thresholds, cache_dir=cache_dir,
                                 threads=args.threads, exact_only=args.exact_only)
        else:
            if "train" not in splits:
                print(f"{tid}: no train split (splits: {', '.join(splits)}); use --corpus FILE", file=sys.stderr)
                continue
            rep = leakage_report(splits, queries=tuple(q for q in ("valid", "test") if q in splits),
                                 thresholds=thresholds, cache_dir=cache_dir, threads=args.threads,
                                 exact_only=args.exact_only)
        reports[tid] = rep
        for split, r in rep["splits"].items():
            ident = r.get("identity") or {}
            rows.append((tid, f"{split} vs {rep['reference']}", r["n"], f"{r['exact']['count']} "
                         f"({r['exact']['fraction']:.2%})",
                         *[("-" if ident.get(str(t)) is None else f"{ident[str(t)]['fraction']:.1%}")
                           for t in thresholds]))
    print(tabulate(rows, headers=["task", "split", "n", "exact", *[f">= {t:.0%} id" for t in thresholds]]))
    if rows:
        print(f"\nidentity: {next(iter(reports.values()))['identity_definition']}")
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1, default=str) + "\n")
    return EXIT_OK


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
    parser.add_argument("-v", "--verbose", action="store_true", help="progress details (per batch), debug logs")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output (errors only)")
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
    p.add_argument("--random-init", action="store_true", help="run a model that needs --weights with random "
                   "weights on purpose (recorded as MODEL@random-init)")
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
    p.add_argument("--dry-run", action="store_true",
                   help="print each task's protocol, whether its real data is here and whether a result exists; "
                        "build nothing, compute nothing")
    p.add_argument("--shard", type=shard_spec, metavar="I/N",
                   help="compute only shard I of N of the (task, seed) pairs (0-based), e.g. one per Slurm array "
                        "task into one shared --output-dir; the shard that completes a task writes its result")
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
    p.add_argument("--random-init", action="store_true", help="random weights on purpose (MODEL@random-init)")
    p.add_argument("--model-opt", action="append", metavar="KEY=VALUE")
    p.add_argument("--profile", choices=("real", "smoke"), default="real")
    p.add_argument("--limit", type=positive_int)
    p.add_argument("--token-budget", type=positive_int, default=16384)
    p.add_argument("--policy", choices=("truncate", "chunk"), default="truncate")
    p.add_argument("--device", default="cpu")
    p.add_argument("--backend", choices=("gloo", "nccl"), help="torch.distributed backend (default: by device)")
    p.add_argument("--out", type=Path, metavar="FILE.npz",
                   help="also export the embeddings: ids, sequences, embeddings (n, dim) float32 (numpy .npz)")
    p.add_argument("--residues", action="store_true",
                   help="with --out: per-residue vectors too (residue_embeddings + residue_offsets)")
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
    return parser


def shard_spec(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected I/N (e.g. 0/4), got {text!r}") from None
    if not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"need 0 <= I < N, got {text}")
    return i, n


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
    from .leakage import MmseqsError, MmseqsNotFoundError
    from .protocols.params import ParamError
    from .registry import RegistryError

    parser = build_parser()
    args = parser.parse_args(argv)
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
        return EXIT_USAGE if isinstance(exc, (RegistryError, ParamError)) else EXIT_FAILED
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
