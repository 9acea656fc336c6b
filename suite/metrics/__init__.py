"""Metrics, one module per kind of prediction; ``METRICS`` maps a metric name to its function.

Every function takes ``(y_true, y_score)`` arrays and returns a float. Each
module below defines its own ``METRICS`` dict (and ``LOWER_IS_BETTER`` set);
this package merges them, so adding a metric module needs no edit elsewhere
than :data:`MODULES`.
"""
from __future__ import annotations

import importlib
from typing import Callable

import numpy as np

MODULES = ("regression", "classification", "ranking", "similarity", "ppi")

METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {}
LOWER_IS_BETTER: set[str] = set()

for _name in MODULES:
    _mod = importlib.import_module(f"{__name__}.{_name}")
    for _k, _fn in getattr(_mod, "METRICS", {}).items():
        if _k in METRICS and METRICS[_k] is not _fn:
            raise RuntimeError(f"metric {_k!r} defined twice (in {_name} and elsewhere)")
        METRICS[_k] = _fn
    LOWER_IS_BETTER |= set(getattr(_mod, "LOWER_IS_BETTER", ()))
