"""protbench: a benchmark harness for protein representation models, built around ProtCLIP.

In a notebook::

    import protbench
    df = protbench.run("aac", tasks=["beta-lactamase"], seeds=[0, 1, 2])   # pandas DataFrame
    protbench.load_results("results"); protbench.load_task("binloc"); protbench.list_tasks()

The public API for plugins::

    from protbench import TaskSpec, DataSource, ModelMeta, Record, TaskData, SeedResult
    from protbench import register_task, register_model, register_protocol, Capability, Family
    from protbench.tasks.kinds import SupervisedTask   # a labelled task evaluated by probe/finetune/...

Evaluation protocols live in :mod:`protbench.protocols`; a plugin may add its own with
``register_protocol(ProtocolSpec(...))``.
"""
from __future__ import annotations

from importlib import metadata as _metadata

from .protocols import ProtocolContext, ProtocolSpec, register_protocol
from .registry import ModelEntry, register_model, register_task
from .spec import Capability, DataSource, Family, ModelMeta, Record, SeedResult, TaskData, TaskSpec

_API = ("run", "load_results", "load_task", "list_tasks", "list_models")


def __getattr__(name: str):
    """The Python API (:mod:`protbench.api`), imported on first use so ``import protbench`` stays light."""
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'protbench' has no attribute {name!r}")


try:
    __version__ = _metadata.version("protbench")
except _metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["Capability", "DataSource", "Family", "ModelEntry", "ModelMeta", "ProtocolContext", "ProtocolSpec",
           "Record", "SeedResult", "TaskData", "TaskSpec", "register_model", "register_protocol", "register_task",
           "__version__", *_API]
