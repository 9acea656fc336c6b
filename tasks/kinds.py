"""The task objects: a typed spec, a reader of the upstream files, a smoke-data writer — no evaluation.

Evaluation belongs to the protocols (:mod:`protbench.protocols`); a task only says which protocols it
allows (``spec.protocols``, default first) and offers what they read:

* :class:`Task` — any benchmark (cross-modal retrieval, semantic similarity);
* :class:`SupervisedTask` — labels per record: ``task_type`` and ``outputs(data)`` for probe,
  finetune and alignment-knn; ``class_texts`` (:class:`ClassTexts`) for zero-shot-labels;
* :class:`PpiTask` — protein pairs split by ``split_method`` for ppi-gnn and pair-mlp.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from protbench.spec import DataSource, TaskData, TaskSpec

Reader = Callable[[Mapping[str, Path]], TaskData]
SmokeWriter = Callable[[Path], dict[str, Path]]


@dataclass
class Task:
    """A benchmark: ``read(files) -> TaskData`` parses the fetched files (keys are
    :attr:`DataSource.filename`; ``files.cache_dir`` is where archives unpack); ``smoke(folder)`` writes
    small deterministic files in the same upstream format. ``alternatives``: other accepted source sets
    (e.g. converted CSVs of the same records), used when only they are available locally."""

    spec: TaskSpec
    read: Reader
    smoke: SmokeWriter
    alternatives: tuple[tuple[DataSource, ...], ...] = ()

    def load(self, files: Mapping[str, Path]) -> TaskData:
        return self.read(files)

    def write_smoke(self, folder: Path) -> dict[str, Path]:
        return self.smoke(Path(folder))

    def select_sources(self, fetcher: Any) -> tuple[DataSource, ...]:
        """The canonical sources, unless only an alternative set is available locally (cache/mirror)."""
        def local(sources: Sequence[DataSource]) -> bool:
            return all(fetcher.locate(s) is not None for s in sources)

        if not self.alternatives or local(self.spec.sources):
            return self.spec.sources
        for alt in self.alternatives:
            if local(alt):
                return alt
        return self.spec.sources


FIELDS = ("name", "description", "name+description")


@dataclass(frozen=True)
class ClassTexts:
    """Texts that describe each class of a classification task (zero-shot classification reads them).

    ``prompts`` maps a prompt set's name to one ``(name, description)`` pair per class id, in class-id order;
    ``source`` cites where they were read (repository, commit, paths)."""

    prompts: Mapping[str, tuple[tuple[str, str], ...]]
    source: str

    def texts(self, prompt: str, field: str) -> list[str]:
        """One text per class: its ``name``, its ``description``, or both joined by a space (``name+description``)."""
        if prompt not in self.prompts:
            raise ValueError(f"unknown prompt set {prompt!r}; this task has {sorted(self.prompts)}")
        if field not in FIELDS:
            raise ValueError(f"unknown label field {field!r}; choose one of {FIELDS}")
        rows = self.prompts[prompt]
        return [n if field == "name" else d if field == "description" else f"{n} {d}" for n, d in rows]


@dataclass
class SupervisedTask(Task):
    """Records with labels: ``task_type`` is ``regression``, ``classification`` or ``multilabel``;
    ``n_outputs`` the number of classes/labels (None: ``data.extra["n_outputs"]``); ``class_texts``
    the classes described in words, where a source offers them (not part of the task's identity)."""

    task_type: str = "regression"
    n_outputs: int | None = None
    class_texts: ClassTexts | None = None

    def outputs(self, data: TaskData) -> int | None:
        return data.extra.get("n_outputs") or self.n_outputs


@dataclass
class PpiTask(Task):
    """Proteins (``splits["proteins"]``) and typed pairs (``extra``) split by ``split_method`` per run."""

    split_method: str = "bfs"
