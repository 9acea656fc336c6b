"""Whole-suite stage profile: where the time of a full run goes (issue 17, item 3).

Runs one model (default: the ESM-2 8M architecture, random init) over every task whose real data is
available locally (cache or data mirror; nothing is downloaded), with seeds 0 1 2, into a fresh result
folder, and reports the seconds of each stage (fetch, load, embed, evaluate) per task and in total, read
from the ``timings_s`` block every result records.

    python benchmarks/bench_suite.py [--model esm2-8m] [--model-opt dtype=bfloat16] [--seeds 0 1 2] [--threads N]
        [--jobs N]
        [--cache-dir DIR] [--out benchmarks/results/suite/NAME]

``--cache-dir`` keeps the data and embedding cache between invocations; a second run over the same cache
then measures the non-embedding stages with the embeddings read from the cache (the ``embed`` column says
so). ``NAME.json`` / ``NAME.md`` hold the profile (``NAME.log``: the run's progress lines, with ``--jobs``)
and ``NAME.results/`` the result files, so two profiles (before / after a change) can be compared score by
score with ``protbench compare``. Run on an otherwise idle machine: the numbers are wall-clock seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path

STAGES = ("fetch", "load", "embed", "evaluate")


def available_tasks(cache_dir: Path, only: list[str] | None = None) -> tuple[object, object, list[str]]:
    """``(registries, fetcher, tasks)``: every registered task whose real data is in the cache or a mirror."""
    from protbench.fetch import Fetcher, mirrors_from_env
    from protbench.registry import load_registries
    from protbench.stages import availability

    reg = load_registries()
    fetcher = Fetcher(cache_dir=cache_dir, mirrors=mirrors_from_env(), offline=True, progress=False)
    tasks = [t for t in reg.tasks if availability(reg.tasks.get(t), fetcher)[0] and (not only or t in only)]
    if not tasks:
        raise SystemExit(f"no task's real data is in {cache_dir} or a mirror: set PROTBENCH_MIRROR to the data "
                         f"mirror (e.g. ../shared/data) or give a --cache-dir that holds the downloads")
    return reg, fetcher, tasks


def report_of(tasks: list[str], results: Path, wall: float, load: tuple, **facts) -> dict:
    """The profile: each task's stage timings as its result file records them, their totals, and ``facts``."""
    rows = []
    for t in tasks:
        files = list(results.glob(f"*/{t}.json"))
        doc = json.loads(files[0].read_text()) if files else {}
        tm = doc.get("timings_s", {})
        rows.append({"task": t, "status": doc.get("status", "missing"),
                     **{s: round(tm.get(s, 0.0), 2) for s in STAGES}, "protocol": (doc.get("protocol") or {}).get("name")})
    return {**facts, "tasks": rows, "total_s": {s: round(sum(r[s] for r in rows), 2) for s in STAGES},
            "wall_s": round(wall, 1), "host": platform.node(), "cpu_count": os.cpu_count(),
            "load_average_before": load}


def profile(model: str, seeds: list[int], threads: int | None, cache_dir: Path, results: Path,
            random_init: bool, only: list[str] | None = None, model_options: dict | None = None) -> dict:
    """One in-process run (``Runner``) over the available tasks."""
    from protbench.runner import RunConfig, Runner

    reg, fetcher, tasks = available_tasks(cache_dir, only)
    config = RunConfig(model=model, tasks=tasks, seeds=seeds, output_dir=results, overwrite="always",
                       model_options=dict(model_options or {}), fetcher=fetcher, random_init=random_init,
                       threads=threads)
    load, t0 = os.getloadavg(), time.perf_counter()
    Runner(config, reg).run(tasks)
    return report_of(tasks, results, time.perf_counter() - t0, load, model=model,
                     model_options=dict(model_options or {}), random_init=random_init, seeds=seeds, threads=threads)


