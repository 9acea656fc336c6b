"""The one pipeline for one task: fetch → load → embed → evaluate → record.

Used by ``protbench run``, ``protbench embed``, the quickstart and the Python API; nothing else
re-implements it. Each stage leaves its output on disk (verified files in the cache, vectors in the
embedding cache, one partial per finished seed in the result store, then the result JSON), so a kill
loses at most the batch or seed in flight and a rerun resumes.

A result is reused only under the same **identity** — everything that can change its numbers: model
name and fingerprint, weights provenance (sha256 of the weights read, or ``"random-init"``), task,
profile, ``--limit``, protocol with its fully resolved config and preset, embedding settings (layer,
pooling, max length, long-sequence policy), and the dataset fingerprint.
"""
from __future__ import annotations

import hashlib
import json
import os
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
from .progress import say
from .protocols.params import config_dict
from .overlap import split_overlap
from .spec import TaskData, TaskSpec, subset_extra
from .store import ResultStore, load_arrays

PROFILES = ("real", "smoke")


class SplitSizeError(ValueError):
    """Parsed split sizes differ from the task's declared sizes (upstream data changed?)."""


# -- fetch ----------------------------------------------------------------------------------------
def _smoke_manifest(folder: Path) -> dict[str, Path] | None:
    """The files a complete smoke folder lists, or None (absent, truncated or pointing at missing files)."""
    try:
        names = json.loads((folder / "manifest.json").read_text())
        paths = {str(k): folder / str(v) for k, v in names.items()}
    except (OSError, ValueError, AttributeError):
        return None
    return paths if paths and all(p.exists() for p in paths.values()) else None


def smoke_files(task: Any, cache_dir: Path) -> dict[str, Path]:
    """Generate (once) and return a task's smoke files under ``<cache>/smoke/<task>/``."""
    folder = Path(cache_dir) / "smoke" / task.spec.id
    paths = _smoke_manifest(folder)
    if paths is not None:
        return paths
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{task.spec.id}."))
    try:
        written = task.write_smoke(tmp)
        rel = {k: str(Path(v).relative_to(tmp)) for k, v in written.items()}
        (tmp / "manifest.json").write_text(json.dumps(rel, indent=1))
        if folder.exists() and _smoke_manifest(folder) is None:
            shutil.rmtree(folder, ignore_errors=True)        # incomplete (a killed run) or corrupt
        try:
            tmp.rename(folder)
        except OSError:                                      # another process (a shard) finished first:
            pass                                             # its files are the same; use them
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    paths = _smoke_manifest(folder)
    if paths is None:
        raise RuntimeError(f"{folder}: smoke files could not be written (remove the folder and retry)")
    return paths


def fetch(task: Any, profile: str, fetcher: Fetcher) -> tuple[Files, tuple]:
    """The task's files (smoke files generated, or upstream files verified in the cache) and the sources read."""
    if profile == "smoke":
        return Files(smoke_files(task, fetcher.cache_dir), fetcher.cache_dir), ()
    select = getattr(task, "select_sources", None)   # a task may accept a second input format
    sources = tuple(select(fetcher) if select else task.spec.sources)
    return Files(fetcher.fetch_all(sources), fetcher.cache_dir), sources


def availability(task: Any, fetcher: Fetcher) -> tuple[bool, list[str]]:
    """``(real data available locally, missing file names)``: cache or mirrors only, nothing downloaded."""
    select = getattr(task, "select_sources", None)
    sources = tuple(select(fetcher) if select else task.spec.sources)
    missing = [s.filename for s in sources if fetcher.locate(s) is None]
    return not missing, missing


