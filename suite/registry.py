"""Registries of tasks and models: built-ins, then entry points, then ``--include`` paths.

Built-ins are lazy ``"module:attr"`` names imported on first use: ``protbench list models`` imports
no task module, ``protbench list tasks`` no model, and neither imports torch. Tasks are objects
(metadata, a reader, a smoke writer); models are *factories* (``factory(**options) -> model``, or
a ``"module:attr"`` name of one) so that listing models never loads code or weights.

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
import re
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Generic, Iterable, TypeVar

from .spec import Capability

BUILTIN_TASKS = (
    "protbench.tasks.function:TASKS",
    "protbench.tasks.mutation:TASKS",
    "protbench.tasks.crossmodal:TASKS",
    "protbench.tasks.similarity:TASKS",
    "protbench.tasks.ppi:TASKS",
)
BUILTIN_MODELS = (
    "protbench.models:MODELS",
    "protbench.protclip.entries:MODELS",
)
TASK_GROUP = "protbench.tasks"
MODEL_GROUP = "protbench.models"


class RegistryError(LookupError):
    """Unknown, invalid or duplicate id; the message says what to do."""


ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:+-]*")


def check_id(kind: str, key: Any, origin: str) -> None:
    """Task and model ids name files and table cells: a letter or digit, then letters, digits and ``._@:+-``
    (no ``/``, spaces or control characters), so each id maps to its own path component unchanged."""
    if not isinstance(key, str) or not ID_PATTERN.fullmatch(key):
        raise RegistryError(
            f"invalid {kind} id {key!r} from {origin}: an id starts with a letter or digit and holds only letters, "
            f"digits and the characters ._@:+- (no '/', spaces or control characters); rename it"
        )


def load_name(name: str) -> Any:
    """The object a lazy ``"package.module:attr"`` name points to (imported now)."""
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass
class ModelEntry:
    """A registered model: its name, a factory ``factory(**options) -> model`` (or its ``"module:attr"``
    name), a one-line summary, and the protocol its results use by default (``None``: the task's)."""

    name: str
    factory: Callable[..., Any] | str
    description: str = ""
    capabilities: frozenset[Capability] = frozenset({Capability.PROTEIN})
    needs_weights: bool = False
    protocol: str | None = None

    def option_names(self) -> frozenset[str] | None:
        """The options the factory takes by name; None when it takes any (a ``**kwargs`` not named ``_…``)."""
        factory = load_name(self.factory) if isinstance(self.factory, str) else self.factory
        try:
            params = inspect.signature(factory).parameters
        except (TypeError, ValueError):
            return None
        if any(p.kind is inspect.Parameter.VAR_KEYWORD and not p.name.startswith("_") for p in params.values()):
            return None
        return frozenset(n for n, p in params.items()
                         if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY))

    def check_options(self, options: dict[str, Any], implicit: Iterable[str] = ("device",)) -> None:
        """Refuse options the factory does not take (a misspelt ``--model-opt`` key, ``--weights`` for a
        weight-free model) before any work; ``implicit`` options are the harness's own (``device``)."""
        allowed = self.option_names()
        if allowed is None:
            return
        unknown = sorted(set(options) - set(allowed) - set(implicit))
        if unknown:
            takes = ", ".join(sorted(set(allowed) - set(implicit))) or "no options"
            raise RegistryError(f"model {self.name!r} has no option {', '.join(map(repr, unknown))} "
                                f"(--model-opt KEY=VALUE / --weights); it takes: {takes}")

    def create(self, **options: Any) -> Any:
        """Build the model, passing only the options the factory accepts."""
        factory = load_name(self.factory) if isinstance(self.factory, str) else self.factory
        try:
            params = inspect.signature(factory).parameters
        except (TypeError, ValueError):
            return factory(**options)
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return factory(**options)
        return factory(**{k: v for k, v in options.items() if k in params and v is not None})


T = TypeVar("T")


@dataclass
class Registry(Generic[T]):
    """Maps ids to items and remembers where each came from."""

    kind: str
    items: dict[str, T] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, item: T, origin: str) -> None:
        check_id(self.kind, key, origin)
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


def _decorated(module: ModuleType) -> tuple[list[Any], list[ModelEntry]]:
    """Items registered by decorators while ``module`` was first imported (remembered on the module)."""
    items = module.__dict__.get("_protbench_decorated")
    if items is None:
        items = (list(_PENDING_TASKS), list(_PENDING_MODELS))
        module.__dict__["_protbench_decorated"] = items
    _PENDING_TASKS.clear()
    _PENDING_MODELS.clear()
    return items


