"""protbench: a benchmark harness for protein representation models, built around ProtCLIP.

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

try:
    __version__ = _metadata.version("protbench")
except _metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["Capability", "DataSource", "Family", "ModelEntry", "ModelMeta", "ProtocolContext", "ProtocolSpec",
           "Record", "SeedResult", "TaskData", "TaskSpec", "register_model", "register_protocol", "register_task",
           "__version__"]