def describe_sources(files: dict[str, Path], sources: Iterable[Any]) -> list[dict[str, Any]]:
    """What was read: declared checksums (verified by the fetcher) or, for smoke files and sources whose
    hash could not be declared, the sha256 of the bytes actually read."""
    declared = {s.filename: s for s in sources}
    out = []
    for name in sorted(files):
        s = declared.get(name)
        if s is not None and (s.md5 or s.sha256 or s.git_blob):
            out.append({"filename": name, "md5": s.md5, "sha256": s.sha256, "verified": True,
                        **({"git_blob": s.git_blob} if s.git_blob else {})})
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
    """Parsed sizes must equal ``spec.splits``. A task whose sizes are raw upstream counts that a parser may
    legitimately fall short of (files a parser cannot read, documented in the task) declares the documented
    lower bounds in ``parameters["min_split_sizes"]``; a shortfall down to them is accepted and recorded in
    ``data.stats["split_shortfall"]`` (its causes are in the drop counts); anything below, or above the raw
    count, still raises."""
    got = data.split_sizes()
    floor = spec.parameters.get("min_split_sizes", {})
    bad, short = {}, {}
    for s, n in spec.splits.items():
        g = got.get(s)
        if n is None or g == n:
            continue
        if g is not None and floor.get(s, n) <= g < n:
            short[s] = n - g
        else:
            bad[s] = (n, g)
    if bad:
        detail = ", ".join(f"{s}: expected {e}" + (f" (at least {floor[s]})" if s in floor else "") + f", parsed {g}"
                           for s, (e, g) in bad.items())
        raise SplitSizeError(
            f"task {spec.id!r}: split sizes differ from the specification ({detail}). The upstream files may "
            f"have changed; check the sources' checksums and the drop counts {data.stats.get('dropped', {})}."
        )
    if short:
        data.stats = {**data.stats, "split_shortfall": short}


def load(task: Any, files: Files, profile: str, limit: int | None) -> TaskData:
    """Parse the files; check the declared split sizes on full real data; apply ``--limit``; record the exact-
    sequence overlap between splits of the data evaluated in ``stats["overlap"]``."""
    data = task.load(files)
    if profile == "real" and limit is None:
        check_split_sizes(task.spec, data)
    data = limit_splits(data, limit) if limit is not None else data
    overlap = split_overlap(data)
    if overlap:
        data.stats = {**data.stats, "overlap": overlap}
    return data


def split_leakage(data: TaskData, cache_dir: Path | None, threads: int = 1,
                  identity: bool = True) -> dict[str, Any] | None:
    """Homology leakage of ``valid``/``test`` against ``train`` (:func:`protbench.leakage.leakage_report`),
    recorded as ``dataset.stats.leakage``; None for tasks without a train split of sequences (PPI tasks split
    pairs, not proteins). ``identity=False`` (or no MMseqs2, then ``note`` says how to install it) counts exact
    copies only. Cached per sequence-set fingerprint under ``cache_dir``."""
    from .leakage import INSTALL_HINT, MmseqsNotFoundError, find_mmseqs, leakage_report

    seqs = {name: [r.sequence for r in recs if r.sequence] for name, recs in data.splits.items()}
    if not seqs.get("train") or not any(seqs.get(q) for q in ("valid", "test")):
        return None
    missing = False
    if identity:
        try:
            find_mmseqs()
        except MmseqsNotFoundError:
            missing = True
    report = leakage_report(seqs, cache_dir=cache_dir, threads=threads, exact_only=not identity or missing)
    report.pop("runtime_s", None)          # stats describe the data; timings live in timings_s
    if missing:
        report["note"] = f"identity bins not computed (MMseqs2 not found): {INSTALL_HINT}"
    elif not identity:
        report["note"] = "exact copies only; identity bins: `protbench run --leakage identity` or `protbench leakage`"
    return report


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
    threads: int = 1                  # torch threads the run set (protocols with their own pools use it too)
    recompute: bool = False           # ignore finished seeds (--overwrite always)
    save_predictions: bool = True
    compute_seeds: list[int] | None = None   # seeds this process may compute (--shard); None: all
    claim: Any = None                         # seed -> bool: may this process compute it (--jobs workers)
    prior: dict[str, Any] | None = None       # a stored result of this identity with other seeds (reused)
    environment: dict[str, Any] | None = None  # the result's environment (None: this process's, looked up)

    def protocol_record(self) -> dict[str, Any]:
        rec = {"name": self.protocol.name, "preset": self.preset, "config": config_dict(self.config)}
        if self.overrides:
            rec["params"] = dict(self.overrides)
        return rec