class Registries:
    """The task and model registries of one run, each built on first access (built-ins, entry points,
    then ``include`` paths)."""

    def __init__(self, include: Iterable[str | Path] = (), entry_points: bool = True):
        self._include = [Path(p) for p in include]
        self._entry_points = entry_points
        self._tasks: Registry[Any] | None = None
        self._models: Registry[ModelEntry] | None = None
        self._plugins: list[ModuleType] | None = None

    def _plugin_modules(self) -> list[ModuleType]:
        if self._plugins is None:
            self._plugins = [m for path in self._include for m in _import_path(path)]
        return self._plugins

    def _build(self, kind: str, builtins: tuple[str, ...], which: int) -> Registry[Any]:
        """One registry: ``which`` picks tasks (0) or models (1) from every source's ``(tasks, models)``."""
        reg: Registry[Any] = Registry(kind)
        key = (lambda t: t.spec.id) if which == 0 else (lambda e: e.name)
        sources: list[tuple[str, list[Any]]] = []
        for name in builtins:
            obj = load_name(name)
            sources.append((f"built-in {name}", _tasks_from(obj) if which == 0 else list(obj)))
        if self._entry_points:
            for group, is_task in ((TASK_GROUP, True), (MODEL_GROUP, False)):
                sources += [(origin, items[which]) for origin, *items in _entry_point_items(group, is_task)]
        for module in self._plugin_modules():
            decorated = _decorated(module)[which]
            own = _tasks_from(module) if which == 0 else _models_from(module)
            sources.append((f"--include {module.__file__}", own + decorated))
        for origin, items in sources:
            for item in items:
                reg.add(key(item), item, origin)
        return reg

    @property
    def tasks(self) -> Registry[Any]:
        if self._tasks is None:
            self._tasks = self._build("task", BUILTIN_TASKS, 0)
        return self._tasks

    def resolve_model(self, name: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """``(registered name, options)`` for ``name``: a registered model, or a Hugging Face id protbench knows
        (``facebook/esm2_t6_8M_UR50D``), resolved to its architecture with weights from the local HF cache."""
        if name in self.models or "/" not in name:
            self.models.get(name)           # unknown names fail with a suggestion
            return name, dict(options)
        hub = load_name("protbench.models.hub:resolve")
        try:
            return hub(name, options)
        except KeyError:
            known = ", ".join(sorted(load_name("protbench.models.hub:HF_IDS")))
            raise RegistryError(f"unknown model {name!r}: not registered, and not a Hugging Face id protbench maps "
                                f"onto an architecture (known ids: {known}); see `protbench list models`") from None

    @property
    def models(self) -> Registry[ModelEntry]:
        if self._models is None:
            self._models = self._build("model", BUILTIN_MODELS, 1)
        return self._models


def _entry_point_items(group: str, is_task: bool) -> list[tuple[str, list[Any], list[ModelEntry]]]:
    """``(origin, tasks, models)`` of every installed entry point of ``group``."""
    out = []
    for ep in metadata.entry_points(group=group):
        origin = f"entry point {ep.name!r} = {ep.value} (distribution {getattr(ep.dist, 'name', '?')})"
        _PENDING_TASKS.clear()
        _PENDING_MODELS.clear()
        try:
            obj = ep.load()
        except Exception as exc:
            raise RegistryError(f"{origin}: loading failed: {type(exc).__name__}: {exc}") from exc
        dec_tasks, dec_models = _decorated(sys.modules[ep.module])
        if isinstance(obj, ModuleType):
            out.append((origin, _tasks_from(obj) + dec_tasks, _models_from(obj) + dec_models))
        elif is_task:
            out.append((origin, _tasks_from(obj) + dec_tasks, dec_models))
        else:
            out.append((origin, dec_tasks, _models_from(obj, ep.name) + dec_models))
    return out


def load_registries(include: Iterable[str | Path] = (), entry_points: bool = True) -> Registries:
    """The registries; ``include`` paths are plugin files or folders. Without plugins both registries are
    built lazily; with ``include`` they are built now, so a broken or clashing plugin fails at once."""
    reg = Registries(include, entry_points)
    if reg._include:
        reg.tasks, reg.models   # noqa: B018 - build now
    return reg
