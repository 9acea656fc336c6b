"""Registries of tasks and models: built-ins, then entry points, then ``--include`` paths.

Tasks are objects (cheap to build, metadata only); models are *factories*
(``factory(**options) -> model``) so that listing models never loads weights.

Plugins:

* entry points in group ``protbench.tasks`` resolve to a Task, a list of Tasks,
  or a module with ``TASKS``; group ``protbench.models`` to a factory (the entry
  point's name is the model name) or a :class:`ModelEntry`;
* ``--include PATH`` runs a ``.py`` file (or every ``.py`` in a folder) that uses
  :func:`register_task` / :func:`register_model` or defines ``TASKS`` / ``MODELS``.

Registering an id twice fails and names both origins; an unknown id suggests
the closest known ones.
"""
from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Generic, Iterable, TypeVar

from .spec import Capability

BUILTIN_TASK_MODULES = (
    "protbench.tasks.function",
    "protbench.tasks.mutation",
    "protbench.tasks.crossmodal",
    "protbench.tasks.similarity",
    "protbench.tasks.ppi",
)
BUILTIN_MODEL_MODULES = (
    "protbench.models",
    "protbench.protclip.suite_model",
)
TASK_GROUP = "protbench.tasks"
MODEL_GROUP = "protbench.models"


class RegistryError(LookupError):
    """Unknown or duplicate id; the message says what to do."""


@dataclass
class ModelEntry:
    """A registered model: its name, a factory ``factory(**options) -> model`` and a one-line summary."""

    name: str
    factory: Callable[..., Any]
    description: str = ""
    capabilities: frozenset[Capability] = frozenset({Capability.PROTEIN})
    needs_weights: bool = False

    def create(self, **options: Any) -> Any:
        """Build the model, passing only the options the factory accepts."""
        try:
            params = inspect.signature(self.factory).parameters
        except (TypeError, ValueError):
            return self.factory(**options)
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return self.factory(**options)
        return self.factory(**{k: v for k, v in options.items() if k in params and v is not None})


T = TypeVar("T")


