"""The run loop for one model: for each task, resolve the protocol, then the stages of :mod:`.stages`.

A failing task is recorded as failed with its error and the run goes on; a task needing a capability
the model lacks (or a protocol the task does not allow) is recorded as skipped with the reason. An
existing ok result is kept only when its identity equals the request's; otherwise the task is
recomputed and the outcome says which field differed.
"""
from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from . import protocols as P
from . import results as R
from . import stages as S
from .cache import EmbeddingCache
from .embed import CachedEmbeddings, EmbedConfig
from .fetch import Fetcher
from .interfaces import model_capabilities
from .protocols.params import parse_items, resolve
from .registry import Registries, RegistryError
from .spec import Family
from .store import ResultStore

log = logging.getLogger("protbench")

OVERWRITE = ("never", "always", "only-missing")


@dataclass
class RunConfig:
    """Everything ``protbench run`` needs; see ``protbench run --help`` for each field.

    ``params`` are protocol overrides, ``{"probe.heads": "mlp"}`` or ``{"probe": {"heads": "mlp"}}``.
    """

    model: str
    tasks: list[str] = field(default_factory=list)
    model_options: dict[str, Any] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=lambda: [0])
    output_dir: Path = Path("results")
    overwrite: str = "only-missing"
    limit: int | None = None
    profile: str = "real"
    protocol: str | None = None
    preset: str | None = None
    fetcher: Fetcher = field(default_factory=Fetcher)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    quick: bool = False
    device: str = "cpu"
    params: dict[str, Any] = field(default_factory=dict)
    save_predictions: bool = True

    def __post_init__(self) -> None:
        if self.overwrite not in OVERWRITE:
            raise ValueError(f"--overwrite must be one of {OVERWRITE}, not {self.overwrite!r}")
        if self.profile not in S.PROFILES:
            raise ValueError(f"--profile must be one of {S.PROFILES}, not {self.profile!r}")
        self.output_dir = Path(self.output_dir)
        nested = all(isinstance(v, dict) for v in self.params.values())
        self.params = {k: dict(v) for k, v in self.params.items()} if nested and self.params \
            else parse_items(self.params)
        for proto, overrides in self.params.items():   # unknown protocols/fields fail before any work
            resolve(proto, overrides, self.preset, self.quick)


@dataclass
class TaskOutcome:
    task: str
    status: str          # ok | failed | skipped | kept (existing result of the same identity)
    path: Path | None = None
    message: str = ""
    main: float | None = None


def select_tasks(reg: Registries, ids: Iterable[str] = (), families: Iterable[str] = (),
                 all_tasks: bool = False) -> list[str]:
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


