"""The Python API: run models on tasks from a notebook and get pandas DataFrames back.

>>> import protbench
>>> df = protbench.run("aac", tasks=["beta-lactamase"], profile="smoke", seeds=[0])
>>> df[df.split == "test"][["model", "task", "metric", "mean", "std", "n_seeds"]]

``model`` is a registered name (``protbench.list_models()``) or any object with ``meta`` and
``embed_proteins`` (the model protocol of :mod:`protbench.interfaces`). Results go through the same
pipeline and result store as ``protbench run`` (default folder: ``<cache>/results``, never the
repository's ``results/``), so a second call with the same identity reuses them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

ROW_COLUMNS = ["model", "task", "family", "profile", "split", "metric", "mean", "std", "ci_low", "ci_high", "n_seeds",
               "status", "protocol", "identity", "kind", "path"]


class ApiArgumentError(ValueError):
    """An argument of the Python API outside its allowed values; the message names it and what is allowed."""


class ApiTypeError(TypeError):
    """An argument of the Python API of the wrong type; the message names it and the type expected."""


PROFILES = ("real", "smoke")
OVERWRITE = ("never", "always", "only-missing")


def _names(value: Any, what: str) -> list[str]:
    """``value`` as a list of ids: None, or an iterable of strings (a bare string is refused: it would be
    iterated letter by letter)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        raise ApiTypeError(f"{what} must be a list of ids, e.g. {what}=[{value!r}], not the string {value!r}")
    try:
        items = list(value)
    except TypeError:
        raise ApiTypeError(f"{what} must be a list of ids, not {type(value).__name__}") from None
    for v in items:
        if not isinstance(v, str):
            raise ApiTypeError(f"{what}: every id is a string, got {v!r} ({type(v).__name__})")
    return items


