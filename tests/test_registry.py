"""Registry: built-ins, entry-point plugins (a real dist-info on sys.path), --include paths, duplicates, typos."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from protbench.registry import RegistryError, load_registries

PLUGIN_TASK = '''
from pathlib import Path
from protbench import TaskSpec, Family, DataSource, register_task, register_model, ModelMeta
from protbench.spec import TaskData, Record, SeedResult
import numpy as np

class LengthTask:
    spec = TaskSpec(id="{tid}", family=Family.MUTATION, description="toy", main_metric="spearman",
                    metrics=("spearman",), protocol="probe",
                    sources=(DataSource("toy.txt", "https://example.org/toy.txt", md5="0" * 32),))
    def load(self, files):
        return TaskData(splits={{"test": [Record("a", "ACDE", 1.0)]}})
    def write_smoke(self, folder):
        p = Path(folder) / "toy.txt"; p.write_text("x"); return {{"toy.txt": p}}
    def evaluate(self, data, emb, seed, options):
        return SeedResult(scores={{"test": {{"spearman": 1.0}}}})

register_task(LengthTask())

@register_model("{mid}", description="length of the sequence")
class LengthModel:
    meta = ModelMeta(name="{mid}", fingerprint="len-v1", dim=1, max_length=10_000)
    def embed_proteins(self, seqs):
        return np.array([[len(s)] for s in seqs], dtype=np.float32)
'''


def write_plugin(path: Path, tid: str = "toy-length", mid: str = "length") -> Path:
    path.write_text(PLUGIN_TASK.format(tid=tid, mid=mid))
    return path


def test_builtins_present():
    reg = load_registries(entry_points=False)
    assert "beta-lactamase" in reg.tasks
    assert {"aac", "esm2-tiny"} <= set(reg.models)


def test_include_file_and_folder(tmp_path):
    f = write_plugin(tmp_path / "plug.py")
    reg = load_registries(include=[f], entry_points=False)
    assert "toy-length" in reg.tasks and "length" in reg.models
    assert "--include" in reg.tasks.origins["toy-length"]
    model = reg.models.get("length").create()
    assert model.embed_proteins(["AAA", "C"]).tolist() == [[3.0], [1.0]]
    # loading twice in one process gives the same registry (decorators ran once, remembered)
    reg2 = load_registries(include=[f], entry_points=False)
    assert "toy-length" in reg2.tasks and "length" in reg2.models

    folder = tmp_path / "plugins"
    folder.mkdir()
    write_plugin(folder / "a.py", "toy-a", "model-a")
    write_plugin(folder / "b.py", "toy-b", "model-b")
    reg = load_registries(include=[folder], entry_points=False)
    assert {"toy-a", "toy-b"} <= set(reg.tasks) and {"model-a", "model-b"} <= set(reg.models)


def test_duplicate_ids_fail_naming_both_origins(tmp_path):
    f = write_plugin(tmp_path / "dup.py", tid="beta-lactamase", mid="dup-model")
    with pytest.raises(RegistryError, match=r"duplicate task id 'beta-lactamase'.*protbench.tasks.mutation.*--include"):
        load_registries(include=[f], entry_points=False)


def test_unknown_id_suggests_closest():
    reg = load_registries(entry_points=False)
    with pytest.raises(RegistryError, match=r"did you mean 'beta-lactamase'"):
        reg.tasks.get("beta-lactamse")
    with pytest.raises(RegistryError, match=r"did you mean 'esm2-tiny'"):
        reg.models.get("esm2-tin")


def test_include_errors_are_clear(tmp_path):
    with pytest.raises(RegistryError, match="no such file"):
        load_registries(include=[tmp_path / "missing.py"], entry_points=False)
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(RegistryError, match=r"bad.py: importing the plugin failed: RuntimeError: boom"):
        load_registries(include=[bad], entry_points=False)


def test_entry_point_plugins(tmp_path, monkeypatch):
    """A distribution with protbench.tasks / protbench.models entry points, visible to importlib.metadata."""
    site = tmp_path / "site"
    site.mkdir()
    write_plugin(site / "pb_toy_plugin.py", tid="ep-task", mid="ep-model")
    (site / "pb_toy_models.py").write_text(textwrap.dedent('''
        import numpy as np
        from protbench import ModelMeta
        class Const:
            """constant vector model"""
            meta = ModelMeta(name="ep-const", fingerprint="const-v1", dim=2, max_length=100)
            def embed_proteins(self, seqs):
                return np.ones((len(seqs), 2), dtype=np.float32)
    '''))
    dist = site / "pb_toy-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pb-toy\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[protbench.tasks]\ntoy = pb_toy_plugin\n\n[protbench.models]\nep-const = pb_toy_models:Const\n")
    monkeypatch.syspath_prepend(str(site))
    reg = load_registries()
    assert "ep-task" in reg.tasks and "ep-model" in reg.models and "ep-const" in reg.models
    assert "entry point" in reg.models.origins["ep-const"]
    assert reg.models.get("ep-const").create().embed_proteins(["A"]).shape == (1, 2)
    sys.modules.pop("pb_toy_plugin", None)
    sys.modules.pop("pb_toy_models", None)
