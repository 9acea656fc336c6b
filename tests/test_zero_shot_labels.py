"""zero-shot-labels: ProtST's zero-shot classifier over a task's class descriptions."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import protbench
from protbench import ModelMeta
from protbench.spec import Capability
from protbench.tasks.function.class_texts import SUBLOC


def klass(seq: str) -> int:
    return sum(map(ord, seq)) % 10


class Oracle:
    """A shared space where a protein points at class klass(seq) and class k's description at axis k."""

    meta = ModelMeta(name="oracle", fingerprint="oracle-v1", dim=10, max_length=100_000, text_dim=10,
                     capabilities=frozenset({Capability.PROTEIN, Capability.TEXT, Capability.SHARED_SPACE}))

    def __init__(self, prompts="template", field="name"):
        self.index = {t: k for k, t in enumerate(SUBLOC.texts(prompts, field))}

    def embed_proteins(self, seqs):
        return 3.0 * np.eye(10, dtype=np.float32)[[klass(s) for s in seqs]]

    def embed_texts(self, texts):
        return np.eye(10, dtype=np.float32)[[self.index[t] for t in texts]] + 0.01


def test_predicts_the_nearest_class_description(tmp_path):
    splits, _ = protbench.load_task("subloc-partial", profile="smoke", cache_dir=tmp_path / "c")
    test = splits["test"]
    expected = float(np.mean([klass(s) == int(y) for s, y in zip(test.sequence, test.label)]))
    df = protbench.run(Oracle(), tasks=["subloc-partial"], protocol="zero-shot-labels", profile="smoke",
                       output_dir=tmp_path / "r", cache_dir=tmp_path / "c")
    row = df[(df.split == "test") & (df.metric == "accuracy")]
    assert row.status.iloc[0] == "ok" and row["mean"].iloc[0] == pytest.approx(expected)
    result = json.loads(Path(df.path.iloc[0]).read_text())
    info = result["seeds"]["0"]["info"]
    assert info["class_texts"]["prompts"] == "template" and "ProtST" in info["class_texts"]["source"]
    assert result["identity"]["protocol"]["config"]["prompts"] == "template"
    assert result["summary"]["test"]["accuracy"]["ci"]                # bootstrap interval over test items


def test_another_prompt_set_and_field_change_the_texts_read(tmp_path):
    df = protbench.run(Oracle("language", "name+description"), tasks=["subloc-partial"], protocol="zero-shot-labels",
                       profile="smoke", params={"zero-shot-labels.prompts": "language",
                                                "zero-shot-labels.field": "name+description"},
                       output_dir=tmp_path / "r", cache_dir=tmp_path / "c")
    assert set(df.status) == {"ok"}
    with pytest.raises(KeyError):         # the default texts are not the ones this oracle knows
        Oracle("language", "name+description").embed_texts(SUBLOC.texts("template", "name"))


def test_tasks_without_class_descriptions_refuse_clearly(tmp_path):
    df = protbench.run(Oracle(), tasks=["binloc"], protocol="zero-shot-labels", profile="smoke",
                       output_dir=tmp_path / "r", cache_dir=tmp_path / "c")
    assert set(df.status) != {"ok"}
    result = json.loads(Path(df.path.iloc[0]).read_text())
    assert "zero-shot-labels" in json.dumps(result) and result["status"] in ("failed", "skipped")


def test_protst_texts_are_ten_classes_in_every_prompt_set():
    for prompts in ("name", "language", "template"):
        for field in ("name", "description", "name+description"):
            assert len(SUBLOC.texts(prompts, field)) == 10
    assert SUBLOC.texts("template", "name")[6] == "SUBCELLULAR LOCATION: Nucleus."
    assert SUBLOC.texts("name", "name+description")[0].startswith("Cell membrane Apical, apicolateral")
    with pytest.raises(ValueError, match="prompt set"):
        SUBLOC.texts("nope", "name")