class Runner:
    """Runs tasks for one model and writes one result JSON per task into the result store."""

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

    @property
    def store(self) -> ResultStore:
        return ResultStore(self.config.output_dir, self.model.meta.name, self.config.profile)

    def run(self, task_ids: list[str], on_outcome: Callable[[TaskOutcome], None] | None = None) -> list[TaskOutcome]:
        outcomes = []
        for tid in task_ids:
            outcome = self.run_task(tid)
            outcomes.append(outcome)
            log.info("%s: %s %s", tid, outcome.status, outcome.message)
            if on_outcome:
                on_outcome(outcome)
        return outcomes

    # -- one task ----------------------------------------------------------------------------------
    def protocol_of(self, spec: Any) -> str:
        return self.config.protocol or self.entry.protocol or spec.protocol

    def identity(self, task: Any, protocol: str, config: Any) -> dict[str, Any]:
        """The request identity (the dataset fingerprint is added when the data is loaded)."""
        meta, cfg = self.model.meta, self.config
        return {"model": {"name": meta.name, "fingerprint": meta.fingerprint},
                "task": task.spec.id, "profile": cfg.profile, "limit": cfg.limit,
                "protocol": {"name": protocol, "preset": cfg.preset, "config": P.params.config_dict(config)},
                "embedding": {"layer": meta.layer, "pooling": meta.pooling, "max_length": meta.max_length,
                              "policy": cfg.embed.policy} if P.get(protocol).needs_embeddings else None}

    def _base(self, task: Any) -> dict[str, Any]:
        spec = task.spec
        return {
            "schema_version": R.SCHEMA_VERSION, "kind": "measured",
            "task": {"id": spec.id, "family": spec.family.value, "main_metric": spec.main_metric,
                     "metrics": list(spec.metrics), "variant": spec.variant,
                     "higher_is_better": spec.higher_is_better, "parameters": dict(spec.parameters)},
            "model": self.model.meta.to_dict(), "profile": self.config.profile,
            "created": R.now_iso(), "environment": R.environment(),
        }

    def run_task(self, tid: str) -> TaskOutcome:
        cfg = self.config
        task = self.reg.tasks.get(tid)
        spec = task.spec
        store = self.store
        store.check_writable()
        path = store.result_path(tid)
        protocol_name = self.protocol_of(spec)
        base = self._base(task)
        if protocol_name not in spec.protocols:
            reason = f"task {tid} has no protocol {protocol_name!r} (it supports {', '.join(spec.protocols)})"
            store.write_result(tid, {**base, "status": "skipped", "reason": reason})
            return TaskOutcome(tid, "skipped", path, reason)
        protocol = P.get(protocol_name)
        config = resolve(protocol_name, cfg.params.get(protocol_name), cfg.preset, cfg.quick)
        identity = self.identity(task, protocol_name, config)
        base["protocol"] = {"name": protocol_name, "preset": cfg.preset, "config": P.params.config_dict(config),
                            **({"params": cfg.params[protocol_name]} if cfg.params.get(protocol_name) else {})}
        base["identity"] = {**identity, "seeds": list(cfg.seeds), "request_hash": S.identity_hash(identity)}
        note = ""
        if path.exists() and cfg.overwrite != "always":
            try:
                old = store.read_result(tid)
                if cfg.overwrite == "never":
                    return TaskOutcome(tid, "kept", path, "result exists (--overwrite never)", _main(old, spec))
                old_id = old.get("identity") or {}
                diff = S.identity_difference({k: v for k, v in old_id.items()
                                              if k not in ("request_hash", "seeds", "dataset", "hash")}
                                             or None, identity)
                if not diff and old_id.get("seeds") != list(cfg.seeds):
                    diff = f"seeds differ ({old_id.get('seeds')} stored, {list(cfg.seeds)} now)"
                if old["status"] == "ok" and not diff:
                    store.clear_partials(tid)   # left by a kill between writing the result and clearing them
                    return TaskOutcome(tid, "kept", path, "result of the same identity exists (--overwrite always "
                                                          "to rerun)", _main(old, spec))
                if old["status"] == "ok":
                    note = f"recomputed: {diff}"
            except R.ResultError:
                if cfg.overwrite == "never":
                    return TaskOutcome(tid, "kept", path, "existing result is invalid; left alone (--overwrite never)")
        missing = sorted(c.value for c in (set(protocol.requires) | set(spec.requires)) - set(self._caps()))
        if missing:
            reason = f"model {self.model.meta.name!r} lacks capabilities {missing} needed by {tid} ({protocol_name})"
            store.write_result(tid, {**base, "status": "skipped", "reason": reason})
            return TaskOutcome(tid, "skipped", path, reason)
        ev = S.Evaluation(task=task, protocol=protocol, config=config, preset=cfg.preset,
                          overrides=cfg.params.get(protocol_name, {}), store=store, identity=identity,
                          seeds=list(cfg.seeds), device=cfg.device, recompute=cfg.overwrite == "always",
                          save_predictions=cfg.save_predictions)
        timings: dict[str, float] = {}
        try:
            result = self._stages(ev, base, timings)
        except KeyboardInterrupt:
            raise
        except (Exception, SystemExit) as exc:  # recorded, the run goes on (a plugin's sys.exit included)
            err = f"{type(exc).__name__}: {exc}" if not isinstance(exc, SystemExit) else \
                f"SystemExit: plugin code called sys.exit({exc.code!r}) inside the model or protocol"
            store.write_result(tid, {**base, "status": "failed", "error": err, "timings_s": timings,
                                     "traceback": traceback.format_exc(limit=20)})
            return TaskOutcome(tid, "failed", path, err)
        store.write_result(tid, result)
        store.clear_partials(tid)   # seeds now live in the result
        return TaskOutcome(tid, "ok", path, note, _main(result, spec))

    def _caps(self):
        return model_capabilities(self.model)

    def _stages(self, ev: S.Evaluation, base: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
        cfg, task = self.config, ev.task
        t = time.perf_counter()
        files, sources = S.fetch(task, cfg.profile, cfg.fetcher)
        timings["fetch"] = time.perf_counter() - t

        t = time.perf_counter()
        data = S.load(task, files, cfg.profile, cfg.limit)
        timings["load"] = time.perf_counter() - t

        emb = self.embeddings if ev.protocol.needs_embeddings else None
        t = time.perf_counter()
        before = emb.stats.forward_batches if emb else 0
        if emb is not None:
            emb.warm(data.protein_sequences())
        timings["embed"] = time.perf_counter() - t

        t = time.perf_counter()
        seeds, predictions = S.evaluate(ev, data, self.model, emb)
        timings["evaluate"] = time.perf_counter() - t

        fingerprint = data.fingerprint()
        base["identity"] = {**base["identity"], "dataset": fingerprint}
        base["identity"]["hash"] = S.identity_hash({k: v for k, v in base["identity"].items()
                                                    if k not in ("request_hash", "hash")})
        result = {
            **base, "status": "ok", "seeds": seeds, "summary": S.summarize(seeds), "timings_s": timings,
            "dataset": {"fingerprint": fingerprint, "split_sizes": data.split_sizes(),
                        "sources": S.describe_sources(files, sources), "stats": data.stats, "limit": cfg.limit},
        }
        if emb is not None:
            result["embedding"] = {"token_budget": cfg.embed.token_budget, "policy": emb.policy("protein"),
                                   "forward_batches": emb.stats.forward_batches - before,
                                   "truncated": emb.stats.truncated, "chunked": emb.stats.chunked}
        if predictions:
            result["predictions_file"] = ev.store.write_predictions(task.spec.id, predictions).name
        return result


def _main(result: dict[str, Any] | None, spec: Any) -> float | None:
    if not result:
        return None
    return result.get("summary", {}).get("test", {}).get(spec.main_metric, {}).get("mean")
