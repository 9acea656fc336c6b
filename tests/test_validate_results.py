"""Issue 29, numbers that are not what they say: a NaN/null/Infinity never passes as fine, a crafted or damaged
results folder never crashes or hangs ``load_results``, ``leaderboard`` or ``compare`` (each bad file is named
and skipped by the leaderboard and compare, refused by ``load_results``)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import protbench
from protbench import results as R
from protbench.cli import main


def result(model: str, task: str, value, seeds=(0, 1, 2)) -> dict:
    ident = {"model": {"name": model, "fingerprint": "x"}, "task": task, "profile": "real", "limit": None,
             "protocol": {"name": "probe", "preset": None, "config": {"heads": "linear"}}, "dataset": "fp",
             "seeds": list(seeds)}
    return {"schema_version": 1, "kind": "measured", "status": "ok", "created": "2026-01-01T00:00:00+00:00",
            "task": {"id": task, "family": "function", "main_metric": "accuracy"}, "model": {"name": model},
            "profile": "real", "protocol": {"name": "probe", "preset": None, "config": {"heads": "linear"}},
            "seeds": {str(s): {"scores": {"test": {"accuracy": value}}} for s in seeds},
            "summary": {"test": {"accuracy": {"mean": value, "std": 0.02, "n": len(seeds)}}},
            "dataset": {"fingerprint": "fp", "limit": None}, "identity": ident}


def write(root: Path, model: str, task: str, value, text: str | None = None) -> Path:
    (root / model).mkdir(parents=True, exist_ok=True)
    path = root / model / f"{task}.json"
    path.write_text(text if text is not None else json.dumps(result(model, task, value)))
    return path


# --- NaN / null / Infinity -------------------------------------------------------------------------------------

@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_load_results_refuses_non_finite_numbers(tmp_path, literal):
    path = write(tmp_path, "m", "subloc", None, json.dumps(result("m", "subloc", 0.5)).replace("0.5", literal))
    with pytest.raises(R.ResultError, match=str(path).replace("/", ".")):
        protbench.load_results(tmp_path)
    with pytest.warns(UserWarning, match="subloc.json"):
        assert protbench.load_results(tmp_path, errors="skip").empty


@pytest.mark.parametrize("literal", ["NaN", "null"])
def test_compare_fails_when_b_has_no_number(tmp_path, capsys, literal):
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, "m", "subloc", 0.5)
    write(b, "m", "subloc", None, json.dumps(result("m", "subloc", 0.5)).replace("0.5", literal))
    code = main(["compare", str(a), str(b), "--tolerance", "0.01"])
    captured = capsys.readouterr()
    assert code == 1
    assert "no differences beyond tolerance" not in captured.out
    assert "EXCEEDED" in captured.out or "subloc.json" in captured.err


def test_leaderboard_never_prints_nan(tmp_path, capsys):
    res = tmp_path / "res"
    write(res, "m", "subloc", 0.5)
    bad = write(res, "n", "subloc", None, json.dumps(result("n", "subloc", 0.5)).replace("0.5", "NaN"))
    code = main(["leaderboard", str(res), "--out", str(tmp_path / "out"), "--format", "md", "--no-figures",
                 "--no-registry"])
    captured = capsys.readouterr()
    assert code == 0
    assert "nan" not in captured.out.lower()
    assert str(bad) in captured.err


# --- crafted and damaged results folders ---------------------------------------------------------------------

def crafted(root: Path) -> dict[str, Path]:
    """One file per kind of damage an attacker or a disk can leave in a results folder."""
    good = json.dumps(result("m", "subloc", 0.5))
    files = {
        "deep": write(root, "m", "deep", None, "[" * 100_000 + "]" * 100_000),
        "deep-object": write(root, "m", "deepobj", None, '{"schema_version": 1, "x": ' + "[" * 50_000
                             + "]" * 50_000 + "}"),
        "huge-int": write(root, "m", "hugeint", None, good.replace('"n": 3', '"n": ' + "9" * 5000)),
        "ci-one": write(root, "m", "ci", None, good.replace('"n": 3', '"n": 3, "ci": [1], "ci_of": "mean over '
                                                                            'seeds"')),
        "non-utf8": root / "m" / "binary.json",
    }
    files["non-utf8"].write_bytes(b'{"schema_version": 1, "x": "\xff\xfe"}')
    fifo = root / "m" / "fifo.json"
    os.mkfifo(fifo)
    files["fifo"] = fifo
    folder = root / "m" / "folder.json"
    folder.mkdir()
    files["folder"] = folder
    device = root / "m" / "zero.json"          # a link to an endless device
    device.symlink_to("/dev/zero")
    files["device"] = device
    (root / "m" / "loop").symlink_to("..")      # a link back up: the walk must not follow it forever
    write(root, "m", "subloc", 0.5)
    return files


def test_load_results_names_each_crafted_file(tmp_path):
    files = crafted(tmp_path)
    with pytest.warns(UserWarning) as warned:
        df = protbench.load_results(tmp_path, errors="skip")
    text = "\n".join(str(w.message) for w in warned)
    for kind, path in files.items():
        assert str(path) in text, kind
    assert list(df.task.unique()) == ["subloc"]
    for kind, path in files.items():
        if kind == "folder":        # given by itself, a folder is searched, not read
            continue
        with pytest.raises(R.ResultError, match=path.name):
            protbench.load_results(path)


def test_leaderboard_and_compare_skip_crafted_files_by_name(tmp_path, capsys):
    files = crafted(tmp_path / "res")
    code = main(["leaderboard", str(tmp_path / "res"), "--out", str(tmp_path / "out"), "--format", "md",
                 "--no-figures", "--no-registry"])
    err = capsys.readouterr().err
    assert code == 0
    for kind, path in files.items():
        assert str(path) in err, kind
    assert main(["leaderboard", str(tmp_path / "res"), "--out", str(tmp_path / "out"), "--format", "md",
                 "--no-figures", "--no-registry", "--strict", "-q"]) == 1
    capsys.readouterr()
    code = main(["compare", str(tmp_path / "res"), str(tmp_path / "res")])
    err = capsys.readouterr().err
    assert code == 1             # files it could not read: the comparison is incomplete, never a pass
    for kind, path in files.items():
        assert str(path) in err, kind