def evaluate(ev: Evaluation, data: TaskData, model: Any, emb: Any, fingerprint: str | None = None
             ) -> tuple[dict[str, Any], dict[str, Any], list[int], dict[str, Any]]:
    """Run every seed (reusing finished seeds of the same identity); return ``(seeds, predictions, missing,
    elsewhere)``, ``missing`` being the seeds left to other shards (``ev.compute_seeds``) that are not finished
    yet, ``elsewhere`` the finished seeds taken over from a run at another revision or on another numeric
    platform (``{seed: origin}``; a resume on the same machine and code adds nothing), which the result records."""
    tid = ev.task.spec.id
    ident = identity_hash({**ev.identity, "dataset": fingerprint or data.fingerprint()})
    folder, rel = ev.store.artefact_dir(tid)
    seeds: dict[str, Any] = {}
    predictions: dict[str, dict[str, Any]] = {}
    prior = {} if ev.recompute else prior_seeds(ev, fingerprint or data.fingerprint())
    mine = [s for s in ev.seeds if ev.compute_seeds is None or s in ev.compute_seeds]
    here = R.seed_origin(ev.environment)      # the environment the result records, not a second look-up
    elsewhere: dict[str, Any] = {}

    def take_partial(seed: int) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
        saved = ev.store.load_seed(tid, seed, ident)
        if saved is not None:
            origin = ev.store.seed_origin(tid, seed)
            if not R.same_origin(origin, here):
                elsewhere[str(seed)] = origin or "not recorded (a partial written by an older protbench)"
        return saved

    for seed in mine + [s for s in ev.seeds if s not in mine]:      # own seeds first, then look for the others
        saved = prior.get(seed) or (None if ev.recompute and seed in mine else take_partial(seed))
        if saved is not None:
            seeds[str(seed)], preds = saved
            if preds:
                predictions[str(seed)] = preds
            continue
        if seed not in mine or (ev.claim is not None and not ev.claim(seed)):
            continue
        ctx = ProtocolContext(task=ev.task, data=data, seed=seed, config=ev.config, model=model,
                              emb=emb if ev.protocol.needs_embeddings else None, device=ev.device,
                              threads=ev.threads, artefacts=Artefacts(folder, rel))
        res = ev.protocol.run(ctx)
        entry = {"scores": res.scores, "ci": {s: {m: list(v) for m, v in d.items()} for s, d in res.ci.items()},
                 "info": res.info}
        entry = json.loads(json.dumps(R.clean(entry), default=R.json_default))
        seeds[str(seed)] = entry
        # kept (in the partials too) even without save_predictions: the interval of the mean needs every
        # seed's predictions; only the final predictions file depends on save_predictions
        preds = {f"{split}.{k}": v for split, arrs in (res.predictions or {}).items() for k, v in arrs.items()}
        if preds:
            predictions[str(seed)] = preds
        ev.store.save_seed(tid, seed, ident, entry, preds or None, here)
        main = res.scores.get("test", {}).get(ev.task.spec.main_metric)
        say(f"  [{tid}] seed {seed} done" + (f": test {ev.task.spec.main_metric} {main:.4f}" if main is not None
                                            else ""))
    for seed in [s for s in ev.seeds if str(s) not in seeds]:     # finished elsewhere while this process worked
        saved = take_partial(seed)
        if saved is not None:
            seeds[str(seed)], preds = saved
            if preds:
                predictions[str(seed)] = preds
    missing = [s for s in ev.seeds if str(s) not in seeds]
    order = {str(s): i for i, s in enumerate(ev.seeds)}
    seeds = dict(sorted(seeds.items(), key=lambda kv: order[kv[0]]))
    predictions = dict(sorted(predictions.items(), key=lambda kv: order[kv[0]]))
    return seeds, predictions, missing, elsewhere


