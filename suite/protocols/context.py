"""What a protocol receives for one seed: the task, its data, the model's vectors, the resolved config."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protbench.interfaces import Embeddings
from protbench.spec import TaskData


@dataclass(frozen=True)
class Artefacts:
    """A folder a protocol may write files into (e.g. PPI split files), owned by the result store.

    ``relative`` is how a result file refers to the folder (relative to the result's own folder).
    """

    folder: Path
    relative: str

    def path(self, name: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / name

    def ref(self, name: str) -> str:
        return f"{self.relative}/{name}"


@dataclass
class ProtocolContext:
    """Everything a protocol needs to evaluate one seed.

    ``task`` is the task object (its ``spec`` plus family fields such as ``task_type``); ``emb`` serves
    cached vectors (None for protocols that read no embeddings); ``model`` is the model object, for
    protocols that train it (finetune) or ask what it can do (bridge: has it a text tower?). ``threads`` is
    the run's thread count (torch is already set to it; protocols with their own thread pools read it).
    """

    task: Any
    data: TaskData
    seed: int
    config: Any
    model: Any = None
    emb: Embeddings | None = None
    device: str = "cpu"
    threads: int = 1
    artefacts: Artefacts | None = None

    @property
    def spec(self):
        return self.task.spec
