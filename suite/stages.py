"""The one pipeline for one task: fetch → load → embed → evaluate → record.

Used by ``protbench run``, ``protbench embed``, the quickstart and the Python API; nothing else
re-implements it. Each stage leaves its output on disk (verified files in the cache, vectors in the
embedding cache, one partial per finished seed in the result store, then the result JSON), so a kill
loses at most the batch or seed in flight and a rerun resumes.

A result is reused only under the same **identity** — everything that can change its numbers: model
name and fingerprint, task, profile, ``--limit``, protocol with its fully resolved config and preset,
embedding settings (layer, pooling, max length, long-sequence policy), and the dataset fingerprint.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from . import protocols as P
from . import results as R
from .fetch import Fetcher, Files, file_hash
from .protocols.context import Artefacts, ProtocolContext
from .protocols.params import config_dict
from .spec import TaskData, TaskSpec, subset_extra
from .store import ResultStore

PROFILES = ("real", "smoke")


class SplitSizeError(ValueError):
    """Parsed split sizes differ from the task's declared sizes (upstream data changed?)."""


# -- fetch ----------------------------------------------------------------------------------------
def smoke_files(task: Any, cache_dir: Path) -> dict[str, Path]:
    """Generate (once) and return a task's smoke files under ``<cache>/smoke/<task>/``."""
    folder = Path(cache_dir) / "smoke" / task.spec.id
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            names = json.loads(manifest.read_text())
            paths = {k: folder / v for k, v in names.items()}
            if all(p.exists() for p in paths.values()):
                return paths
        except (ValueError, AttributeError):
            pass   # a truncated manifest: regenerate the folder
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


def fetch(task: Any, profile: str, fetcher: Fetcher) -> tuple[Files, tuple]:
    """The task's files (smoke files generated, or upstream files verified in the cache) and the sources read."""
    if profile == "smoke":
        return Files(smoke_files(task, fetcher.cache_dir), fetcher.cache_dir), ()
    select = getattr(task, "select_sources", None)   # a task may accept a second input format
    sources = tuple(select(fetcher) if select else task.spec.sources)
    return Files(fetcher.fetch_all(sources), fetcher.cache_dir), sources


def describe_sources(files: dict[str, Path], sources: Iterable[Any]) -> list[dict[str, Any]]:
    """What was read: declared checksums (verified by the fetcher) or, for smoke files and sources whose
    hash could not be declared, the sha256 of the bytes actually read."""
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


# -- load -----------------------------------------------------------------------------------------
def limit_splits(data: TaskData, limit: int, seed: int = 0) -> TaskData:
    """At most ``limit`` records per split (a seeded random subset, original order kept)."""
    rng = np.random.default_rng(seed)
    splits = {}
    extra = data.extra
    for name, recs in data.splits.items():
        if len(recs) > limit:
            keep = np.sort(rng.choice(len(recs), size=limit, replace=False))
            extra = subset_extra(extra, name, keep, len(recs))   # ground truth indexed by record (similarity)
            recs = [recs[i] for i in keep]
        splits[name] = recs
    return type(data)(splits=splits, extra=extra, stats={**data.stats, "limit": limit})


def check_split_sizes(spec: TaskSpec, data: TaskData) -> None:
    got = data.split_sizes()
    bad = {s: (n, got.get(s)) for s, n in spec.splits.items() if n is not None and got.get(s) != n}
    if bad:
        detail = ", ".join(f"{s}: expected {e}, parsed {g}" for s, (e, g) in bad.items())
        raise SplitSizeError(
            f"task {spec.id!r}: split sizes differ from the specification ({detail}). The upstream files may "
            f"have changed; check the sources' checksums and the drop counts {data.stats.get('dropped', {})}."
        )


def load(task: Any, files: Files, profile: str, limit: int | None) -> TaskData:
    """Parse the files; check the declared split sizes on full real data; apply ``--limit``."""
    data = task.load(files)
    if profile == "real" and limit is None:
        check_split_sizes(task.spec, data)
    return limit_splits(data, limit) if limit is not None else data