def prior_seeds(ev: Evaluation, fingerprint: str) -> dict[int, tuple[dict[str, Any], dict[str, Any] | None]]:
    """Seeds of ``ev.prior`` (a stored result whose identity differs from this request in its seed list only)
    that this request asks for, with their predictions: ``{seed: (entry, predictions)}``. Empty when its data
    differ (dataset fingerprint), or when it kept no predictions for them (the interval of the mean needs every
    seed's) — then every seed is computed."""
    old = ev.prior
    if not old or (old.get("identity") or {}).get("dataset") != fingerprint:
        return {}
    want = [s for s in ev.seeds if str(s) in (old.get("seeds") or {})]
    if not want:
        return {}
    preds: dict[str, dict[str, Any]] = {}
    if old.get("predictions_file"):
        try:
            preds = load_arrays(ev.store.model_dir / old["predictions_file"])
        except Exception as exc:     # a damaged predictions file: recompute rather than fail
            say(f"  [{ev.task.spec.id}] stored predictions unreadable ({type(exc).__name__}); recomputing all seeds")
            return {}
    if any(str(s) not in preds for s in want):
        return {}
    return {s: (old["seeds"][str(s)], preds[str(s)]) for s in want}


def claim_file(claims: Path, task: str, seed: int) -> Path:
    from .store import safe_component

    return Path(claims) / f"{safe_component(task)}.seed{seed}"


