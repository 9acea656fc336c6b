"""Training-corpus leakage: evaluation proteins that occur in (or are close to) a ProtCLIP training corpus.

A pretraining corpus that contains a test protein, or a ≥ 50 % identity relative of it, inflates every
downstream number measured on that protein. :func:`corpus_eval_leakage` counts, per evaluation task and
split, the sequences that are **exact copies** of a corpus sequence and — when MMseqs2 is installed — those
whose best corpus hit reaches ``identity`` (default 0.5). Both come from :func:`protbench.leakage.leakage_report`
(exact: hashing; identity: MMseqs2 ``fident`` with ≥ 80 % query coverage, see that module), with the corpus as
reference; an extra query ``"all"`` holds every distinct evaluation sequence once. Without MMseqs2 the
identity counts are ``None`` and ``identity_skipped`` says why.

Evaluation sequences come from the task registry (:func:`task_sequences`: every split of each task, from the
local cache or mirrors only, nothing downloaded; a task whose data is not available is listed under
``unavailable`` instead of failing). :data:`EVAL_TASKS` are the tasks ProtCLIP is evaluated on with real data
here (``results/pretraining``: :mod:`protbench.protclip.suite_table`, plus subloc).

Use: ``protbench pretrain ... --leakage-tasks eval`` (or a comma list of task ids) writes
``<output-dir>/leakage.json`` before training; in Python :func:`run_leakage_check`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

EVAL_TASKS = ("prot2bp-goa", "prot2mf-goa", "prot2cc-goa", "simsem-bp-human", "simsem-mf-human", "simsem-cc-human",
              "subloc", "binloc", "beta-lactamase")


def resolve_tasks(spec: str | Sequence[str]) -> list[str]:
    """Task ids from ``"eval"`` (:data:`EVAL_TASKS`), a comma list, or a list (``"eval"`` may appear in it)."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for t in (x.strip() for x in items):
        for tid in (EVAL_TASKS if t == "eval" else (t,) if t else ()):
            if tid not in out:
                out.append(tid)
    return out


def task_sequences(task_ids: Sequence[str], registry=None, fetcher=None, profile: str = "real"
                   ) -> tuple[dict[str, dict[str, list[str]]], dict[str, str]]:
    """``({task: {split: sequences}}, {task: why unavailable})`` for the tasks' sequence splits.

    ``fetcher`` default: the protbench cache and ``$PROTBENCH_MIRROR`` mirrors, offline. An unknown task id
    raises (a typo should not pass silently); missing data is reported, not raised.
    """
    from protbench import stages

    if registry is None:
        from protbench.registry import load_registries

        registry = load_registries()
    if fetcher is None:
        from protbench.fetch import Fetcher, default_cache_dir, mirrors_from_env

        fetcher = Fetcher(cache_dir=default_cache_dir(), mirrors=mirrors_from_env(), offline=True, progress=False)
    tasks = {tid: registry.tasks.get(tid) for tid in task_ids}       # unknown ids fail before any work
    out: dict[str, dict[str, list[str]]] = {}
    missing: dict[str, str] = {}
    for tid, task in tasks.items():
        try:
            files, _ = stages.fetch(task, profile, fetcher)
            data = stages.load(task, files, profile, None)
        except Exception as exc:           # data not in the cache / mirrors, or unreadable: reported
            missing[tid] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            continue
        splits = {s: [r.sequence for r in recs if getattr(r, "sequence", None)] for s, recs in data.splits.items()}
        out[tid] = {s: v for s, v in splits.items() if v}
        if not out[tid]:
            missing[tid] = "no split with protein sequences (e.g. a pair task)"
            del out[tid]
    return out, missing


