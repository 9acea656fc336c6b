"""``protbench prefetch``, ``protbench data check``, ``protbench leakage`` and ``protbench cache``: the data and
caches behind a run."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..progress import say
from .options import EXIT_FAILED, EXIT_OK, EXIT_USAGE, make_fetcher, registries


def cmd_prefetch(args: argparse.Namespace) -> int:
    """Fill the cache with the tasks' upstream files; end with a per-task table (ready / what is missing)."""
    from tabulate import tabulate

    from ..fetch import FetchError
    from ..runner import select_tasks

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


def cmd_data_check(args: argparse.Namespace) -> int:
    """Pre-flight check of every upstream file of the selected tasks (default: all): one table row per file.

    Offline (default) it checks the copies in the cache and mirrors (content kind, size, checksums) and says
    what is missing and where to put it. ``--online`` also asks each server: a file with a good local copy
    (or every file with ``--no-download``) gets a GET of its first 64 KiB only (status, Content-Type, the
    announced size against the spec, the content sniff); any other is downloaded to a temporary file,
    checked (size, checksums, content), and kept in the cache only when good, so the check doubles as
    ``prefetch``. Exit 1 with the table when anything would break a run, else 0.
    """
    from tabulate import tabulate

    from ..fetch import check_source
    from ..runner import select_tasks

    reg = registries(args)
    everything = args.all or not (args.tasks or args.families)
    ids = select_tasks(reg, args.tasks or [], args.families or [], everything)
    fetcher = make_fetcher(args)
    online = bool(args.online) and not args.offline
    fetcher.offline = not online
    users: dict[str, list[str]] = {}
    sources = {}
    for tid in ids:
        task = reg.tasks.get(tid)
        for src in task.spec.sources:
            users.setdefault(src.filename, []).append(tid)
            sources.setdefault(src.filename, src)
    checks = []
    for name, src in sources.items():
        row = check_source(fetcher, src, users[name], online=online, headers_only=args.no_download)
        say(f"{'ok  ' if row.ok else 'FAIL'}  {name}")
        checks.append(row)

    def tasks_of(names: list[str]) -> str:
        return ", ".join(names) if len(names) <= 3 else f"{', '.join(names[:2])} +{len(names) - 2}"

    print(tabulate([(tasks_of(c.tasks), c.filename, c.found, c.http, c.content, c.size, c.checksum,
                     "ok" if c.ok else "FAIL") for c in checks],
                   headers=["tasks", "file", "found", "http", "content", "size", "checksum", "status"],
                   disable_numparse=True))
    bad = [c for c in checks if not c.ok]
    for c in checks:
        for note in c.notes:
            print(f"\nnote: {c.filename}: {note}")
        for problem in c.problems:
            print(f"\n{c.filename}: {problem}")
    if bad:
        where = f"{fetcher.download_dir} or a mirror folder (--mirror DIR or $PROTBENCH_MIRROR)"
        print(f"\n{len(bad)} of {len(checks)} files would break a run. Put good copies, under the names above, in "
              f"{where}" + ("" if online else ", or rerun with --online to download and check them") + ".")
        return EXIT_FAILED
    print(f"\nall {len(checks)} files are fine" + ("" if online else " (offline: local copies only; --online also "
                                                    "checks the servers)") + ".")
    return EXIT_OK


LEAKAGE_SPLITS = ("train", "valid", "test")


def cmd_leakage(args: argparse.Namespace) -> int:
    """Homology leakage: evaluation splits against train (or a pretraining corpus) by exact copy and identity."""
    from tabulate import tabulate

    from .. import stages
    from ..leakage import corpus_leakage, leakage_report, read_corpus_sequences

    if args.split not in LEAKAGE_SPLITS:         # checked before any fetch: a typo would report n = 0
        print(f"protbench leakage: error: --split {args.split!r}: choose one of {', '.join(LEAKAGE_SPLITS)}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        thresholds = tuple(float(t) for t in args.thresholds.split(","))
    except ValueError:
        thresholds = ()
    if not thresholds or not all(0 < t <= 1 for t in thresholds):
        print(f"protbench leakage: error: --thresholds {args.thresholds!r}: comma-separated identities, each a "
              f"number > 0 and <= 1 (e.g. 0.3,0.5,0.9)", file=sys.stderr)
        return EXIT_USAGE
    if args.threads < 1:
        print(f"protbench leakage: error: --threads must be a whole number >= 1, not {args.threads}", file=sys.stderr)
        return EXIT_USAGE
    reg = registries(args)
    for tid in args.tasks:
        reg.tasks.get(tid)                        # an unknown task fails before any fetch
    fetcher = make_fetcher(args)
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

    from ..cache import EmbeddingCache
    from ..fetch import default_cache_dir

    root = Path(args.cache_dir or default_cache_dir()) / "embeddings"
    cache = EmbeddingCache(root)
    if args.action == "ls":
        rows = [(r["namespace"][:12], r.get("model_name") or "?", r["model_fingerprint"], r["kind"], r["layer"],
                 r["pooling"], r["max_length"], r["policy"], r["vectors"], f"{r['bytes'] / 1e6:.1f} MB", r["problem"])
                for r in cache.entries()]
        print(f"embedding cache: {root}")
        print(tabulate(rows, headers=["id", "model", "fingerprint", "kind", "layer", "pooling", "max len", "policy",
                                      "vectors", "size", "problem"], disable_numparse=True))
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