def claim_seed(claims: Path, task: str, seed: int) -> bool:
    """Claim ``(task, seed)`` for this process (``run --jobs`` workers pull work this way): True when the claim
    file did not exist and this call created it, atomically (``O_CREAT | O_EXCL``)."""
    try:
        os.close(os.open(claim_file(claims, task, seed), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def shard_seeds(task_ids: list[str], seeds: list[int], task: str, shard: tuple[int, int] | None) -> list[int] | None:
    """The seeds of ``task`` that shard ``I`` of ``N`` computes: the (task, seed) pairs of the whole request, in
    order, dealt round-robin to the shards (every process of a job array derives the same plan)."""
    if shard is None:
        return None
    i, n = shard
    t = task_ids.index(task)
    return [s for k, s in enumerate(seeds) if (t * len(seeds) + k) % n == i]


CI_OF_MEAN = "mean over seeds"
CI_RESAMPLES = 1000


def summarize(seeds: dict[str, Any], predictions: dict[str, dict[str, Any]] | None = None,
              split: str = "test", n_boot: int | None = None, alpha: float = 0.05) -> dict[str, Any]:
    """Mean/std/n per split and metric; on ``split``, a percentile bootstrap interval **of the mean over
    seeds** (marked ``"ci_of": "mean over seeds"``) when every seed's predictions are at hand.

    Each resample draws test items with replacement; the same indices are applied to every seed scored on
    the same test items, the metric is computed per seed and averaged. Seed intervals stay in
    ``seeds[s].ci``. Without every seed's predictions no interval is given for the mean.
    """
    summary = R.summarize(seeds)
    preds = predictions or {}
    if not seeds or any(str(s) not in preds for s in seeds):
        return summary
    if n_boot is None:
        recorded = [((s.get("info") or {}).get("ci") or {}).get("resamples") for s in seeds.values()]
        recorded = [int(r) for r in recorded if isinstance(r, (int, float)) and r > 0]
        n_boot = min(recorded) if recorded else CI_RESAMPLES
    for metric, stats in summary.get(split, {}).items():
        ci = mean_ci({s: preds[str(s)] for s in seeds}, metric, split, n_boot, alpha)
        if ci is not None:
            stats["ci"] = list(ci)
            stats["ci_of"] = CI_OF_MEAN
            stats["ci_resamples"] = n_boot
    return summary


def _metric_inputs(arrays: dict[str, Any], metric: str, split: str):
    """``(fn, inputs)``: the metric as a function of item-indexed arrays, or None when not computable."""
    from .metrics import METRICS
    from .metrics.ranking import hits_from_ranks, mrr_from_ranks

    ranks = arrays.get(f"{split}.ranks")
    if ranks is not None:
        if metric == "mrr":
            return (lambda r: mrr_from_ranks(r)), (np.asarray(ranks),)
        if metric.startswith("hits@") and metric[5:].isdigit():
            k = int(metric[5:])
            return (lambda r: hits_from_ranks(r, k)), (np.asarray(ranks),)
        return None
    t, sc = arrays.get(f"{split}.y_true"), arrays.get(f"{split}.y_score")
    fn = METRICS.get(metric)
    if fn is None or t is None or sc is None or len(t) != len(sc):
        return None
    return fn, (np.asarray(t), np.asarray(sc))


def _fast_metric(fn, arrays):
    """The metric of a resample from one sort of the full set (same values), or None
    (:mod:`protbench.metrics.resampled`)."""
    from .metrics.resampled import resampler

    if len(arrays) != 2:
        return None
    try:
        return resampler(fn, *arrays)
    except (ValueError, TypeError):     # invalid inputs: the direct path reports them per resample
        return None


def _safe_metric(fn, *arrays) -> float:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            v = float(fn(*arrays))
        except Exception:   # undefined on a degenerate resample
            return float("nan")
    return v if np.isfinite(v) else float("nan")


def mean_ci(predictions: dict[str, dict[str, Any]], metric: str, split: str = "test", n_boot: int = CI_RESAMPLES,
            alpha: float = 0.05, seed: int = 0) -> tuple[float, float] | None:
    """Percentile interval of the seeds' mean ``metric`` over item resamples (None when not computable)."""
    inputs = {}
    for s, arrays in predictions.items():
        got = _metric_inputs(arrays, metric, split)
        if got is None:
            return None
        inputs[s] = got
    if not inputs or n_boot < 1:
        return None
    groups: dict[tuple, np.ndarray] = {}      # one index matrix per test set (same items: same indices)
    keys = {}
    for s, (_, arrs) in inputs.items():
        n = len(arrs[0])
        if n < 2:
            return None
        first = arrs[0] if len(arrs) == 2 else None    # y_true identifies the items; ranks: only the count
        key = (n, hashlib.sha256(np.ascontiguousarray(first).tobytes()).hexdigest() if first is not None else "")
        keys[s] = key
        if key not in groups:
            rng = np.random.default_rng([seed, n, len(groups)])
            groups[key] = rng.integers(0, n, size=(n_boot, n))
    fast = {s: _fast_metric(fn, arrs) for s, (fn, arrs) in inputs.items()}
    values = np.empty(n_boot)
    for b in range(n_boot):
        vals = [_safe_metric(fast[s], groups[keys[s]][b]) if fast[s] is not None else
                _safe_metric(fn, *(a[groups[keys[s]][b]] for a in arrs)) for s, (fn, arrs) in inputs.items()]
        vals = [v for v in vals if np.isfinite(v)]
        values[b] = np.mean(vals) if len(vals) == len(inputs) else np.nan
    values = values[np.isfinite(values)]
    if values.size < max(10, n_boot // 2):
        return None
    lo, hi = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def evaluate_seed(task: Any, data: TaskData, emb: Any, seed: int = 0, protocol: str | None = None, *,
                  quick: bool = False, preset: str | None = None, params: dict[str, Any] | None = None,
                  model: Any = None, artefacts: Path | None = None, device: str = "cpu", threads: int = 1) -> Any:
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
                          emb=emb if spec.needs_embeddings else None, device=device, threads=threads,
                          artefacts=art)
    return spec.run(ctx)
