"""Issue 29: a result is recorded under the id it was asked for, with the weights that id names. A plugin cannot
record as another model, a weights folder of another size or vocabulary is refused naming the file, a misspelt
model option is refused, and the Python API checks its arguments before any fetch or compute."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import protbench
from protbench import api
from protbench.cli import main

SMOKE = ["--tasks", "beta-lactamase", "--profile", "smoke", "--limit", "24"]

PLUGIN = '''
import numpy as np
from protbench.registry import register_model
from protbench.spec import ModelMeta


class Model:
    def __init__(self, name):
        self.meta = ModelMeta(name=name, fingerprint="plugin-" + name, dim=3, max_length=1000)

    def embed_proteins(self, seqs):
        return np.array([[len(s), s.count("A"), s.count("L")] for s in seqs], dtype=np.float32)


@register_model("impostor")
def impostor():
    return Model("aac")          # names itself after a built-in


@register_model("renamed")
def renamed():
    return Model("something-else")
'''


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def plugin(tmp_path) -> Path:
    path = tmp_path / "plugin.py"
    path.write_text(PLUGIN)
    return path


def test_plugin_naming_itself_after_another_model_never_writes_as_it(tmp_path, plugin):
    out = tmp_path / "results"
    (out / "aac" / "smoke").mkdir(parents=True)
    kept = out / "aac" / "smoke" / "beta-lactamase.json"
    kept.write_text("aac's own result\n")
    assert main(["run", "--model", "impostor", "--include", str(plugin), *SMOKE, "--output-dir", str(out),
                 "--param", "probe.heads=linear"]) == 0
    assert kept.read_text() == "aac's own result\n" and files_under(out / "aac") == [kept]
    res = json.loads((out / "impostor" / "smoke" / "beta-lactamase.json").read_text())
    assert res["model"]["name"] == "impostor" and res["identity"]["model"]["name"] == "impostor"


def test_builtin_renamed_as_another_model_is_refused(tmp_path, capsys):
    out = tmp_path / "results"
    code = main(["run", "--model", "esm2-tiny", "--model-opt", "name=aac", *SMOKE, "--output-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "'aac'" in err and "esm2-tiny" in err
    assert files_under(out) == []


def test_plugin_results_are_recorded_under_the_registered_id(tmp_path, plugin):
    out = tmp_path / "results"
    assert main(["run", "--model", "renamed", "--include", str(plugin), *SMOKE, "--output-dir", str(out),
                 "--param", "probe.heads=linear"]) == 0
    res = json.loads((out / "renamed" / "smoke" / "beta-lactamase.json").read_text())
    assert res["model"]["name"] == "renamed" and res["status"] == "ok"
    assert not (out / "something-else").exists()


def test_api_model_object_named_after_a_registered_model_is_refused(tmp_path):
    import numpy as np

    from protbench.spec import ModelMeta

    class Fake:
        meta = ModelMeta(name="aac", fingerprint="fake", dim=1, max_length=100)

        def embed_proteins(self, seqs):
            return np.zeros((len(seqs), 1), np.float32)

    with pytest.raises(api.ApiArgumentError, match="'aac'"):
        protbench.run(Fake(), tasks=["beta-lactamase"], profile="smoke", output_dir=tmp_path / "r")
    assert files_under(tmp_path / "r") == []


@pytest.mark.parametrize("opt", ["--model-opt", "--weights"])
def test_unknown_model_option_is_refused(tmp_path, capsys, opt):
    value = "laeyr=3" if opt == "--model-opt" else str(tmp_path)
    code = main(["run", "--model", "aac" if opt == "--weights" else "esm2-tiny", opt, value, *SMOKE,
                 "--output-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2
    assert ("'laeyr'" if opt == "--model-opt" else "'weights'") in err
    assert files_under(tmp_path / "r") == []


# --- weights folders ----------------------------------------------------------------------------------------

def tiny_folder(path: Path) -> Path:
    """A transformers folder of the 2-layer 64-d ESM-2 (what save_pretrained writes: config.json +
    model.safetensors) with the ESM vocabulary beside it."""
    from protbench.models.esm import ESM_ALPHABET, ESM2

    ESM2("tiny", seed=1).module.save_pretrained(path)
    (path / "vocab.txt").write_text("\n".join(ESM_ALPHABET) + "\n")
    return path


def run_weights(tmp_path, model: str, folder: Path, capsys) -> tuple[int, str]:
    code = main(["run", "--model", model, "--weights", str(folder), *SMOKE, "--output-dir", str(tmp_path / "r")])
    return code, capsys.readouterr().err


def test_weights_folder_of_another_size_is_refused(tmp_path, capsys):
    folder = tiny_folder(tmp_path / "tiny")
    code, err = run_weights(tmp_path, "esm2-8m", folder, capsys)
    assert code == 2
    assert str(folder / "config.json") in err and "2 layers, 64-d" in err and "6 layers, 320-d" in err
    assert files_under(tmp_path / "r") == []


def test_weights_folder_with_a_permuted_vocabulary_is_refused(tmp_path, capsys):
    from protbench.models.esm import ESM_ALPHABET

    folder = tiny_folder(tmp_path / "tiny")
    tokens = list(ESM_ALPHABET)
    tokens[4], tokens[5] = tokens[5], tokens[4]          # L <-> A
    (folder / "vocab.txt").write_text("\n".join(tokens) + "\n")
    code, err = run_weights(tmp_path, "esm2-tiny", folder, capsys)
    assert code == 2 and str(folder / "vocab.txt") in err and "line 5" in err
    assert files_under(tmp_path / "r") == []


def test_weights_folder_with_another_vocab_size_is_refused(tmp_path, capsys):
    folder = tiny_folder(tmp_path / "tiny")
    config = json.loads((folder / "config.json").read_text())
    config["vocab_size"] = 20
    (folder / "config.json").write_text(json.dumps(config))
    code, err = run_weights(tmp_path, "esm2-tiny", folder, capsys)
    assert code == 2 and str(folder / "config.json") in err and "20 tokens" in err
    assert "Traceback" not in err and "IndexError" not in err


class _Gadget:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickle_weights_are_refused_with_our_message(tmp_path, capsys):
    folder = tiny_folder(tmp_path / "tiny")
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "gadget-ran"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"w": _Gadget(marker)}))
    code, err = run_weights(tmp_path, "esm2-tiny", folder, capsys)
    assert code == 2
    assert str(folder / "pytorch_model.bin") in err and "never executes" in err
    assert "weights_only=False" not in err
    assert not marker.exists()


# --- the Python API's arguments -----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, words", [
    ({"seeds": ["a"]}, "ApiTypeError", "seeds"),
    ({"seeds": []}, "ApiArgumentError", "seeds"),
    ({"seeds": [-1]}, "ApiArgumentError", ">= 0"),
    ({"seeds": "0"}, "ApiTypeError", "seeds"),
    ({"limit": 0}, "ApiArgumentError", "limit"),
    ({"limit": 2.5}, "ApiTypeError", "limit"),
    ({"tasks": "binloc"}, "ApiTypeError", "tasks=['binloc']"),
    ({"profile": "bogus"}, "ApiArgumentError", "'real', 'smoke'"),
    ({"overwrite": "sometimes"}, "ApiArgumentError", "overwrite"),
    ({"protocol": "bogus"}, "ApiArgumentError", "protocol"),
    ({"preset": "bogus"}, "ApiArgumentError", "preset"),
])
def test_api_run_refuses_bad_arguments_before_any_work(tmp_path, kwargs, error, words):
    args = {"tasks": ["beta-lactamase"], "profile": "smoke", "output_dir": tmp_path / "r", **kwargs}
    with pytest.raises(getattr(api, error)) as exc:     # our ValueError / TypeError subclasses
        protbench.run("aac", **args)
    assert words in str(exc.value)
    assert files_under(tmp_path / "r") == []


def test_api_load_task_refuses_an_unknown_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("PROTBENCH_MIRROR", str(tmp_path))
    with pytest.raises(api.ApiArgumentError, match="profile"):
        protbench.load_task("beta-lactamase", profile="bogus")
    with pytest.raises(api.ApiArgumentError, match="limit"):
        protbench.load_task("beta-lactamase", profile="smoke", limit=0)
