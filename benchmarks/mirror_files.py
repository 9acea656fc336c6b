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