# -- identity -------------------------------------------------------------------------------------
def identity_hash(identity: dict[str, Any]) -> str:
    text = json.dumps(identity, sort_keys=True, default=R.json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def identity_difference(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """The first top-level field where two identities differ, for messages ('' when equal)."""
    if not old:
        return "the stored result records no identity"
    for key in sorted(set(old) | set(new)):
        if key != "hash" and old.get(key) != new.get(key):
            return f"{key} differs ({_short(old.get(key))} stored, {_short(new.get(key))} now)"
    return ""


def _short(x: Any) -> str:
    text = json.dumps(x, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


# -- evaluate + record ----------------------------------------------------------------------------
@dataclass
class Evaluation:
    """One task's evaluation request: the task, the protocol with its resolved config, where it goes."""

    task: Any
    protocol: P.ProtocolSpec
    config: Any
    preset: str | None
    overrides: dict[str, Any]
    store: ResultStore
    identity: dict[str, Any]          # request identity (dataset fingerprint added after loading)
    seeds: list[int]
    device: str = "cpu"
    recompute: bool = False           # ignore finished seeds (--overwrite always)
    save_predictions: bool = True

    def protocol_record(self) -> dict[str, Any]:
        rec = {"name": self.protocol.name, "preset": self.preset, "config": config_dict(self.config)}
        if self.overrides:
            rec["params"] = dict(self.overrides)
        return rec


def evaluate(ev: Evaluation, data: TaskData, model: Any, emb: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run every seed (reusing finished seeds of the same identity); return ``(seeds, predictions)``."""
    tid = ev.task.spec.id
    ident = identity_hash({**ev.identity, "dataset": data.fingerprint()})
    folder, rel = ev.store.artefact_dir(tid)
    seeds: dict[str, Any] = {}
    predictions: dict[str, dict[str, Any]] = {}
    for seed in ev.seeds:
        saved = None if ev.recompute else ev.store.load_seed(tid, seed, ident)
        if saved is not None:
            seeds[str(seed)], preds = saved
            if preds:
                predictions[str(seed)] = preds
            continue
        ctx = ProtocolContext(task=ev.task, data=data, seed=seed, config=ev.config, model=model,
                              emb=emb if ev.protocol.needs_embeddings else None, device=ev.device,
                              artefacts=Artefacts(folder, rel))
        res = ev.protocol.run(ctx)
        entry = {"scores": res.scores, "ci": {s: {m: list(v) for m, v in d.items()} for s, d in res.ci.items()},
                 "info": res.info}
        entry = json.loads(json.dumps(R.clean(entry), default=R.json_default))
        seeds[str(seed)] = entry
        preds = {f"{split}.{k}": v for split, arrs in (res.predictions or {}).items() for k, v in arrs.items()} \
            if ev.save_predictions else {}
        if preds:
            predictions[str(seed)] = preds
        ev.store.save_seed(tid, seed, ident, entry, preds or None)
    return seeds, predictions


def summarize(seeds: dict[str, Any]) -> dict[str, Any]:
    """Mean/std/n per split and metric, with the first seed's bootstrap interval where one was computed."""
    summary = R.summarize(seeds)
    for split, metrics in summary.items():
        for metric, stats in metrics.items():
            ci = next((s.get("ci", {}).get(split, {}).get(metric) for s in seeds.values()
                       if s.get("ci", {}).get(split, {}).get(metric)), None)
            if ci:
                stats["ci"] = ci
    return summary


def evaluate_seed(task: Any, data: TaskData, emb: Any, seed: int = 0, protocol: str | None = None, *,
                  quick: bool = False, preset: str | None = None, params: dict[str, Any] | None = None,
                  model: Any = None, artefacts: Path | None = None, device: str = "cpu") -> Any:
    """One seed of ``task`` on already loaded ``data`` with a protocol (default: the task's), outside any
    result store — for notebooks and tests. ``params`` are the protocol's fields (``{"hidden": 64}``)."""
    from .protocols.params import resolve

    name = protocol or task.spec.protocol
    if name not in task.spec.protocols:
        raise ValueError(f"task {task.spec.id!r} has no protocol {name!r}; choose one of {task.spec.protocols}")
    spec = P.get(name)
    config = resolve(name, params, preset, quick)
    art = Artefacts(Path(artefacts), str(artefacts)) if artefacts is not None else None
    ctx = ProtocolContext(task=task, data=data, seed=seed, config=config,
                          model=model if model is not None else getattr(emb, "model", None),
                          emb=emb if spec.needs_embeddings else None, device=device, artefacts=art)
    return spec.run(ctx)
