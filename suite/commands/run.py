"""``protbench run`` (the whole pipeline for one model, or a --dry-run of it) and ``protbench embed``
(stages fetch → load → embed alone, torchrun-able, with an optional export)."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..progress import say
from .options import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    make_fetcher,
    model_options,
    parse_params,
    registries,
)


def cmd_run(args: argparse.Namespace) -> int:
    from ..embed import EmbedConfig
    from ..runner import RunConfig, Runner, check_weights, select_tasks

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
        shard=args.shard, random_init=args.random_init, name=args.name, threads=args.threads, leakage=args.leakage,
        claims=Path(os.environ[CLAIMS_ENV]) if os.environ.get(CLAIMS_ENV) else None,
    )
    if args.dry_run:
        return dry_run(reg, config)
    if args.jobs > 1:
        if config.claims is not None:     # a worker never starts workers (no process can multiply itself)
            print("--jobs in a `run --jobs` worker: refused (a worker evaluates; only the parent starts workers)",
                  file=sys.stderr)
            return EXIT_USAGE
        if args.shard:
            print("--jobs and --shard: give one (--jobs N deals the work to N local shards itself)", file=sys.stderr)
            return EXIT_USAGE
        config = run_workers(args, config, reg)
    started = time.perf_counter()
    runner = Runner(config, reg)
    if config.claims is not None:       # a --jobs worker: the expensive tasks first, as every worker
        ids = runner.work_order(ids)
    outcomes = []
    label = config.result_name

    def report(o) -> None:
        score = f" test {reg.tasks.get(o.task).spec.main_metric}={o.main:.3f}" if o.main is not None else ""
        say(f"[{label}] {o.task}: {o.status}{score}{(' - ' + o.message) if o.message else ''}")

    try:
        for tid in ids:
            say(f"[{label}] {tid} ...")
            outcomes += runner.run([tid], on_outcome=report)
    except KeyboardInterrupt:
        print("\ninterrupted: finished tasks, finished seeds and cached embeddings are on disk; "
              "rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if config.claims is not None:       # how long this worker had work (the others may still be busy)
        say(f"[{label}] worker {os.getpid()} done in {time.perf_counter() - started:.1f} s")
    from tabulate import tabulate

    rows = [(o.task, o.status, "" if o.main is None else f"{o.main:.3f}", str(o.path or "")) for o in outcomes]
    print(tabulate(rows, headers=["task", "status", "test main metric (mean)", "result"], disable_numparse=True))
    return EXIT_FAILED if any(o.status == "failed" for o in outcomes) else EXIT_OK


CLAIMS_ENV = "PROTBENCH_CLAIMS"     # set by run --jobs for its workers: the folder of (task, seed) claims


def worker_argv(argv: list[str], threads: int) -> list[str]:
    """The command line of a ``run --jobs`` worker: the user's, without ``--jobs``, with ``--threads`` (a later
    flag wins in argparse)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--jobs":
            skip = True
        elif not a.startswith("--jobs="):
            out.append(a)
    return [sys.executable, "-m", "protbench.cli", *out, "--threads", str(threads)]


