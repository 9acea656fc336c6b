"""``protbench quickstart``: the whole pipeline offline, on built-in data, in a few minutes.

1. write the synthetic ProtAnno corpus (:mod:`protbench.protclip.corpus`);
2. pretrain a tiny ProtCLIP on it for ``pretrain_seconds`` (wall clock)
   through ``protbench.protclip.train.pretrain``;
3. evaluate the tiny ProtCLIP and baselines on the smoke profile of every
   registered benchmark (variants such as other PPI splits only with
   ``all_tasks``) through :class:`protbench.runner.Runner` (the stage pipeline);
4. build the leaderboard (terminal tables, Markdown/LaTeX/CSV, HTML report).

Nothing here stops on a failure: a model that cannot be built, a pretraining
that fails, or a task that raises becomes a failed (or skipped) result with its
error, and the tables show it. Outputs under ``out``: ``corpus/``,
``protclip-tiny/`` (pretraining run), ``results/``, ``leaderboard/``,
``cache/`` (smoke data, embeddings) and ``quickstart.json`` (timings).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from protbench import results as R
from protbench.leaderboard.collect import is_derived
from protbench.store import ResultStore

DEFAULT_MODELS = ("protclip-tiny", "aac", "esm2-tiny")
PROTCLIP_MODEL = "protclip-tiny"
WEIGHTS_NAME = "synthetic-pretrained"      # results appear as protclip-tiny:synthetic-pretrained


@dataclass
class QuickstartConfig:
    out: Path = Path("protbench-quickstart")
    pretrain_seconds: float = 60.0
    pretrain_steps: int | None = None        # a fixed step count instead of the time budget (reproducible)
    models: list[str] | None = None          # default: DEFAULT_MODELS
    tasks: list[str] | None = None           # default: every registered benchmark
    seeds: list[int] = field(default_factory=lambda: [0])
    skip_pretrain: bool = False
    all_tasks: bool = False                  # also derived variants (other splits, other ground truth)
    corpus_train: int = 1500
    corpus_valid: int = 64
    batch_size: int = 16
    n_boot: int = 200
    reference: str = "aac"
    echo: bool = True


@dataclass
class QuickstartSummary:
    ok: bool
    out: Path
    tasks: list[str]
    models: list[str]
    statuses: dict[str, dict[str, str]]      # model -> task -> ok | failed | skipped
    timings_s: dict[str, float]               # wall clock per stage
    cpu_s: dict[str, float] = field(default_factory=dict)   # process CPU time per stage (all threads)
    pretrain: dict[str, Any] | None = None
    pretrain_error: str = ""
    files: dict[str, Path] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "out": str(self.out), "tasks": self.tasks, "models": self.models,
                "statuses": self.statuses, "timings_s": {k: round(v, 2) for k, v in self.timings_s.items()},
                "cpu_s": {k: round(v, 2) for k, v in self.cpu_s.items()},
                "pretrain": _pretrain_digest(self.pretrain), "pretrain_error": self.pretrain_error,
                "files": {k: str(v) for k, v in self.files.items()}}


def _pretrain_digest(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    if not summary:
        return None
    keys = ("steps", "seconds", "stopped", "checkpoint", "mean_first", "mean_last", "retrieval", "train_records")
    return {k: summary.get(k) for k in keys if k in summary}


def failure_result(model: str, spec: Any, status: str, message: str) -> dict[str, Any]:
    """A schema-valid failed/skipped smoke result for a model × task that never reached the runner."""
    res = {"schema_version": R.SCHEMA_VERSION, "kind": "measured", "status": status,
           "task": {"id": spec.id, "family": spec.family.value, "main_metric": spec.main_metric,
                    "metrics": list(spec.metrics), "variant": spec.variant, "higher_is_better": spec.higher_is_better},
           "model": {"name": model}, "profile": "smoke", "created": R.now_iso()}
    res["error" if status == "failed" else "reason"] = message
    return res


def select_quickstart_tasks(reg: Any, wanted: list[str] | None, all_tasks: bool) -> list[str]:
    if wanted:
        for t in wanted:
            reg.tasks.get(t)      # unknown ids fail early, with a suggestion
        return list(wanted)
    return [t for t in reg.tasks if all_tasks or not is_derived(t, reg.tasks.get(t).spec.variant)]


def run_pretraining(config: QuickstartConfig, corpus: dict[str, Path], say: Callable[[str], None]) -> dict[str, Any]:
    from protbench.protclip.train import PretrainConfig, pretrain

    out = Path(config.out) / "protclip-tiny"
    cfg = PretrainConfig(
        train_data=str(corpus["train"]), valid_data=str(corpus["valid"]), output_dir=str(out), model="tiny",
        batch_size=config.batch_size, lr=1e-3, warmup_fraction=0.01, max_steps=config.pretrain_steps or 5000,
        time_budget_s=None if config.pretrain_steps else config.pretrain_seconds, eval_every=10 ** 6, save_every=10 ** 6, keep_checkpoints=1,
        save_best=False, retrieval_data=str(corpus["valid"]), max_retrieval=config.corpus_valid, progress=False,
        resume=None, seed=0,
    )
    budget = f"{config.pretrain_steps} steps" if config.pretrain_steps else f"{config.pretrain_seconds:g} s"
    say(f"pretraining a tiny ProtCLIP for {budget} on {corpus['train']} ...")
    return pretrain(cfg)


def stable_weights(checkpoint: str | None, dest: Path) -> Path | None:
    """Copy the final checkpoint to a fixed folder, so the model is named the same on every run."""
    import shutil

    if not checkpoint:
        return None
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(checkpoint, dest)
    return dest


def run_quickstart(config: QuickstartConfig) -> QuickstartSummary:
    """Run every step; see the module docstring. Returns what happened (also written to quickstart.json)."""
    from protbench.fetch import Fetcher
    from protbench.registry import load_registries
    from protbench.runner import RunConfig, Runner

    from protbench.leaderboard import render
    from protbench.leaderboard.report import build_report

    from .corpus import write_corpus

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    say = (lambda msg: print(msg, file=sys.stderr, flush=True)) if config.echo else (lambda msg: None)
    t_start, c_start = time.perf_counter(), time.process_time()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    results_dir = out / "results"
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}

    reg = load_registries()
    tasks = select_quickstart_tasks(reg, config.tasks, config.all_tasks)
    models = list(config.models or DEFAULT_MODELS)
    if config.skip_pretrain and config.models is None:
        models = [m for m in models if m != PROTCLIP_MODEL]
    say(f"quickstart: {len(models)} models × {len(tasks)} tasks on the smoke profile (synthetic data) -> {out}")

    t, c = time.perf_counter(), time.process_time()
    corpus = write_corpus(out / "corpus", config.corpus_train, config.corpus_valid)
    timings["corpus"] = time.perf_counter() - t
    cpu["corpus"] = time.process_time() - c

    pretrain_summary, pretrain_error, weights = None, "", None
    if PROTCLIP_MODEL in models and not config.skip_pretrain:
        t, c = time.perf_counter(), time.process_time()
        try:
            pretrain_summary = run_pretraining(config, corpus, say)
            weights = stable_weights(pretrain_summary.get("checkpoint"), out / "weights" / WEIGHTS_NAME)
            r = pretrain_summary.get("retrieval", {})
            init, final = (r.get("init") or {}).get("mrr"), (r.get("final") or {}).get("mrr")
            first, last = pretrain_summary.get("mean_first", {}), pretrain_summary.get("mean_last", {})
            say(f"pretraining: {pretrain_summary.get('steps')} steps, loss {first.get('loss', float('nan')):.3f} -> "
                f"{last.get('loss', float('nan')):.3f}" + (f"; zero-shot protein->text MRR on held-out records "
                                                          f"{init:.3f} -> {final:.3f}" if init is not None and
                                                          final is not None else ""))
        except Exception as exc:  # the table will say so; baselines still run
            pretrain_error = f"pretraining failed: {type(exc).__name__}: {exc}"
            say(pretrain_error)
            say(traceback.format_exc(limit=5))
        timings["pretrain"] = time.perf_counter() - t
        cpu["pretrain"] = time.process_time() - c

    fetcher = Fetcher(cache_dir=out / "cache", mirrors=[], offline=True, progress=False)
    statuses: dict[str, dict[str, str]] = {}
    for model in models:
        t_model, c_model = time.perf_counter(), time.process_time()
        statuses[model] = {}

        def record_all(status: str, message: str) -> None:
            for tid in tasks:
                spec = reg.tasks.get(tid).spec
                ResultStore(results_dir, model, "smoke").write_result(tid, failure_result(model, spec, status, message))
                statuses[model][tid] = status
            say(f"[{model}] {status} on every task: {message}")

        if model not in reg.models:
            record_all("skipped", f"model {model!r} is not registered in this installation "
                                  f"(see `protbench list models`)")
            continue
        if model == PROTCLIP_MODEL and pretrain_error:
            record_all("failed", pretrain_error)
            continue
        options = {"weights": str(weights)} if model == PROTCLIP_MODEL and weights else {}
        runner = Runner(RunConfig(model=model, tasks=tasks, model_options=options, seeds=list(config.seeds),
                                  output_dir=results_dir, overwrite="always", profile="smoke", quick=True,
                                  fetcher=fetcher), reg)
        try:
            name = runner.model.meta.name
        except Exception as exc:
            record_all("failed", f"model could not be built: {type(exc).__name__}: {exc}")
            continue
        if name != model:
            say(f"[{model}] results are recorded under the model's own name {name!r}")
        for tid in tasks:
            t, c = time.perf_counter(), time.process_time()
            try:
                o = runner.run_task(tid)
                status, msg, main = o.status, o.message, o.main
            except Exception as exc:      # the runner records task errors itself; this is a last resort
                status, msg, main = "failed", f"{type(exc).__name__}: {exc}", None
                spec = reg.tasks.get(tid).spec
                runner.store.write_result(tid, failure_result(name, spec, "failed", msg))
            statuses[model][tid] = status
            score = f" {reg.tasks.get(tid).spec.main_metric}={main:.3f}" if main is not None else ""
            say(f"[{model}] {tid}: {status}{score} ({time.perf_counter() - t:.1f} s)"
                + (f" - {render.shorten(msg, 160)}" if msg else ""))
        timings[f"evaluate {model}"] = time.perf_counter() - t_model
        cpu[f"evaluate {model}"] = time.process_time() - c_model

    t, c = time.perf_counter(), time.process_time()
    reference = config.reference if config.reference in models else None
    report = build_report(results_dir, out_dir=out / "leaderboard", registry=reg, reference=reference,
                          n_boot=config.n_boot, profiles=["smoke"], tasks=tasks, budget_s=1.0,
                          title="protbench quickstart (smoke profile: synthetic data)")
    timings["leaderboard"] = time.perf_counter() - t
    cpu["leaderboard"] = time.process_time() - c
    timings["total"] = time.perf_counter() - t_start
    cpu["total"] = time.process_time() - c_start
    if config.echo:
        tables = report.tables.get("smoke", [])
        for table in tables:
            if table.key.startswith(("families-", "tasks-")):
                print(render.text(table))
    ok = not pretrain_error and all(s == "ok" for per in statuses.values() for s in per.values())
    summary = QuickstartSummary(ok=ok, out=out, tasks=tasks, models=models, statuses=statuses, timings_s=timings,
                                cpu_s=cpu,
                                pretrain=pretrain_summary, pretrain_error=pretrain_error, files=dict(report.files))
    summary.files["summary"] = out / "quickstart.json"
    (out / "quickstart.json").write_text(json.dumps(summary.to_dict(), indent=1, default=str) + "\n")
    n_bad = sum(s != "ok" for per in statuses.values() for s in per.values())
    say(f"\nquickstart finished in {timings['total']:.0f} s ({cpu['total']:.0f} s CPU); {n_bad} model × task cells "
        f"not ok"
        + (f" ({pretrain_error})" if pretrain_error else ""))
    if "html" in report.files:
        say(f"HTML report: {report.files['html'].resolve()}")
    return summary


def cmd_quickstart(args: argparse.Namespace) -> int:
    config = QuickstartConfig(out=args.out, pretrain_seconds=args.pretrain_seconds,
                              pretrain_steps=args.pretrain_steps, models=args.models,
                              tasks=args.tasks, seeds=args.seeds, skip_pretrain=args.skip_pretrain,
                              all_tasks=args.all_tasks)
    summary = run_quickstart(config)
    return 0 if summary.ok else 1


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quickstart", help="offline demo: pretrain a tiny ProtCLIP, evaluate models on smoke "
                                          "data of every task, print the leaderboard, write the HTML report")
    p.add_argument("--out", type=Path, default=Path("protbench-quickstart"), help="output folder")
    p.add_argument("--pretrain-seconds", type=float, default=60.0, help="time budget of the tiny pretraining")
    p.add_argument("--pretrain-steps", type=int,
                   help="a fixed number of pretraining steps instead of the time budget (reproducible runs)")
    p.add_argument("--models", nargs="+", help="models to evaluate (default: protclip-tiny and baselines)")
    p.add_argument("--tasks", nargs="+", help="task ids (default: every registered benchmark; variants with "
                                              "--all-tasks)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0], help="evaluation seeds (default: 0)")
    p.add_argument("--skip-pretrain", action="store_true",
                   help="no pretraining: baselines only (protclip-tiny, if named in --models, stays random init)")
    p.add_argument("--all-tasks", action="store_true",
                   help="also task variants (other PPI splits, other ground truth), not only the benchmarks")
    p.set_defaults(func=cmd_quickstart)