def _whole(value: Any, what: str, minimum: int, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiTypeError(f"{what} must be a whole number >= {minimum}{' or None' if optional else ''}, "
                           f"not {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ApiArgumentError(f"{what} must be a whole number >= {minimum}, not {value}")
    return int(value)


def _choice(value: Any, what: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ApiArgumentError(f"{what} must be one of {', '.join(map(repr, allowed))}, not {value!r}")
    return value


def check_run_arguments(seeds: Any, profile: Any, limit: Any, overwrite: Any, protocol: Any, preset: Any,
                        params: Any, model_options: Any) -> list[int]:
    """The arguments of :func:`run` checked before any fetch or compute; returns the seeds as a list."""
    from .protocols import names as protocol_names
    from .protocols.params import PRESETS

    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise ApiTypeError(f"seeds must be a list of whole numbers >= 0, e.g. seeds=[0, 1, 2], not {seeds!r}")
    seeds = [_whole(s, "seeds: each seed", 0) for s in seeds]
    if not seeds:
        raise ApiArgumentError("seeds must hold at least one seed, e.g. seeds=[0]")
    if len(set(seeds)) != len(seeds):
        raise ApiArgumentError(f"seeds must be distinct, got {seeds}")
    _choice(profile, "profile", PROFILES)
    _whole(limit, "limit", 1, optional=True)
    _choice(overwrite, "overwrite", OVERWRITE)
    if protocol is not None:
        _choice(protocol, "protocol", protocol_names())
    if preset is not None:
        _choice(preset, "preset", tuple(PRESETS))
    for what, d in (("params", params), ("model_options", model_options)):
        if d is not None and not isinstance(d, dict):
            raise ApiTypeError(f"{what} must be a dict, not {type(d).__name__}")
    return seeds


def _registries(include: Sequence[str | Path] = ()):
    from .registry import load_registries

    return load_registries(include=include)


def _entry_for(reg: Any, model: Any) -> str:
    """The registry name of ``model``; a model object is registered for this call under its ``meta.name``."""
    from .interfaces import model_capabilities
    from .registry import ModelEntry

    if isinstance(model, str):
        reg.models.get(model)
        return model
    if not hasattr(model, "meta") or not hasattr(model, "embed_proteins"):
        raise ApiTypeError("model must be a registered name or an object with .meta and .embed_proteins(seqs)")
    name = model.meta.name
    if name in reg.models:
        raise ApiArgumentError(
            f"the model object's meta.name {name!r} is the id of a registered model ({reg.models.origins[name]}): "
            f"its results would be recorded as {name!r}'s. Give the object another meta.name")
    if name not in reg.models:
        reg.models.add(name, ModelEntry(name, lambda **_: model, "a Python object", model_capabilities(model)),
                       "protbench.run(model=<object>)")
    return name


def run(model: Any, tasks: Iterable[str] | None = None, families: Iterable[str] | None = None,
        seeds: Sequence[int] = (0,), profile: str = "real", protocol: str | None = None, preset: str | None = None,
        params: dict[str, Any] | None = None, output_dir: str | Path | None = None, limit: int | None = None,
        model_options: dict[str, Any] | None = None, mirror: Sequence[str | Path] | None = None,
        cache_dir: str | Path | None = None, offline: bool = True, overwrite: str = "only-missing",
        include: Sequence[str | Path] = ()):
    """Evaluate ``model`` on ``tasks`` (and/or ``families``); one DataFrame row per task × split × metric.

    ``params`` are protocol settings, ``{"probe.heads": "mlp"}``; the smoke profile implies the ``quick``
    settings as on the command line. Failed and skipped tasks appear with their status and no numbers.
    """
    from .fetch import Fetcher, default_cache_dir, mirrors_from_env
    from .runner import RunConfig, Runner, select_tasks

    reg = _registries(include)        # plugins first: they may add protocols
    seeds = check_run_arguments(seeds, profile, limit, overwrite, protocol, preset, params, model_options)
    task_ids, family_names = _names(tasks, "tasks"), _names(families, "families")
    options = dict(model_options or {})
    if isinstance(model, str):
        model, options = reg.resolve_model(model, options)      # a Hugging Face id -> its architecture
    name = _entry_for(reg, model)
    ids = select_tasks(reg, task_ids, family_names)
    if not ids:
        raise ValueError("no tasks selected: give tasks=[...] or families=[...] (see protbench.list_tasks())")
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    fetcher = Fetcher(cache_dir=cache, mirrors=[Path(m) for m in mirror] if mirror else mirrors_from_env(),
                      offline=offline, progress=False)
    out = Path(output_dir) if output_dir else cache / "results"
    config = RunConfig(model=name, tasks=ids, model_options=options, seeds=list(seeds),
                       output_dir=out, overwrite=overwrite, limit=limit, profile=profile, protocol=protocol,
                       preset=preset, fetcher=fetcher, quick=profile == "smoke", params=dict(params or {}))
    outcomes = Runner(config, reg).run(ids)
    return load_results([o.path for o in outcomes if o.path is not None])


def _rows(path: Path, res: dict[str, Any]) -> list[dict[str, Any]]:
    base = {"model": res["model"]["name"], "task": res["task"]["id"], "family": res["task"].get("family"),
            "profile": res.get("profile", "real"), "status": res["status"], "kind": res["kind"],
            "protocol": (res.get("protocol") or {}).get("name"), "path": str(path),
            "identity": (res.get("identity") or {}).get("hash")}
    if res["status"] != "ok":
        return [{**base, "split": None, "metric": None}]
    rows = []
    for split, metrics in res.get("summary", {}).items():
        for metric, st in metrics.items():
            ci = st.get("ci") or (None, None)
            rows.append({**base, "split": split, "metric": metric, "mean": st.get("mean"), "std": st.get("std"),
                         "ci_low": ci[0], "ci_high": ci[1], "n_seeds": st.get("n")})
    return rows


def load_results(path: str | Path | Iterable[str | Path] = "results", errors: str = "raise"):
    """Every result file under ``path`` (a folder, a file, or a list of them) as a DataFrame.

    A bad file (special file, non-UTF-8 bytes, JSON that does not parse or nests too deeply, ``NaN`` or
    ``Infinity``, oversized numbers, anything the schema refuses) is **refused**: ``errors="raise"`` (default)
    raises :class:`protbench.results.ResultError` naming the file; ``errors="skip"`` leaves it out with a
    warning naming it (what ``protbench leaderboard`` and ``compare`` do).
    """
    import warnings

    import pandas as pd

    from . import results as R

    if errors not in ("raise", "skip"):
        raise ApiArgumentError(f"errors must be 'raise' or 'skip', not {errors!r}")
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    rows: list[dict[str, Any]] = []
    for p in paths:
        for f in R.result_files(Path(p)):
            try:
                res = R.read_result(f)
                try:
                    rows += _rows(f, res)
                except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
                    raise R.ResultError(f"{f}: not a readable result ({type(exc).__name__}: {exc})") from None
            except R.ResultError as exc:
                if errors == "raise":
                    raise
                warnings.warn(f"skipped {exc}", stacklevel=2)
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def load_task(task_id: str, profile: str = "real", limit: int | None = None, mirror: Sequence[str | Path] | None = None,
              cache_dir: str | Path | None = None, offline: bool = True):
    """``(splits, stats)``: each split as a DataFrame (``id``, ``sequence``, ``label``, ``text``) and what
    loading recorded (drops by reason, input format, ...)."""
    import pandas as pd

    from . import stages
    from .fetch import Fetcher, default_cache_dir, mirrors_from_env

    _choice(profile, "profile", PROFILES)
    _whole(limit, "limit", 1, optional=True)
    if not isinstance(task_id, str):
        raise ApiTypeError(f"task_id must be a task id string, not {type(task_id).__name__}")
    task = _registries().tasks.get(task_id)
    fetcher = Fetcher(cache_dir=Path(cache_dir) if cache_dir else default_cache_dir(),
                      mirrors=[Path(m) for m in mirror] if mirror else mirrors_from_env(), offline=offline,
                      progress=False)
    files, _ = stages.fetch(task, profile, fetcher)
    data = stages.load(task, files, profile, limit)
    splits = {s: pd.DataFrame([{"id": r.id, "sequence": r.sequence, "label": r.label, "text": r.text} for r in recs],
                              columns=["id", "sequence", "label", "text"])
              for s, recs in data.splits.items()}
    return splits, data.stats


def list_tasks():
    """Registered tasks: id, family, main metric, default protocol, protocols, variant, description."""
    import pandas as pd

    reg = _registries()
    rows = [{"task": s.id, "family": s.family.value, "main_metric": s.main_metric, "protocol": s.protocol,
             "protocols": list(s.protocols), "variant": s.variant, "description": s.description}
            for s in (reg.tasks.get(t).spec for t in reg.tasks)]
    return pd.DataFrame(rows)


def list_models():
    """Registered models: name, capabilities, whether they need weights, default protocol, description."""
    import pandas as pd

    reg = _registries()
    rows = [{"model": e.name, "capabilities": sorted(c.value for c in e.capabilities),
             "needs_weights": e.needs_weights, "protocol": e.protocol, "description": e.description}
            for e in reg.models.values()]
    return pd.DataFrame(rows)
