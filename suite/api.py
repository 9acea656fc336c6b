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
        raise TypeError("model must be a registered name or an object with .meta and .embed_proteins(seqs)")
    name = model.meta.name
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

    reg = _registries(include)
    options = dict(model_options or {})
    if isinstance(model, str):
        model, options = reg.resolve_model(model, options)      # a Hugging Face id -> its architecture
    name = _entry_for(reg, model)
    ids = select_tasks(reg, tasks or [], families or [])
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


def load_results(path: str | Path | Iterable[str | Path] = "results"):
    """Every result file under ``path`` (a folder, a file, or a list of them) as a DataFrame."""
    import pandas as pd

    from . import results as R

    paths = [path] if isinstance(path, (str, Path)) else list(path)
    rows: list[dict[str, Any]] = []
    for p in paths:
        for f in R.result_files(Path(p)):
            rows += _rows(f, R.read_result(f))
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def load_task(task_id: str, profile: str = "real", limit: int | None = None, mirror: Sequence[str | Path] | None = None,
              cache_dir: str | Path | None = None, offline: bool = True):
    """``(splits, stats)``: each split as a DataFrame (``id``, ``sequence``, ``label``, ``text``) and what
    loading recorded (drops by reason, input format, ...)."""
    import pandas as pd

    from . import stages
    from .fetch import Fetcher, default_cache_dir, mirrors_from_env

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
