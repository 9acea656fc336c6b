"""Issue 13 E3/E4 and friends: bad arguments are usage errors (exit 2) before any work; mirrors, plugins'
sys.exit, invalid registry ids and terminal control characters."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import textwrap

import pytest
from protbench.cli import main
from protbench.fetch import ChecksumError, Fetcher
from protbench.registry import ModelEntry, Registry, RegistryError
from protbench.spec import DataSource


def _usage(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


RUN = ["run", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke"]


# -- E3 ------------------------------------------------------------------------------------------------
def test_cuda_device_without_cuda_is_one_line_usage_error(tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    err = _usage(RUN + ["--device", "cuda", "--output-dir", str(tmp_path / "o")], capsys)
    assert "--device cuda: CUDA is not available" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()                       # before any work
    err = _usage(["embed", "--model", "aac", "--device", "cuda:1"], capsys)
    assert "CUDA is not available" in err


# -- E4 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("extra, text", [
    (["--seeds", "-1"], "must be at least 0"), (["--seeds", "0", "x"], "whole number"),
    (["--limit", "0"], "at least 1"), (["--limit", "-5"], "at least 1"),
    (["--token-budget", "0"], "at least 1"), (["--token-budget", "-3"], "at least 1"),
])
def test_bad_numbers_are_usage_errors(capsys, extra, text):
    assert text in _usage(RUN + extra, capsys)


def test_embed_token_budget_and_limit_checked(capsys):
    assert "at least 1" in _usage(["embed", "--model", "aac", "--token-budget", "0"], capsys)
    assert "at least 1" in _usage(["embed", "--model", "aac", "--limit", "0"], capsys)


def test_mirror_file_or_missing_folder_is_usage_error(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    assert "is a file, not a folder" in _usage(RUN + ["--mirror", str(f)], capsys)
    assert "no such folder" in _usage(RUN + ["--mirror", str(tmp_path / "nope")], capsys)
    assert "no such folder" in _usage(["prefetch", "--all", "--mirror", str(tmp_path / "nope")], capsys)


def test_corrupt_copy_in_first_mirror_does_not_stop_search(tmp_path):
    good = b"good payload\n"
    src = DataSource(filename="data.txt", url="https://example.invalid/data.txt", md5=hashlib.md5(good).hexdigest())
    (tmp_path / "m1").mkdir()
    (tmp_path / "m2").mkdir()
    (tmp_path / "m1" / "data.txt").write_bytes(b"corrupt")
    (tmp_path / "m2" / "data.txt").write_bytes(good)
    f = Fetcher(cache_dir=tmp_path / "c", mirrors=[tmp_path / "m1", tmp_path / "m2"], offline=True)
    assert f.fetch(src) == tmp_path / "m2" / "data.txt"
    # a corrupt cached copy does not hide a good mirror copy either
    (tmp_path / "c" / "downloads").mkdir(parents=True)
    (tmp_path / "c" / "downloads" / "data.txt").write_bytes(b"bad")
    assert f.fetch(src) == tmp_path / "m2" / "data.txt"
    # no good copy at all: every corrupt copy named
    (tmp_path / "m2" / "data.txt").write_bytes(b"also bad")
    with pytest.raises(ChecksumError, match=r"every copy of data.txt found is corrupt") as exc:
        Fetcher(cache_dir=tmp_path / "c", mirrors=[tmp_path / "m1", tmp_path / "m2"], offline=True).fetch(src)
    assert str(tmp_path / "m1" / "data.txt") in str(exc.value) and str(tmp_path / "m2" / "data.txt") in str(exc.value)


def test_list_unknown_family_suggests(capsys):
    assert main(["list", "tasks", "--family", "mutaton"]) == 2
    err = capsys.readouterr().err
    assert "unknown family 'mutaton'" in err and "did you mean 'mutation'" in err
    assert main(["list", "tasks", "--family", "mutation"]) == 0


def test_leaderboard_missing_folder_is_usage_error(tmp_path, capsys):
    assert main(["leaderboard", str(tmp_path / "missing_dir"), "--no-registry", "--out", str(tmp_path / "o")]) == 2
    assert "missing_dir" in capsys.readouterr().err


# -- plugin sys.exit ------------------------------------------------------------------------------------
PLUGIN = """
import sys
import numpy as np
from protbench.registry import register_model
from protbench.spec import ModelMeta

class Quitter:
    def __init__(self, **kw):
        self.meta = ModelMeta(name="quitter", fingerprint="q-v1", dim=4, max_length=1000)
    def embed_proteins(self, seqs):
        sys.exit(3)

register_model("quitter")(Quitter)
"""


def test_plugin_model_sys_exit_recorded_as_failed(tmp_path, capsys):
    plugin = tmp_path / "quit.py"
    plugin.write_text(textwrap.dedent(PLUGIN))
    rc = main(["run", "--model", "quitter", "--tasks", "binloc", "beta-lactamase", "--profile", "smoke",
               "--include", str(plugin), "--cache-dir", str(tmp_path / "c"), "--output-dir", str(tmp_path / "o")])
    assert rc == 1
    for task in ("binloc", "beta-lactamase"):        # the run went on to the second task
        res = json.loads((tmp_path / "o" / "quitter" / "smoke" / f"{task}.json").read_text())
        assert res["status"] == "failed" and "sys.exit(3)" in res["error"]


def test_protocol_sys_exit_recorded_as_failed(tmp_path, monkeypatch, capsys):
    from protbench import protocols as P

    real_get = P.get

    def get(name):
        spec = real_get(name)
        return dataclasses.replace(spec, run=lambda ctx: exit("bye")) if name == "probe" else spec

    monkeypatch.setattr(P, "get", get)
    rc = main(RUN + ["--cache-dir", str(tmp_path / "c"), "--output-dir", str(tmp_path / "o")])
    assert rc == 1
    res = json.loads((tmp_path / "o" / "aac" / "smoke" / "beta-lactamase.json").read_text())
    assert res["status"] == "failed" and "sys.exit('bye')" in res["error"]


# -- registry ids and control characters ----------------------------------------------------------------
@pytest.mark.parametrize("bad", ["a/b", "../x", "", " x", "-x", "x y", "x\x1b[2J", "x\x07", "x\x9b", "\u00e9", 5])
def test_invalid_ids_refused_naming_id_and_origin(bad):
    with pytest.raises(RegistryError, match=r"invalid model id .* from plugin\.py"):
        Registry("model").add(bad, ModelEntry(str(bad), dict), "plugin.py")


@pytest.mark.parametrize("good", ["esm2-8m", "my_model", "org@v1.2", "a:b+c", "X"])
def test_valid_ids_accepted(good):
    Registry("model").add(good, ModelEntry(good, dict), "plugin.py")


def test_plugin_with_invalid_id_is_usage_error(tmp_path, capsys):
    plugin = tmp_path / "p.py"
    plugin.write_text("from protbench.registry import register_model\n"
                      "register_model('evil/../../x')(dict)\n")
    assert main(["list", "models", "--include", str(plugin)]) == 2
    err = capsys.readouterr().err
    assert "invalid model id 'evil/../../x'" in err and str(plugin) in err


def test_control_characters_stripped_from_list_tables(tmp_path, capsys):
    plugin = tmp_path / "p.py"
    desc = "nice\\x1b]0;pwned\\x07 \\x1b[31mred\\x9b model"
    plugin.write_text("from protbench.registry import register_model\n"
                      f"register_model('ok-model', description='{desc}')(dict)\n")
    assert main(["list", "models", "--include", str(plugin)]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("ok-model"))
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in line)
    assert "nice]0;pwned [31mred model" in line