def run_workers(args: argparse.Namespace, config: Any, reg: Any) -> Any:
    """``run --jobs N``: embed every task once here (every core), then N workers with ``--threads`` (default
    cores/N) evaluate the (task, seed) pairs, each taking the next unclaimed pair (claim files: whoever is free
    takes the next seed, so one slow task does not hold a static shard back), all in one order, the tasks whose
    seeds train a network first (:meth:`Runner.work_order`); returns the config of the assembling pass that
    follows (same threads, so the same identity; it recomputes nothing the workers finished)."""
    import dataclasses
    import shutil
    import subprocess
    import tempfile

    from ..runner import Runner

    cores = os.cpu_count() or 1
    per = args.threads or max(1, cores // args.jobs)
    t0 = time.perf_counter()
    Runner(dataclasses.replace(config, threads=args.threads or cores), reg).prepare(config.tasks)
    t1 = time.perf_counter()
    say(f"[{args.model}] embedded ahead in {t1 - t0:.1f} s; {len(config.tasks)} task(s) x {len(config.seeds)} "
        f"seed(s) in {args.jobs} workers of {per} thread(s)")
    Path(config.output_dir).mkdir(parents=True, exist_ok=True)
    claims = tempfile.mkdtemp(prefix=".claims-", dir=config.output_dir)
    procs = [subprocess.Popen(worker_argv(args.argv, per),
                              env={**os.environ, CLAIMS_ENV: claims})
             for _ in range(args.jobs)]
    try:
        codes = [p.wait() for p in procs]
    except KeyboardInterrupt:
        for p in procs:
            p.terminate()
        raise
    finally:
        shutil.rmtree(claims, ignore_errors=True)
    say(f"[{args.model}] workers finished in {time.perf_counter() - t1:.1f} s")
    if any(c not in (EXIT_OK, EXIT_FAILED) for c in codes):
        say(f"workers exited with {codes}; the assembling pass computes what they left")
    overwrite = "only-missing" if config.overwrite == "always" else config.overwrite
    return dataclasses.replace(config, threads=per, overwrite=overwrite)


def dry_run(reg: Any, config: Any) -> int:
    """What ``run`` would do, without building the model: each task's protocol, data and existing result."""
    from tabulate import tabulate

    from ..stages import availability
    from ..store import ResultStore

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
        existing = ResultStore(config.output_dir, config.result_name, config.profile).result_path(tid)
        note = "skipped: protocol not allowed" if protocol not in task.spec.protocols else ""
        rows.append((tid, protocol, data, "exists (kept if same identity)" if existing.exists() else "", note))
    print(tabulate(rows, headers=["task", "protocol", "data", "result", "note"]))
    return EXIT_OK


def cmd_embed(args: argparse.Namespace) -> int:
    """Fill the embedding cache for tasks' sequences and/or FASTA files; shard over ranks under torchrun."""
    from .. import stages
    from ..cache import EmbeddingCache
    from ..embed import CachedEmbeddings, EmbedConfig
    from ..runner import RANDOM_INIT, check_model_name, check_weights, rename, select_tasks
    from ..sequences import read_fasta

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if problem := embed_usage_problem(args):
        print(f"protbench embed: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    import torch

    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // world))
    if world > 1:
        import torch.distributed as dist

        dist.init_process_group(backend=args.backend or ("nccl" if args.device.startswith("cuda") else "gloo"))
        if args.device.startswith("cuda"):
            args.device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    reg = registries(args)
    model_name, options = reg.resolve_model(args.model, model_options(args))
    options.setdefault("device", args.device)
    entry = reg.models.get(model_name)
    check_weights(entry, options, args.random_init)
    entry.check_options(options)
    model = entry.create(**options)
    check_model_name(reg, model_name, model)
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
    if not seqs:
        print("protbench embed: error: no sequences to embed (the FASTA files and tasks selected hold none)",
              file=sys.stderr)
        return EXIT_USAGE
    emb = CachedEmbeddings(model, EmbeddingCache(Path(fetcher.cache_dir) / "embeddings"),
                           EmbedConfig(token_budget=args.token_budget, policy=args.policy))
    emb.warm(seqs)
    if args.out:        # every rank reads (a collective under torchrun: all wait for every shard); rank 0 writes
        arrays = export_arrays(emb, named, residues=args.residues)
        if rank == 0:
            write_npz(args.out, arrays)
            print(f"wrote {len(named)} embeddings to {args.out}", flush=True)
    print(f"rank {rank}/{world}: {len(set(seqs))} distinct sequences, embedded {emb.stats.embedded} here, "
          f"{emb.stats.cache_hits} from cache, {emb.stats.forward_batches} batches, {emb.stats.seconds:.1f} s",
          flush=True)
    if world > 1:
        import torch.distributed as dist

        dist.destroy_process_group()
    return EXIT_OK


def embed_usage_problem(args: argparse.Namespace) -> str | None:
    """What makes an ``embed`` command unusable, found before any model, fetch or embedding (None: nothing):
    nothing selected, ``--residues`` without ``--out``, and an ``--out`` that is not a ``.npz`` path, exists
    (without ``--force``), is a folder, or lies in a place that cannot be written."""
    if not (args.fasta or args.tasks or args.families or args.all):
        return "nothing to embed: give --fasta FILE, --tasks IDS, --families NAMES or --all"
    for fasta in args.fasta or []:
        if not Path(fasta).is_file():
            return f"--fasta {fasta}: no such file"
    if args.residues and not args.out:
        return "--residues only applies with --out FILE.npz"
    if not args.out:
        return None
    out = Path(args.out)
    if out.suffix != ".npz":
        return f"--out {out}: the export is a numpy .npz archive; name the file FILE.npz"
    if out.is_dir():
        return f"--out {out} is a folder; give a file path ending in .npz"
    if out.exists() and not getattr(args, "force", False):
        return f"--out {out} exists; pass --force to replace it, or choose another name"
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                return f"--out {out}: {parent} is a file, not a folder"
            if not os.access(parent, os.W_OK | os.X_OK):
                return f"--out {out}: {parent} is not writable"
            break
    return None


def export_embeddings(path: Path, emb: Any, named: dict[str, str], residues: bool = False) -> Path:
    """``.npz``: ``ids`` (n,), ``sequences`` (n,), ``embeddings`` (n, dim) float32 pooled; with ``residues``
    also ``residue_embeddings`` (total residues, dim) and ``residue_offsets`` (n + 1,): protein i's rows are
    ``residue_embeddings[offsets[i]:offsets[i + 1]]``. Plus ``model`` and ``fingerprint`` (strings)."""
    return write_npz(Path(path), export_arrays(emb, named, residues))


def export_arrays(emb: Any, named: dict[str, str], residues: bool = False) -> dict[str, Any]:
    """The arrays of :func:`export_embeddings` (read from the cache: under torchrun every rank calls this)."""
    import numpy as np

    seqs = list(named)
    arrays = {"ids": np.array([named[s] for s in seqs]), "sequences": np.array(seqs),
              "embeddings": emb.proteins(seqs), "model": np.array(emb.meta.name),
              "fingerprint": np.array(emb.meta.fingerprint)}
    if residues:
        per = emb.residues(seqs)
        arrays["residue_embeddings"] = np.concatenate(per) if per else np.zeros((0, emb.meta.dim), np.float32)
        arrays["residue_offsets"] = np.concatenate([[0], np.cumsum([len(r) for r in per])]).astype(np.int64)
    return arrays


def write_npz(path: Path, arrays: dict[str, Any]) -> Path:
    """``arrays`` as a compressed numpy ``.npz`` at ``path``, atomically."""
    import io

    import numpy as np

    from ..store import atomic_write_bytes

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return atomic_write_bytes(Path(path), buf.getvalue())
