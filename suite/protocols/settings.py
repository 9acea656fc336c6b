"""Allowed values declared beside each protocol setting, checked once for every entry point.

A config field declared with :func:`setting` carries its allowed values in the field's metadata
(``setting(5, low=0)``: a whole number >= 0 for an ``int`` field). :func:`check_config` checks every
field of a resolved config: floats must be finite, numbers inside their range, strings among their
choices, tuples non-empty with every item allowed. :func:`protbench.protocols.params.resolve` calls it, so
``--param``, presets, ``protbench.run(params=...)`` and ``RunConfig`` all refuse a bad value before any
fetch, load or embedding; the message names the setting and its allowed values.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from typing import Any

ALLOWED = "protbench.allowed"       # the metadata key


class ParamError(ValueError):
    """A ``--param``/``--preset`` the protocols do not know, or a value outside its allowed range (a usage
    error: exit 2 on the command line)."""


@dataclass(frozen=True)
class Allowed:
    """Allowed values of one setting: a range (``low``/``high``, ``*_open``: the bound itself excluded) or
    ``choices``; ``items``: for a tuple setting, at least this many items (each checked against the rest)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None
    items: int = 1

    def describe(self, kind: type) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        noun = "a whole number" if kind is int else "a finite number"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return noun + (" " + " and ".join(parts) if parts else "")

    def admits(self, value: Any) -> bool:
        if self.choices is not None:
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return False
        return True


def setting(default: Any, *, low: float | None = None, high: float | None = None, low_open: bool = False,
            high_open: bool = False, choices: tuple[str, ...] | None = None, items: int = 1) -> Any:
    """A dataclass field with ``default`` and its allowed values (see :class:`Allowed`)."""
    return dataclasses.field(default=default, metadata={ALLOWED: Allowed(low, high, low_open, high_open, choices,
                                                                         items)})


def allowed_of(config_type: type) -> dict[str, tuple[Allowed, type, bool, bool]]:
    """``{field: (allowed, item type, optional, is_tuple)}`` for every declared setting of ``config_type``."""
    hints = typing.get_type_hints(config_type)
    out = {}
    for f in dataclasses.fields(config_type):
        allowed = f.metadata.get(ALLOWED)
        if allowed is None:
            continue
        tp, optional = hints[f.name], False
        args = typing.get_args(tp)
        if type(None) in args:
            optional = True
            tp = next(a for a in args if a is not type(None))
        is_tuple = typing.get_origin(tp) is tuple
        kind = (typing.get_args(tp) or (str,))[0] if is_tuple else tp
        out[f.name] = (allowed, kind, optional, is_tuple)
    return out


def describe(allowed: Allowed, kind: type, optional: bool, is_tuple: bool) -> str:
    text = allowed.describe(kind)
    if is_tuple:
        text = f"a list of at least {allowed.items} value(s), each {text}"
    return text + (", or none" if optional else "")


def check_config(protocol: str, config: Any) -> None:
    """Refuse a config with any setting outside its declared allowed values (:class:`ParamError` naming
    ``protocol.field``, the value and what is allowed)."""
    check_values(protocol, type(config), {name: getattr(config, name) for name in allowed_of(type(config))})


def check_values(protocol: str, config_type: type, values: dict[str, Any]) -> None:
    """:func:`check_config` for some fields of ``config_type`` (``{field: value}``), before the config is built
    (so a bad value is reported in this one form, not by a constructor's own check)."""
    declared = allowed_of(config_type)
    for name, value in values.items():
        if name not in declared:
            continue
        allowed, kind, optional, is_tuple = declared[name]
        if value is None and optional:
            continue
        items = list(value) if is_tuple and isinstance(value, (tuple, list)) else None
        bad = (items is None and is_tuple) or (items is not None and len(items) < allowed.items) \
            or any(not _typed(v, kind) or not allowed.admits(v) for v in (items if items is not None else [value]))
        if bad:
            raise ParamError(f"--param {protocol}.{name}={_show(value)}: out of range; allowed: "
                             f"{describe(allowed, kind, optional, is_tuple)}")


def _typed(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is str:
        return isinstance(value, str)
    return True


def _show(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(_show(v) for v in value)
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
