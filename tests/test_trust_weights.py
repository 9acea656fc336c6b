"""Issue 12.1: a model that needs weights never runs with random weights under its real name."""
from __future__ import annotations

from pathlib import Path

import pytest

from protbench import results as R
from protbench.cli import main
from protbench.fetch import Fetcher
from protbench.registry import load_registries
from protbench.runner import RunConfig, Runner, WeightsRequired, weights_provenance

PLUGIN = '''
from protbench import register_model
from protbench.models.features import FeatureModel

@register_model("toy-pretrained", description="toy model whose weights are a file", needs_weights=True)
def toy(weights=None):
    return FeatureModel("aac")
'''


@pytest.fixture
def plugin(tmp_path) -> Path:
    p = tmp_path / "toyweights.py"
    p.write_text(PLUGIN)
    return p


def config(tmp_path, **kw) -> RunConfig:
    return RunConfig(model="toy-pretrained", output_dir=tmp_path / "results", profile="smoke", quick=True,
                     fetcher=Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=True), **kw)


@pytest.mark.parametrize("model", ["esm2-8m", "esm2-650m", "esm1b", "protbert", "ontoprotein", "protst-esm2",
                                   "protclip"])
def test_models_that_need_weights_refuse_to_run_without_them(model, tmp_path, capsys):
    code = main(["run", "--model", model, "--tasks", "beta-lactamase", "--offline", "--output-dir",
                 str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert code == 2
    assert "--weights" in err and "--random-init" in err
    assert not (tmp_path / "r").exists()       # nothing written under the model's name


def test_embed_refuses_too(tmp_path, capsys):
    assert main(["embed", "--model", "esm2-8m", "--tasks", "beta-lactamase", "--offline",
                 "--cache-dir", str(tmp_path / "c")]) == 2
    assert "--weights" in capsys.readouterr().err


def test_runner_refuses_without_weights(tmp_path, plugin):
    reg = load_registries(include=[plugin], entry_points=False)
    with pytest.raises(WeightsRequired, match="--random-init"):
        Runner(config(tmp_path), reg)


def test_random_init_is_recorded_under_its_own_name(tmp_path, plugin):
    reg = load_registries(include=[plugin], entry_points=False)
    runner = Runner(config(tmp_path, random_init=True), reg)
    out = runner.run_task("beta-lactamase")
    assert out.status == "ok", out.message
    assert out.path.parent.parent.name == "toy-pretrained@random-init"
    res = R.read_result(out.path)
    assert res["model"]["name"] == "toy-pretrained@random-init"
    assert res["identity"]["model"]["name"] == "toy-pretrained@random-init"
    assert res["identity"]["weights"] == "random-init"


def test_weights_provenance_is_in_the_identity_and_a_change_recomputes(tmp_path, plugin):
    reg = load_registries(include=[plugin], entry_points=False)
    w = tmp_path / "weights.bin"
    w.write_bytes(b"first")
    out = Runner(config(tmp_path, model_options={"weights": str(w)}), reg).run_task("beta-lactamase")
    res = R.read_result(out.path)
    assert res["identity"]["weights"] == {"file": "weights.bin", "sha256": weights_provenance(w)["sha256"]}
    again = Runner(config(tmp_path, model_options={"weights": str(w)}), reg).run_task("beta-lactamase")
    assert again.status == "kept"
    w.write_bytes(b"second file")
    redo = Runner(config(tmp_path, model_options={"weights": str(w)}), reg).run_task("beta-lactamase")
    assert redo.status == "ok" and "weights differs" in redo.message


def test_folder_weights_hash_every_file_in_order(tmp_path):
    d = tmp_path / "model"
    (d / "sub").mkdir(parents=True)
    (d / "config.json").write_text("{}")
    (d / "sub" / "w.bin").write_bytes(b"abc")
    first = weights_provenance(d)
    assert first["file"] == "model" and len(first["sha256"]) == 64
    assert weights_provenance(d) == first
    (d / "sub" / "w.bin").write_bytes(b"abcd")
    assert weights_provenance(d)["sha256"] != first["sha256"]
    assert weights_provenance(None) is None and weights_provenance(None, random_init=True) == "random-init"


def test_random_init_and_weights_exclude_each_other(tmp_path):
    with pytest.raises(ValueError, match="exclude"):
        config(tmp_path, random_init=True, model_options={"weights": "x"})
