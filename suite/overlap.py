"""Exact-sequence overlap between a task's splits (``test&train``, ``valid&train``, ``test&valid``).

Recorded in every result as ``dataset.stats.overlap`` so a reader sees how many evaluation proteins were
also seen in training (and how many of those carry a different label there) without the data at hand.
"""
from __future__ import annotations

import json
from typing import Any

from .spec import TaskData

PAIRS = (("test", "train"), ("valid", "train"), ("test", "valid"))
EXAMPLES = 5


def _label_key(label: Any) -> str:
    if hasattr(label, "tolist"):
        label = label.tolist()
    return json.dumps(label, sort_keys=True, default=str)


def split_overlap(data: TaskData, examples: int = EXAMPLES) -> dict[str, dict[str, Any]]:
    """Per pair of splits present, ``{"count", "different_label", "examples"}``: records of the first split
    whose exact sequence also occurs in the second (``examples``: up to 5 of their ids, first-seen order)."""
    out: dict[str, dict[str, Any]] = {}
    for a, b in PAIRS:
        if a not in data.splits or b not in data.splits:
            continue
        labels: dict[str, set[str]] = {}
        for r in data.splits[b]:
            if r.sequence:
                labels.setdefault(r.sequence, set()).add(_label_key(r.label))
        hits = [r for r in data.splits[a] if r.sequence and r.sequence in labels]
        out[f"{a}&{b}"] = {
            "count": len(hits),
            "different_label": sum(1 for r in hits if labels[r.sequence] != {_label_key(r.label)}),
            "examples": [r.id for r in hits[:examples]],
        }
    return out
