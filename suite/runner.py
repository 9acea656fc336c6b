"""The run loop: resolve → fetch → load → embed → evaluate → record, one task at a time.

Every stage leaves its output on disk (verified files in the cache, vectors
in the embedding cache, one partial result per finished seed, then the
result JSON), so a crash or Ctrl-C loses at most the batch in flight and a
rerun with ``overwrite="only-missing"`` resumes. A failing task is recorded
as failed with its error and the run goes on; a task needing a capability the
model lacks is recorded as skipped with the reason.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from . import results as R
from .cache import EmbeddingCache
from .embed import CachedEmbeddings, EmbedConfig
from .fetch import Fetcher, Files
from .interfaces import EvalOptions, missing_capabilities
from .registry import Registries, RegistryError
from .spec import Family, TaskData

log = logging.getLogger("protbench")

OVERWRITE = ("never", "always", "only-missing")
EMBEDDING_FREE_PROTOCOLS = ("finetune", "alignment-knn")   # protocols that skip the embedding stage
PROFILES = ("real", "smoke")


class SplitSizeError(ValueError):
    """Parsed split sizes differ from the task's declared sizes (upstream data changed?)."""


@dataclass
class RunConfig:
    """Everything ``protbench run`` needs; see ``protbench run --help`` for each field."""

    model: str
    tasks: list[str]
    model_options: dict[str, Any] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=lambda: [0])
    output_dir: Path = Path("results")
    overwrite: str = "only-missing"
    limit: int | None = None
    profile: str = "real"
    protocol: str | None = None
    fetcher: Fetcher = field(default_factory=Fetcher)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    quick: bool = False
    device: str = "cpu"
    params: dict[str, Any] = field(default_factory=dict)
    save_predictions: bool = True

    def __post_init__(self) -> None:
        if self.overwrite not in OVERWRITE:
            raise ValueError(f"--overwrite must be one of {OVERWRITE}, not {self.overwrite!r}")
        if self.profile not in PROFILES:
            raise ValueError(f"--profile must be one of {PROFILES}, not {self.profile!r}")
        self.output_dir = Path(self.output_dir)


@dataclass
class TaskOutcome:
    task: str
    status: str          # ok | failed | skipped | kept (existing result left alone)
    path: Path | None = None
    message: str = ""
    main: float | None = None


def select_tasks(reg: Registries, ids: Iterable[str] = (), families: Iterable[str] = (), all_tasks: bool = False) -> list[str]:
    """Task ids from explicit ids, family names, or everything (registry order)."""
    chosen: list[str] = []
    if all_tasks:
        chosen = list(reg.tasks)
    for fam in families:
        try:
            f = Family(fam)
        except ValueError:
            raise RegistryError(f"unknown family {fam!r}; choose from {[x.value for x in Family]}") from None
        chosen += [t for t in reg.tasks if reg.tasks.get(t).spec.family == f]
    for tid in ids:
        reg.tasks.get(tid)  # raises with a suggestion
        chosen.append(tid)
    return list(dict.fromkeys(chosen))


def smoke_files(task: Any, cache_dir: Path) -> dict[str, Path]:
    """Generate (once) and return a task's smoke files under ``<cache>/smoke/<task>/``."""
    folder = Path(cache_dir) / "smoke" / task.spec.id
    manifest = folder / "manifest.json"
    if manifest.is_file():
        names = json.loads(manifest.read_text())
        paths = {k: folder / v for k, v in names.items()}
        if all(p.exists() for p in paths.values()):
            return paths
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{task.spec.id}."))
    try:
        written = task.write_smoke(tmp)
        rel = {k: str(Path(v).relative_to(tmp)) for k, v in written.items()}
        (tmp / "manifest.json").write_text(json.dumps(rel, indent=1))
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return {k: folder / v for k, v in rel.items()}


def limit_splits(data: TaskData, limit: int, seed: int = 0) -> TaskData:
    """At most ``limit`` records per split (a seeded random subset, original order kept)."""
    rng = np.random.default_rng(seed)
    splits = {}
    for name, recs in data.splits.items():
        if len(recs) > limit:
            keep = np.sort(rng.choice(len(recs), size=limit, replace=False))
            recs = [recs[i] for i in keep]
        splits[name] = recs
    return TaskData(splits=splits, extra=data.extra, stats={**data.stats, "limit": limit})


def check_split_sizes(spec: Any, data: TaskData) -> None:
    got = data.split_sizes()
    bad = {s: (n, got.get(s)) for s, n in spec.splits.items() if n is not None and got.get(s) != n}
    if bad:
        detail = ", ".join(f"{s}: expected {e}, parsed {g}" for s, (e, g) in bad.items())
        raise SplitSizeError(
            f"task {spec.id!r}: split sizes differ from the specification ({detail}). The upstream files may "
            f"have changed; check the sources' checksums and the drop counts {data.stats.get('dropped', {})}."
        )


