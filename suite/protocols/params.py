"""One override dialect for every protocol, and named presets.

``--param <protocol>.<field>=<value>`` sets one field of a protocol's config dataclass
(``--param probe.heads=mlp``, ``--param ppi-gnn.aggregation=sum``). Values are converted to the
field's declared type (tuples from comma-separated lists or JSON lists; ``none`` for optional
fields); an unknown protocol or field, or a value of the wrong type, is a :class:`ParamError`
(exit 2 on the command line) that lists the valid fields with their defaults.

A **preset** is a named, documented set of overrides (``--preset quick``); explicit ``--param``
values win over the preset's. The resolved config (every field) is recorded with each result.
"""
from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from . import UnknownProtocol, get, names
from .settings import ParamError, allowed_of, check_config, check_values, describe

__all__ = ["ParamError", "PRESETS", "Preset", "check_config", "config_dict", "convert", "parse_items", "preset",
           "resolve"]


@dataclass(frozen=True)
class Preset:
    """A named set of overrides: ``overrides[protocol][field] = value``, or a function of the protocol's
    default config (``configure(name, config_type) -> {field: value}``)."""

    name: str
    description: str
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    configure: Callable[[str, type], Mapping[str, Any]] | None = None
    citation: str = ""

    def for_protocol(self, protocol: str, config_type: type) -> dict[str, Any]:
        out = dict(self.configure(protocol, config_type)) if self.configure else {}
        out.update(self.overrides.get(protocol, {}))
        return out


def _quick(protocol: str, config_type: type) -> dict[str, Any]:
    """The fields where ``config_type.quick()`` differs from the defaults."""
    default, quick = config_type(), config_type.quick()
    return {f.name: getattr(quick, f.name) for f in dataclasses.fields(config_type)
            if getattr(quick, f.name) != getattr(default, f.name)}


PEER_CITATION = ("Xu et al. 2022, PEER: A Comprehensive and Multi-Task Benchmark for Protein Sequence "
                 "Understanding (NeurIPS Datasets and Benchmarks; arXiv 2206.02096); configs "
                 "DeepGraphLearning/PEER_Benchmark config/single_task/{DDE,Moran}/*.yaml @ 07877b313d5e; torchdrug "
                 "PropertyPrediction / Statistic / Physicochemical / Engine (see docs/reproducing-published.md)")

# GNN-PPI's training as its code runs it (gnn_train.py, run.py @ cd1843ebec57): the gnn-ppi and plm-ppi presets
GNN_PPI_TRAINING = {"valid_fraction": 0.0, "graph": "all", "select_on": "test", "aggregation": "sum", "hidden": 512,
                    "input_dim": 256, "lr": 1e-3, "weight_decay": 5e-4, "batch_size": 2048, "max_epochs": 300,
                    "patience": 300, "lr_plateau_patience": 20, "standardize": False, "split_seed": None}

PRESETS: dict[str, Preset] = {
    "quick": Preset("quick", "cheap settings for smoke runs and tests (each config's quick()); never the "
                             "benchmark's setting", configure=_quick),
    "peer": Preset(
        "peer", "PEER's single-task recipe for feature encoders (DDE, Moran): the encoder's Linear(d, 512) + ReLU, "
                "2-layer MLP head of width 512, raw inputs and targets, Adam lr 1e-4 (no weight decay), batch 64 "
                "(16 x 4 GPUs), 100 epochs, validation every 10 epochs, the best validation checkpoint tested; "
                "data order independent of the seed",
        overrides={"probe": {"heads": ("peer-mlp",), "hidden": 512, "dropout": 0.0, "learning_rates": (1e-4,),
                             "weight_decays": (0.0,), "batch_size": 64, "max_epochs": 100, "eval_every": 10,
                             "patience": 1000, "standardize_inputs": False, "standardize_targets": False,
                             "shuffle_seed": 0}},
        citation=PEER_CITATION),
    "gnn-ppi": Preset(
        "gnn-ppi", "the GNN-PPI paper's protocol as its code runs it: no validation split (20 % held out), the "
                   "message-passing graph holds every pair (held-out ones too, GCA), the epoch is chosen on the "
                   "held-out test pairs (so test scores are optimistic; tables mark it; the last epoch's are "
                   "recorded too), GIN with sum aggregation, node input to 256 then hidden 512, raw inputs, Adam lr "
                   "1e-3 / weight decay 5e-4, batch 2048, 300 epochs, lr halved after 20 epochs without a lower "
                   "training loss, a new split per seed (GNN-PPI's spread is over splits)",
        overrides={p: dict(GNN_PPI_TRAINING) for p in ("ppi-gnn", "pair-mlp", "ppi-gnn-finetune")},
        citation="Lv et al. 2021, IJCAI (arXiv 2105.06709); lvguofeng/GNN_PPI gnn_data.py, gnn_model.py, "
                 "gnn_train.py, run.py @ cd1843ebec57 (see docs/reproducing-published.md §4)"),
    "plm-ppi": Preset(
        "plm-ppi", "the protocol protein-language-model papers run on GNN-PPI's splits (OntoProtein, KeAP): frozen "
                   "mean-pooled embeddings, raw, through Linear(d, 256) into GNN-PPI's 512-wide GIN and head, trained "
                   "as GNN-PPI trains (GCA graph, epoch chosen on the held-out pairs, sum aggregation, Adam 1e-3 / "
                   "5e-4, batch 2048, 300 epochs, plateau halving after 20), a new split per seed",
        overrides={"ppi-gnn": dict(GNN_PPI_TRAINING)},
        citation="Zhang et al. 2022 (OntoProtein, ICLR) zjunlp/OntoProtein src/benchmark/GNN_PPI @ 4bf656ab; Zhou et "
                 "al. 2023 (KeAP, ICLR) RL4M/KeAP src/benchmark/GNN_PPI @ 4c3d0bc2 (gnn_model.py GIN_Net3, "
                 "gnn_train.py, run.py; see docs/reproducing-published.md §4a)"),
}


