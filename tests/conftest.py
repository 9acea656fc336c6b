"""Shared fixtures: a private cache per test, the real-data mirror (skip cleanly without it), one torch thread."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def mirror_dir() -> Path | None:
    """The data mirror: ``$PROTBENCH_MIRROR`` (first entry) or ``../shared/data`` beside the checkout."""
    env = os.environ.get("PROTBENCH_MIRROR")
    candidates = [Path(p) for p in env.split(os.pathsep) if p] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture
def mirror() -> Path:
    """Path of the real-data mirror; the test is skipped when there is none."""
    d = mirror_dir()
    if d is None:
        pytest.skip("real-data mirror not found: set PROTBENCH_MIRROR or put shared/data beside the checkout")
    return d


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own empty protbench cache (never the user's)."""
    d = tmp_path_factory.mktemp("pbcache")
    monkeypatch.setenv("PROTBENCH_CACHE", str(d))
    return d


@pytest.fixture()
def one_torch_thread():
    """Tiny step-by-step mLSTMs (ProtCLIP over UniRep): one torch thread, restored after; two contending
    threads on a busy 2-core machine made them ~100x slower."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