def describe_sources(files: dict[str, Path], sources: Iterable[Any]) -> list[dict[str, Any]]:
    """What was read: declared checksums (verified by the fetcher) or, for smoke files and sources whose
    hash could not be declared, the sha256 of the bytes actually read."""
    from .fetch import file_hash

    declared = {s.filename: s for s in sources}
    out = []
    for name in sorted(files):
        s = declared.get(name)
        if s is not None and (s.md5 or s.sha256):
            out.append({"filename": name, "md5": s.md5, "sha256": s.sha256, "verified": True})
        else:
            path = Path(files[name])
            digest = file_hash(path, "sha256") if path.is_file() else None
            out.append({"filename": name, "sha256_read": digest, "verified": False,
                        "note": getattr(s, "unverified", "") if s is not None else "generated smoke data"})
    return out


class Runner:
    """Runs tasks for one model and writes one result JSON per task."""

    def __init__(self, config: RunConfig, registries: Registries):
        self.config = config
        self.reg = registries
        self.entry = registries.models.get(config.model)
        self._model: Any = None
        self._emb: CachedEmbeddings | None = None

    @property
    def model(self) -> Any:
        if self._model is None:
            opts = dict(self.config.model_options)
            opts.setdefault("device", self.config.device)
            self._model = self.entry.create(**opts)
        return self._model

    @property
    def embeddings(self) -> CachedEmbeddings:
        if self._emb is None:
            cache = EmbeddingCache(Path(self.config.fetcher.cache_dir) / "embeddings")
            self._emb = CachedEmbeddings(self.model, cache, self.config.embed)
        return self._emb

    def model_dir(self) -> Path:
        """``<output>/<model>`` for real data, ``<output>/<model>/smoke`` for the smoke profile."""
        d = self.config.output_dir / self.model.meta.name.replace("/", "_")
        return d / "smoke" if self.config.profile == "smoke" else d

    # ------------------------------------------------------------------------------------------
    def run(self, task_ids: list[str]) -> list[TaskOutcome]:
        outcomes = []
        for tid in task_ids:
            outcome = self.run_task(tid)
            outcomes.append(outcome)
            log.info("%s: %s %s", tid, outcome.status, outcome.message)
        return outcomes

    def _base(self, task: Any) -> dict[str, Any]:
        spec = task.spec
        meta = self.model.meta
        return {
            "schema_version": R.SCHEMA_VERSION, "kind": "measured",
            "task": {"id": spec.id, "family": spec.family.value, "main_metric": spec.main_metric,
                     "metrics": list(spec.metrics), "variant": spec.variant,
                     "higher_is_better": spec.higher_is_better},
            "model": meta.to_dict(),
            "profile": self.config.profile,
            "created": R.now_iso(),
            "environment": R.environment(),
        }

    def run_task(self, tid: str) -> TaskOutcome:
        cfg = self.config
        task = self.reg.tasks.get(tid)
        spec = task.spec
        path = self.model_dir() / f"{tid}.json"
        if path.exists() and cfg.overwrite != "always":
            try:
                old = R.read_result(path)
                if cfg.overwrite == "never" or old["status"] == "ok":
                    return TaskOutcome(tid, "kept", path, "result exists (use --overwrite always to rerun)")
            except R.ResultError:
                if cfg.overwrite == "never":
                    return TaskOutcome(tid, "kept", path, "existing result is invalid; left alone (--overwrite never)")
        preferred = self.model.meta.parameters.get("protocol")   # e.g. a CNN trained from scratch: finetune
        protocol = cfg.protocol or preferred or spec.protocol
        requirements = getattr(task, "requirements", None)
        missing = (sorted(c.value for c in set(requirements(protocol)) - set(self._caps())) if requirements
                   else missing_capabilities(spec, self.model, protocol))
        base = self._base(task)
        base["protocol"] = {"name": protocol, **dict(spec.parameters)}
        if cfg.params:
            base["protocol"]["params"] = dict(cfg.params)   # --param overrides, recorded with the result
        if protocol not in spec.protocols:
            reason = f"task {tid} has no protocol {protocol!r} (it supports {', '.join(spec.protocols)})"
            R.write_result(path, {**base, "status": "skipped", "reason": reason})
            return TaskOutcome(tid, "skipped", path, reason)
        if missing:
            reason = f"model {self.model.meta.name!r} lacks capabilities {missing} needed by {tid} ({protocol})"
            R.write_result(path, {**base, "status": "skipped", "reason": reason})
            return TaskOutcome(tid, "skipped", path, reason)
        timings: dict[str, float] = {}
        try:
            result = self._evaluate(task, protocol, base, timings)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # recorded, the run goes on
            err = f"{type(exc).__name__}: {exc}"
            R.write_result(path, {**base, "status": "failed", "error": err, "timings_s": timings,
                                  "traceback": traceback.format_exc(limit=20)})
            return TaskOutcome(tid, "failed", path, err)
        R.write_result(path, result)
        shutil.rmtree(self.model_dir() / ".partial" / tid, ignore_errors=True)  # seeds now live in the result
        main = result["summary"].get("test", {}).get(spec.main_metric, {}).get("mean")
        return TaskOutcome(tid, "ok", path, "", main)

    def _caps(self):
        from .interfaces import model_capabilities

        return model_capabilities(self.model)

    def _evaluate(self, task: Any, protocol: str, base: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
        cfg = self.config
        spec = task.spec
        t = time.perf_counter()
        sources: tuple = ()
        if cfg.profile == "smoke":
            files = Files(smoke_files(task, cfg.fetcher.cache_dir), cfg.fetcher.cache_dir)
        else:
            select = getattr(task, "select_sources", None)   # a task may accept a second input format
            sources = tuple(select(cfg.fetcher) if select else spec.sources)
            files = Files(cfg.fetcher.fetch_all(sources), cfg.fetcher.cache_dir)
        timings["fetch"] = time.perf_counter() - t

        t = time.perf_counter()
        data = task.load(files)
        if cfg.profile == "real" and cfg.limit is None:
            check_split_sizes(spec, data)
        if cfg.limit is not None:
            data = limit_splits(data, cfg.limit)
        timings["load"] = time.perf_counter() - t
        fingerprint = data.fingerprint()

        emb = self.embeddings
        t = time.perf_counter()
        before = emb.stats.forward_batches
        if protocol not in EMBEDDING_FREE_PROTOCOLS:   # these never read frozen embeddings
            emb.warm(data.protein_sequences())
        timings["embed"] = time.perf_counter() - t

        partial_dir = self.model_dir() / ".partial" / spec.id
        options = EvalOptions(protocol=protocol, device=cfg.device, quick=cfg.quick, params=dict(cfg.params),
                              workdir=partial_dir)
        seeds: dict[str, Any] = {}
        predictions: dict[str, dict[str, Any]] = {}
        t = time.perf_counter()
        for seed in cfg.seeds:
            seed_file = partial_dir / f"seed{seed}.json"
            if seed_file.is_file() and cfg.overwrite != "always":
                saved = json.loads(seed_file.read_text())
                if saved.get("dataset") == fingerprint and saved.get("model") == self.model.meta.fingerprint \
                        and saved.get("protocol") == protocol and saved.get("params", {}) == cfg.params:
                    seeds[str(seed)] = saved["result"]
                    continue
            res = task.evaluate(data, emb, seed, options)
            entry = {"scores": res.scores, "ci": {s: {m: list(v) for m, v in d.items()} for s, d in res.ci.items()},
                     "info": res.info}
            entry = json.loads(json.dumps(R._clean(entry), default=R._json_default))
            seeds[str(seed)] = entry
            if res.predictions and cfg.save_predictions:
                predictions[str(seed)] = {f"{split}.{k}": v for split, arrs in res.predictions.items()
                                          for k, v in arrs.items()}
            partial_dir.mkdir(parents=True, exist_ok=True)
            seed_file.write_text(json.dumps({"dataset": fingerprint, "model": self.model.meta.fingerprint,
                                             "protocol": protocol, "params": cfg.params, "result": entry}))
        timings["evaluate"] = time.perf_counter() - t
        summary = R.summarize(seeds)
        for split, metrics in summary.items():   # first seed's bootstrap CI of each metric, when present
            for metric, stats in metrics.items():
                ci = next((s.get("ci", {}).get(split, {}).get(metric) for s in seeds.values()
                           if s.get("ci", {}).get(split, {}).get(metric)), None)
                if ci:
                    stats["ci"] = ci
        result = {
            **base, "status": "ok", "seeds": seeds, "summary": summary, "timings_s": timings,
            "dataset": {"fingerprint": fingerprint, "split_sizes": data.split_sizes(),
                        "sources": describe_sources(files, sources), "stats": data.stats, "limit": cfg.limit},
            "embedding": {"token_budget": cfg.embed.token_budget, "policy": emb.policy("protein"),
                          "forward_batches": emb.stats.forward_batches - before,
                          "truncated": emb.stats.truncated, "chunked": emb.stats.chunked},
        }
        if predictions:
            pred_path = R.save_predictions(self.model_dir() / f"{spec.id}.predictions.npz", predictions)
            result["predictions_file"] = pred_path.name
        return result