def corpus_eval_leakage(corpus: Sequence[str], evaluation: Mapping[str, Mapping[str, Sequence[str]]],
                        identity: float = 0.5, exact_only: bool | None = None,
                        cache_dir: str | os.PathLike | None = None, threads: int = 1,
                        mmseqs: str | os.PathLike | None = None) -> dict[str, Any]:
    """Leakage of every ``evaluation[task][split]`` (and ``"all"``, the distinct union) against ``corpus``.

    ``exact_only``: True — exact copies only; False — MMseqs2 required; None — identity too when MMseqs2 is
    found, else exact only with ``identity_skipped`` set. Returns :func:`protbench.leakage.leakage_report`'s
    report (queries named ``"task/split"``) plus ``identity_threshold`` and ``identity_skipped``.
    """
    from protbench.leakage import MmseqsNotFoundError, find_mmseqs, leakage_report, normalise

    skipped = None
    if exact_only is None:
        try:
            find_mmseqs(mmseqs)
            exact_only = False
        except MmseqsNotFoundError as exc:
            exact_only, skipped = True, str(exc)
    elif exact_only:
        skipped = "exact_only requested"
    splits: dict[str, Sequence[str]] = {"corpus": list(corpus)}
    every: dict[str, None] = {}
    for task, by_split in evaluation.items():
        for split, seqs in by_split.items():
            splits[f"{task}/{split}"] = list(seqs)
            every.update(dict.fromkeys(normalise(x) for x in seqs))
    splits["all"] = list(every)
    queries = tuple(k for k in splits if k != "corpus")
    rep = leakage_report(splits, reference="corpus", queries=queries, thresholds=(float(identity),),
                         cache_dir=cache_dir, threads=threads, exact_only=exact_only, mmseqs=mmseqs)
    rep["identity_threshold"] = float(identity)
    rep["identity_skipped"] = skipped
    return rep


def run_leakage_check(tasks: str | Sequence[str], corpus: Sequence[str], out_path: str | os.PathLike,
                      identity: float = 0.5, threads: int = 1, exact_only: bool | None = None,
                      evaluation: Mapping[str, Mapping[str, Sequence[str]]] | None = None, **kw) -> dict[str, Any]:
    """Load the tasks' sequences (or take ``evaluation``), check them against ``corpus``, write the JSON report to
    ``out_path`` atomically and return it (keys as :func:`corpus_eval_leakage`, plus ``tasks`` and
    ``unavailable``). ``kw`` goes to :func:`task_sequences` (``registry``, ``fetcher``)."""
    from protbench.fetch import default_cache_dir
    from protbench.store import atomic_write_bytes

    task_ids = resolve_tasks(tasks)
    missing: dict[str, str] = {}
    if evaluation is None:
        evaluation, missing = task_sequences(task_ids, **kw)
    rep = corpus_eval_leakage(corpus, evaluation, identity=identity, exact_only=exact_only, threads=threads,
                              cache_dir=Path(default_cache_dir()) / "leakage")
    rep = {"tasks": task_ids, "unavailable": missing, **rep}
    atomic_write_bytes(Path(out_path), (json.dumps(rep, indent=1, default=str) + "\n").encode())
    return rep


def summary_line(rep: Mapping[str, Any]) -> str:
    """One line: exact and ≥ identity counts of the ``"all"`` query."""
    a = rep["splits"].get("all", {})
    ident = a.get("identity") or {}
    t = f"{rep['identity_threshold']:g}"
    sim = f", {ident[t]['count']} at >= {float(t):.0%} identity" if t in ident else " (identity: no MMseqs2)"
    return f"{a.get('exact', {}).get('count', 0)} of {a.get('n', 0)} evaluation sequences in the corpus{sim}"


if __name__ == "__main__":       # pragma: no cover - `python -m protbench.protclip.leakage CORPUS OUT [TASKS]`
    import sys

    from protbench.leakage import read_corpus_sequences

    r = run_leakage_check(sys.argv[3] if len(sys.argv) > 3 else "eval", read_corpus_sequences(sys.argv[1]),
                          sys.argv[2])
    print(json.dumps({"unavailable": r["unavailable"], "summary": summary_line(r)}, indent=1))