@dataclass
class Registry(Generic[T]):
    """Maps ids to items and remembers where each came from."""

    kind: str
    items: dict[str, T] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, item: T, origin: str) -> None:
        if key in self.items:
            raise RegistryError(
                f"duplicate {self.kind} id {key!r}: defined by {self.origins[key]} and again by {origin}; "
                f"rename one of them"
            )
        self.items[key] = item
        self.origins[key] = origin

    def get(self, key: str) -> T:
        try:
            return self.items[key]
        except KeyError:
            raise RegistryError(self.unknown_message(key)) from None

    def unknown_message(self, key: str) -> str:
        close = difflib.get_close_matches(key, list(self.items), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown {self.kind} {key!r}{hint} (see `protbench list {self.kind}s`)"

    def __contains__(self, key: object) -> bool:
        return key in self.items

    def __iter__(self):
        return iter(self.items)

    def values(self) -> list[T]:
        return list(self.items.values())


# Decorator targets filled while an --include file or plugin module is imported.
_PENDING_TASKS: list[Any] = []
_PENDING_MODELS: list[ModelEntry] = []


def register_task(task: Any) -> Any:
    """Register a task object (or use as a class decorator: the class is instantiated without arguments)."""
    obj = task() if isinstance(task, type) else task
    _PENDING_TASKS.append(obj)
    return task


def register_model(name: str, *, description: str = "", capabilities: Iterable[str] = ("protein",),
                   needs_weights: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register a model class or factory function under ``name``."""

    def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
        doc = description or (inspect.getdoc(factory) or "").split("\n")[0]
        _PENDING_MODELS.append(ModelEntry(name, factory, doc, frozenset(Capability(c) for c in capabilities),
                                          needs_weights))
        return factory

    return deco


def _tasks_from(obj: Any) -> list[Any]:
    if isinstance(obj, ModuleType):
        return list(getattr(obj, "TASKS", []))
    if isinstance(obj, (list, tuple)):
        return list(obj)
    if hasattr(obj, "spec"):
        return [obj]
    if callable(obj):
        return _tasks_from(obj())
    raise RegistryError(f"cannot read tasks from {obj!r}: expected a task, a list of tasks or a module with TASKS")


def _models_from(obj: Any, name: str | None = None) -> list[ModelEntry]:
    if isinstance(obj, ModelEntry):
        return [obj]
    if isinstance(obj, ModuleType):
        return list(getattr(obj, "MODELS", []))
    if isinstance(obj, (list, tuple)):
        return [e for x in obj for e in _models_from(x)]
    if callable(obj) and name:
        doc = (inspect.getdoc(obj) or "").split("\n")[0]
        caps = getattr(obj, "capabilities", None) or getattr(getattr(obj, "meta", None), "capabilities", None)
        return [ModelEntry(name, obj, doc, frozenset(caps or {Capability.PROTEIN}))]
    raise RegistryError(f"cannot read models from {obj!r}: expected a ModelEntry, a factory or a module with MODELS")


def _import_path(path: Path) -> list[ModuleType]:
    """Import a .py file, or every .py file in a folder (sorted), as plugin modules."""
    path = Path(path)
    if not path.exists():
        raise RegistryError(f"--include {path}: no such file or folder")
    files = sorted(p for p in path.glob("*.py") if not p.name.startswith("_")) if path.is_dir() else [path]
    if path.is_file() and path.suffix != ".py":
        raise RegistryError(f"--include {path}: expected a .py file or a folder of .py files")
    modules = []
    for f in files:
        name = f"protbench_plugin_{abs(hash(str(f.resolve())))}_{f.stem}"
        if name in sys.modules:
            modules.append(sys.modules[name])
            continue
        spec = importlib.util.spec_from_file_location(name, f)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        _PENDING_TASKS.clear()
        _PENDING_MODELS.clear()
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[name]
            raise RegistryError(f"--include {f}: importing the plugin failed: {type(exc).__name__}: {exc}") from exc
        _decorated(module)
        modules.append(module)
    return modules


@dataclass
class Registries:
    """The task and model registries of one run."""

    tasks: Registry[Any]
    models: Registry[ModelEntry]


def _decorated(module: ModuleType) -> tuple[list[Any], list[ModelEntry]]:
    """Items registered by decorators while ``module`` was first imported (remembered on the module)."""
    items = module.__dict__.get("_protbench_decorated")
    if items is None:
        items = (list(_PENDING_TASKS), list(_PENDING_MODELS))
        module.__dict__["_protbench_decorated"] = items
    _PENDING_TASKS.clear()
    _PENDING_MODELS.clear()
    return items


def _import_module(name: str) -> ModuleType | None:
    """Import a module; None when the module itself does not exist (a family not built yet)."""
    _PENDING_TASKS.clear()
    _PENDING_MODELS.clear()
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def load_registries(include: Iterable[str | Path] = (), entry_points: bool = True) -> Registries:
    """Build the registries: built-ins, then entry points, then ``include`` paths."""
    tasks: Registry[Any] = Registry("task")
    models: Registry[ModelEntry] = Registry("model")

    def add_tasks(items: Iterable[Any], origin: str) -> None:
        for t in items:
            tasks.add(t.spec.id, t, origin)

    def add_models(items: Iterable[ModelEntry], origin: str) -> None:
        for e in items:
            models.add(e.name, e, origin)

    def add_module(module: ModuleType, origin: str, extra_tasks=(), extra_models=()) -> None:
        dec_tasks, dec_models = _decorated(module)
        add_tasks(list(extra_tasks) + _tasks_from(module) + dec_tasks, origin)
        add_models(list(extra_models) + _models_from(module) + dec_models, origin)

    for modname in BUILTIN_TASK_MODULES + BUILTIN_MODEL_MODULES:
        mod = _import_module(modname)
        if mod is not None:
            add_module(mod, f"built-in module {modname}")

    if entry_points:
        for group, is_task in ((TASK_GROUP, True), (MODEL_GROUP, False)):
            for ep in metadata.entry_points(group=group):
                origin = f"entry point {ep.name!r} = {ep.value} (distribution {getattr(ep.dist, 'name', '?')})"
                _PENDING_TASKS.clear()
                _PENDING_MODELS.clear()
                try:
                    obj = ep.load()
                except Exception as exc:
                    raise RegistryError(f"{origin}: loading failed: {type(exc).__name__}: {exc}") from exc
                module = sys.modules[ep.module]
                dec_tasks, dec_models = _decorated(module)
                if isinstance(obj, ModuleType):
                    add_module(obj, origin)
                elif is_task:
                    add_tasks(_tasks_from(obj) + dec_tasks, origin)
                    add_models(dec_models, origin)
                else:
                    add_models(_models_from(obj, ep.name) + dec_models, origin)
                    add_tasks(dec_tasks, origin)

    for path in include:
        for module in _import_path(Path(path)):
            add_module(module, f"--include {module.__file__}")
    return Registries(tasks, models)