def preset(name: str | None) -> Preset | None:
    if name is None:
        return None
    if name not in PRESETS:
        raise ParamError(f"unknown preset {name!r}; known: "
                         + "; ".join(f"{p.name} ({p.description})" for p in PRESETS.values()))
    return PRESETS[name]


def parse_items(items: Iterable[str] | Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """``["probe.heads=mlp", ...]`` (or ``{"probe.heads": "mlp"}``) -> ``{"probe": {"heads": "mlp"}}``.

    Values given as strings stay strings here; :func:`resolve` converts them to the field's type.
    """
    pairs: list[tuple[str, Any]] = []
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        for item in items or ():
            if "=" not in item:
                raise ParamError(f"--param {item!r}: expected PROTOCOL.FIELD=VALUE, e.g. probe.heads=mlp")
            k, v = item.split("=", 1)
            pairs.append((k, v))
    out: dict[str, dict[str, Any]] = {}
    for key, value in pairs:
        proto, dot, name = key.partition(".")
        if not dot or not name:
            raise ParamError(f"--param {key}={value}: name the protocol, e.g. probe.{key}=... "
                             f"(protocols: {', '.join(names())})")
        if proto not in names():
            raise ParamError(f"--param {key}: unknown protocol {proto!r}; known: {', '.join(names())}")
        out.setdefault(proto, {})[name] = value
    return out


def describe_fields(config_type: type) -> str:
    """``name: type = default (allowed values)`` for every field, one per line."""
    hints = typing.get_type_hints(config_type)
    default = config_type()
    allowed = allowed_of(config_type)
    return "\n".join(f"  {f.name}: {_type_name(hints[f.name])} = {getattr(default, f.name)!r}"
                     + (f"  ({describe(*allowed[f.name])})" if f.name in allowed else "")
                     for f in dataclasses.fields(config_type))


def _type_name(tp: Any) -> str:
    if typing.get_origin(tp) is not None:
        return str(tp).replace("typing.", "")
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def convert(value: Any, tp: Any, where: str) -> Any:
    """``value`` (a string from the command line, or a Python value) as type ``tp``."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union or (origin is not None and str(origin) == "<class 'types.UnionType'>"):
        if isinstance(value, str) and value.lower() in ("none", "null", ""):
            if type(None) in args:
                return None
        inner = [a for a in args if a is not type(None)]
        return convert(value, inner[0], where)
    if origin is tuple:
        inner = args[0] if args else str
        if isinstance(value, str):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = None
            items = parsed if isinstance(parsed, list) else [v for v in value.split(",") if v != ""]
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            items = [value]
        return tuple(convert(v, inner, where) for v in items)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ParamError(f"{where}: expected true or false, got {value!r}")
    if tp in (int, float, str):
        try:
            if tp is int and isinstance(value, str):
                f = float(value)
                if not f.is_integer():
                    raise ValueError
                return int(f)
            if tp is int and isinstance(value, float) and not value.is_integer():
                raise ValueError
            return tp(value)
        except (TypeError, ValueError):
            raise ParamError(f"{where}: expected {tp.__name__}, got {value!r}") from None
    return value


def resolve(protocol: str, overrides: Mapping[str, Any] | None = None, preset_name: str | None = None,
            quick: bool = False) -> Any:
    """The protocol's config: defaults, then the ``quick`` preset (if ``quick``), the named preset, then
    ``overrides`` (``{field: value}``); every field type-checked."""
    try:
        spec = get(protocol)
    except UnknownProtocol as exc:
        raise ParamError(str(exc)) from None
    config_type = spec.config
    hints = typing.get_type_hints(config_type)
    names = {f.name for f in dataclasses.fields(config_type)}
    changes: dict[str, Any] = {}
    for p in ([PRESETS["quick"]] if quick else []) + ([preset(preset_name)] if preset_name else []):
        changes.update(p.for_protocol(protocol, config_type))
    for name, value in (overrides or {}).items():
        if name not in names:
            raise ParamError(f"--param {protocol}.{name}: {protocol} has no field {name!r}; its fields "
                             f"(with defaults):\n{describe_fields(config_type)}")
        try:
            changes[name] = convert(value, hints[name], f"--param {protocol}.{name}")
        except ParamError as exc:
            allowed = allowed_of(config_type).get(name)
            raise ParamError(f"{exc}; allowed: {describe(*allowed)}" if allowed else str(exc)) from None
    check_values(protocol, config_type, changes)
    try:
        config = config_type(**changes) if not changes else dataclasses.replace(config_type(), **changes)
    except (TypeError, ValueError) as exc:
        raise ParamError(f"{protocol} config: {exc}") from None
    check_config(protocol, config)
    return config


def config_dict(config: Any) -> dict[str, Any]:
    """Every field of a resolved config, JSON-ready (tuples as lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=list))
