"""Where the benchmark scripts find real sequences: the data mirror (``PROTBENCH_MIRROR``, else ``../shared/data``)."""
from __future__ import annotations

import os
from pathlib import Path


def find_fasta(name: str = "deeploc_test_set.fasta", hint: str = "") -> Path:
    """The first file called ``name`` under the mirror folders; exits with what to set when there is none."""
    roots = [Path(p) for p in os.environ.get("PROTBENCH_MIRROR", "").split(os.pathsep) if p]
    roots.append(Path(__file__).resolve().parents[2] / "shared" / "data")
    for r in roots:
        hits = list(r.rglob(name)) if r.is_dir() else []
        if hits:
            return hits[0]
    raise SystemExit(f"{name} not found: set PROTBENCH_MIRROR to the data mirror{hint}")


def task_splits(task_id: str) -> dict[str, list]:
    """A registered task's real-data splits (records), read offline from the cache or the data mirror."""
    from protbench import stages
    from protbench.fetch import Fetcher, default_cache_dir, mirrors_from_env
    from protbench.registry import load_registries

    task = load_registries().tasks.get(task_id)
    fetcher = Fetcher(cache_dir=default_cache_dir(), mirrors=mirrors_from_env(), offline=True, progress=False)
    files, _ = stages.fetch(task, "real", fetcher)
    return stages.load(task, files, "real", None).splits