def profile_jobs(model: str, seeds: list[int], threads: int | None, jobs: int, cache_dir: Path, results: Path,
                 random_init: bool, only: list[str] | None = None, model_options: dict | None = None) -> dict:
    """The same run through ``protbench run --jobs N`` (embeddings first in one process, then N workers): the
    phases' wall-clock seconds as the command reports them, and each result's own stage timings (those of the
    worker that wrote it)."""
    import re
    import subprocess
    import sys

    _, _, tasks = available_tasks(cache_dir, only)
    cmd = [sys.executable, "-m", "protbench.cli", "run", "--model", model, "--tasks", *tasks,
           "--seeds", *map(str, seeds), "--output-dir", str(results), "--overwrite", "always", "--offline",
           "--cache-dir", str(cache_dir), "--jobs", str(jobs)]
    cmd += ["--random-init"] if random_init else []
    cmd += ["--threads", str(threads)] if threads else []
    for k, v in (model_options or {}).items():
        cmd += ["--model-opt", f"{k}={v}"]
    load, t0 = os.getloadavg(), time.perf_counter()
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"protbench run --jobs failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    ahead = float(re.search(r"embedded ahead in ([0-9.]+) s", proc.stderr).group(1))
    workers = float(re.search(r"workers finished in ([0-9.]+) s", proc.stderr).group(1))
    each = [float(x) for x in re.findall(r"worker \d+ done in ([0-9.]+) s", proc.stderr)]
    return report_of(tasks, results, wall, load, model=model, model_options=dict(model_options or {}),
                     random_init=random_init, seeds=seeds, threads=threads, jobs=jobs,
                     phases_wall_s={"embed_ahead": ahead, "workers": workers,
                                    "assemble_and_startup": round(wall - ahead - workers, 1)},
                     worker_walls_s=each, log=proc.stderr)


def markdown(report: dict) -> str:
    head = "| task | protocol | status | " + " | ".join(STAGES) + " |\n|---|---|---|" + "---:|" * len(STAGES)
    lines = [head]
    for r in report["tasks"]:
        lines.append(f"| {r['task']} | {r['protocol']} | {r['status']} | "
                     + " | ".join(f"{r[s]:.1f}" for s in STAGES) + " |")
    lines.append("| **total** | | | " + " | ".join(f"**{report['total_s'][s]:.1f}**" for s in STAGES) + " |")
    opts = "".join(f" {k}={v}" for k, v in report.get("model_options", {}).items())
    jobs = ""
    if report.get("jobs"):
        ph = report["phases_wall_s"]
        each = ", ".join(f"{w} s" for w in report.get("worker_walls_s", []))
        jobs = (f"\n\n`--jobs {report['jobs']}`: embedded ahead {ph['embed_ahead']} s, workers {ph['workers']} s "
                f"(wall; fetch, load and evaluate of every (task, seed); each worker from its start-up to its "
                f"last seed: {each or 'not reported'}), start-up + assembling {ph['assemble_and_startup']} s. "
                f"Stage columns: the timings of the worker that wrote each result.")
    return (f"model {report['model']}{opts}{' (random init)' if report['random_init'] else ''}, seeds "
            f"{report['seeds']}, threads {report['threads'] or 'default'}; wall {report['wall_s']} s; "
            f"load average before {tuple(round(x, 2) for x in report['load_average_before'])}{jobs}\n\n"
            + "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="esm2-8m")
    ap.add_argument("--weights-free", action="store_true",
                    help="the model needs no --weights (default: esm2-* run with --random-init)")
    ap.add_argument("--model-opt", action="append", default=[], metavar="KEY=VALUE",
                    help="model option, e.g. dtype=bfloat16 (repeatable)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--tasks", nargs="+", help="only these tasks (default: every task with real data here)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    ap.add_argument("--jobs", type=int, default=1, help="run through `protbench run --jobs N` (N shard workers)")
    ap.add_argument("--cache-dir", type=Path, default=None,
                    help="data + embedding cache kept between runs (default: a fresh temporary folder)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/suite/profile"),
                    help="writes OUT.json, OUT.md and the result files under OUT.results/")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cache = args.cache_dir
    scratch = None
    if cache is None:
        import tempfile
        scratch = Path(tempfile.mkdtemp(prefix="protbench-suite-"))
        cache = scratch
    results = args.out.parent / (args.out.name + ".results")
    shutil.rmtree(results, ignore_errors=True)
    try:
        options = dict(kv.split("=", 1) for kv in args.model_opt)
        if args.jobs > 1:
            report = profile_jobs(args.model, args.seeds, args.threads, args.jobs, cache, results,
                                  not args.weights_free, args.tasks, options)
        else:
            report = profile(args.model, args.seeds, args.threads, cache, results, not args.weights_free,
                             args.tasks, options)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if "log" in report:                      # the run's own progress lines (--jobs: every worker's)
        args.out.with_suffix(".log").write_text(report.pop("log"))
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    text = markdown(report)
    args.out.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
