"""Issue 29, fuzz-style: generated bad values for every declared protocol setting (and every numeric option of
the commands) are refused before any file is written: exit status 2 on the command line, our own ValueError
subclass (ParamError) from the Python API, and a message naming the setting and its allowed values.

The settings come from the declarations themselves (:func:`protbench.protocols.settings.allowed_of`), so a
setting added later is fuzzed without touching this file."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import protbench
from protbench.cli import main
from protbench.protocols import get, names
from protbench.protocols.settings import ParamError, allowed_of, describe

DECLARED = [(proto, name, spec) for proto in names() for name, spec in sorted(allowed_of(get(proto).config).items())]
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
NOT_NONE = {"none", "null"}


def test_every_protocol_declares_its_settings():
    """Every numeric or choice setting of every protocol has declared allowed values (booleans and free-text
    file names excepted)."""
    import dataclasses
    import typing

    for proto in names():
        config = get(proto).config
        hints = typing.get_type_hints(config)
        declared = allowed_of(config)
        for f in dataclasses.fields(config):
            if hints[f.name] is bool or f.name in ("split_file", "split_sha256"):
                continue
            assert f.name in declared, f"{proto}.{f.name} has no declared allowed values"


def test_every_preset_resolves_within_the_declared_ranges():
    from protbench.protocols.params import PRESETS, resolve

    for proto in names():
        for preset in PRESETS:
            for quick in (False, True):
                resolve(proto, preset_name=preset, quick=quick)      # raises ParamError when out of range


def _numbers_outside(allowed, kind) -> st.SearchStrategy:
    out = [st.sampled_from([math.nan, math.inf, -math.inf])]
    if allowed.low is not None:
        below = st.floats(max_value=allowed.low, exclude_max=not allowed.low_open, allow_nan=False,
                          allow_infinity=False, min_value=-1e12)
        out.append(below.map(math.floor) if kind is int else below)
    if allowed.high is not None:
        above = st.floats(min_value=allowed.high, exclude_min=not allowed.high_open, allow_nan=False,
                          allow_infinity=False, max_value=1e12)
        out.append(above.map(math.ceil) if kind is int else above)
    if kind is int:
        out.append(st.floats(min_value=-1e6, max_value=1e6).filter(lambda x: not float(x).is_integer()))
    return st.one_of(out)


def bad_value(spec) -> st.SearchStrategy:
    """A value outside ``spec`` = (allowed, item kind, optional, is tuple), as Python (API) or its text (CLI)."""
    allowed, kind, optional, is_tuple = spec
    if allowed.choices is not None:
        one = WORDS.filter(lambda w: w not in allowed.choices and w not in NOT_NONE)
    else:
        one = _numbers_outside(allowed, kind)
    if is_tuple:
        return st.one_of(st.just(()), st.lists(one, min_size=1, max_size=3).map(tuple))
    return one


def as_text(value) -> str:
    if isinstance(value, tuple):
        return "[" + ",".join(as_text(v) if not isinstance(v, str) else f'"{v}"' for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)             # nan, inf, -inf
    return repr(value) if isinstance(value, float) else str(value)


CASES = st.sampled_from(DECLARED).flatmap(lambda d: st.tuples(st.just(d), bad_value(d[2])))
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@FUZZ
@given(case=CASES)
def test_cli_refuses_every_bad_setting_with_exit_2(tmp_path_factory, capsys, case):
    (proto, name, spec), value = case
    out = tmp_path_factory.mktemp("fuzz")
    code = main(["run", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke", "--output-dir",
                 str(out / "r"), "--cache-dir", str(out / "c"), "--param", f"{proto}.{name}={as_text(value)}"])
    err = capsys.readouterr().err
    assert code == 2, (proto, name, value, err)
    assert f"{proto}.{name}" in err and describe(*spec) in err, err
    assert files_under(out) == []


@FUZZ
@given(case=CASES)
def test_api_refuses_every_bad_setting_with_our_value_error(tmp_path_factory, case):
    (proto, name, spec), value = case
    out = tmp_path_factory.mktemp("fuzz")
    with pytest.raises(ParamError) as exc:
        protbench.run("aac", tasks=["beta-lactamase"], profile="smoke", output_dir=out / "r", cache_dir=out / "c",
                      params={f"{proto}.{name}": value})
    assert isinstance(exc.value, ValueError)
    assert f"{proto}.{name}" in str(exc.value) and describe(*spec) in str(exc.value)
    assert files_under(out) == []


# every numeric option of the commands: (command line before the option, option, allowed text in the message)
OPTIONS = [
    (["run", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke"], "--limit", 1),
    (["run", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke"], "--seeds", 0),
    (["run", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke"], "--jobs", 1),
    (["run", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke"], "--threads", 1),
    (["run", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke"], "--token-budget", 1),
    (["embed", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke"], "--limit", 1),
    (["embed", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke"], "--threads", 1),
    (["embed", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke"], "--token-budget", 1),
    (["leaderboard", "--no-figures", "-q"], "--bootstrap", 0),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(OPTIONS), value=st.one_of(st.integers(max_value=-1), st.just(0), WORDS,
                                                         st.floats(allow_nan=True).map(str)))
def test_numeric_command_options_exit_2(tmp_path_factory, capsys, option, value):
    argv, flag, minimum = option
    try:
        ok = int(str(value)) >= minimum
    except ValueError:
        ok = False
    if ok:
        return
    out = tmp_path_factory.mktemp("fuzz")
    where = ["--output-dir", str(out / "r")] if argv[0] == "run" else ["--out", str(out / "r")] \
        if argv[0] == "leaderboard" else []
    with pytest.raises(SystemExit) as exc:
        main([*argv, *where, "--cache-dir" if argv[0] != "leaderboard" else "--format", str(out / "c")
              if argv[0] != "leaderboard" else "md", flag, str(value)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert flag in err
    assert files_under(out) == []


@pytest.mark.parametrize("argv", [
    ["compare", "A", "B", "--tolerance", "nan"],
    ["compare", "A", "B", "--tolerance", "-0.1"],
    ["compare", "A", "B", "--metric-tolerance", "spearman=nan"],
    ["leaderboard", "A", "--alpha", "2"],
    ["leaderboard", "A", "--alpha", "nan"],
])
def test_leaderboard_and_compare_numbers_exit_2(tmp_path, argv):
    for d in ("A", "B"):
        (tmp_path / d).mkdir()
    argv = [str(tmp_path / a) if a in ("A", "B") else a for a in argv]
    with pytest.raises(SystemExit) as exc:
        main(argv + (["--out", str(tmp_path / "out")] if argv[0] == "leaderboard" else []))
    assert exc.value.code == 2
    assert not (tmp_path / "out").exists()
