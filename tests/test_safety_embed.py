"""Issue 13 W2: non-finite, mis-shaped and bf16 model outputs give clear errors naming the model."""
from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
import torch
from protbench.cache import EmbeddingCache
from protbench.cli import main
from protbench.embed import CachedEmbeddings, EmbeddingError
from protbench.spec import ModelMeta


class Fake:
    def __init__(self, out, text_out=None, residue_out=None):
        self.meta = ModelMeta(name="fake-model", fingerprint="fake-v1", dim=3, max_length=50, text_dim=3)
        self.out, self.text_out, self.residue_out = out, text_out, residue_out

    def embed_proteins(self, seqs):
        return self.out(seqs)

    def embed_texts(self, texts):
        return self.text_out(texts)

    def embed_residues(self, seqs):
        return self.residue_out(seqs)


def _emb(tmp_path, model):
    return CachedEmbeddings(model, EmbeddingCache(tmp_path / "emb"))


def test_nan_protein_vectors_refused_naming_model_and_count(tmp_path):
    def out(seqs):
        v = np.ones((len(seqs), 3), np.float32)
        v[0, 1] = np.nan
        v[-1, 0] = np.inf
        return v
    emb = _emb(tmp_path, Fake(out))
    with pytest.raises(EmbeddingError, match=r"fake-model.*NaN or infinite values for 2 of 3"):
        emb.proteins(["ACD", "AC", "A"])
    assert not list((tmp_path / "emb").rglob("shard-*.npz"))   # nothing cached


def test_nan_text_and_residue_vectors_refused(tmp_path):
    m = Fake(None, text_out=lambda t: np.full((len(t), 3), np.nan),
             residue_out=lambda s: [np.full((len(x), 3), np.nan) for x in s])
    emb = _emb(tmp_path, m)
    with pytest.raises(EmbeddingError, match=r"fake-model.*embed_texts.*2 of 2"):
        emb.texts(["a text", "another"])
    with pytest.raises(EmbeddingError, match=r"fake-model.*embed_residues.*1 of 1"):
        emb.residues(["ACD"])


def test_embed_texts_wrong_row_count(tmp_path):
    emb = _emb(tmp_path, Fake(None, text_out=lambda t: np.ones((len(t) - 1, 3))))
    with pytest.raises(EmbeddingError, match=r"fake-model.*embed_texts returned shape \(1, 3\) for 2 texts"):
        emb.texts(["a", "b"])


def test_bf16_tensor_converted(tmp_path):
    emb = _emb(tmp_path, Fake(lambda s: torch.ones(len(s), 3, dtype=torch.bfloat16)))
    out = emb.proteins(["ACD", "A"])
    assert out.dtype == np.float32 and np.allclose(out, 1.0)


def test_unconvertible_output_refused(tmp_path):
    emb = _emb(tmp_path, Fake(lambda s: [["x", "y", "z"]] * len(s)))
    with pytest.raises(EmbeddingError, match="fake-model"):
        emb.proteins(["ACD"])


PLUGIN = """
import numpy as np
from protbench.registry import register_model
from protbench.spec import ModelMeta

class NaNModel:
    def __init__(self, **kw):
        self.meta = ModelMeta(name="nan-model", fingerprint="nan-v1", dim=4, max_length=1000)
    def embed_proteins(self, seqs):
        return np.full((len(seqs), 4), np.nan, dtype=np.float32)

register_model("nan-model")(NaNModel)
"""


@pytest.mark.parametrize("task", ["binloc", "beta-lactamase"])
def test_all_nan_model_fails_task_with_clear_message(tmp_path, task, capsys):
    plugin = tmp_path / "nanplugin.py"
    plugin.write_text(textwrap.dedent(PLUGIN))
    rc = main(["run", "--model", "nan-model", "--tasks", task, "--profile", "smoke", "--include", str(plugin),
               "--cache-dir", str(tmp_path / "c"), "--output-dir", str(tmp_path / "o")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "failed" in err and "nan-model" in err and "NaN or infinite" in err
    result = json.loads((tmp_path / "o" / "nan-model" / "smoke" / f"{task}.json").read_text())
    assert result["status"] == "failed" and "EmbeddingError" in result["error"]
