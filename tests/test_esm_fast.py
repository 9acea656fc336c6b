"""The lean ESM-2 inference engine computes transformers' EsmModel function (up to float rounding)."""
import numpy as np
import pytest
import torch
from protbench.models.esm import ESM2, MASK, PAD, tokenize
from protbench.models.esm_fast import EsmInference

AA = "ACDEFGHIKLMNPQRSTVWY"


def _seqs():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list(AA), size=n)) for n in (3, 17, 64, 129)]
    return [seqs[0], seqs[1][:5] + "X" + seqs[1][6:], seqs[2], seqs[3]]


@pytest.mark.parametrize("size", ["tiny", "8m"])
def test_lean_forward_matches_transformers_fp32(size):
    m = ESM2(size, seed=3, engine="transformers")
    ids = tokenize(_seqs())
    ids[2, 5] = MASK                                  # token dropout rescales rows with <mask> tokens
    keep = ids != PAD
    ref = m.module(input_ids=ids, attention_mask=keep.long()).last_hidden_state
    lean = EsmInference(m.module).forward(ids)
    assert lean.shape == ref.shape
    torch.testing.assert_close(lean[keep], ref[keep], atol=2e-5, rtol=1e-5)


def test_engines_give_the_same_embeddings_and_different_fingerprints():
    seqs = _seqs()
    lean, ref = ESM2("tiny", seed=1), ESM2("tiny", seed=1, engine="transformers")
    np.testing.assert_allclose(lean.embed_proteins(seqs), ref.embed_proteins(seqs), atol=2e-5)
    assert lean.meta.fingerprint != ref.meta.fingerprint
    assert lean.meta.parameters["engine"] == "lean"


def test_bf16_lean_engine_stays_close_to_fp32():
    seqs = _seqs()
    a = ESM2("8m", seed=0, dtype="bfloat16").embed_proteins(seqs)
    b = ESM2("8m", seed=0, engine="transformers").embed_proteins(seqs)
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cos.min() > 0.999


def test_intermediate_layers_and_esm1b_use_transformers():
    assert ESM2("tiny", layer=1).engine == "transformers"
    assert ESM2("tiny", arch="esm1b").engine == "transformers"
    with pytest.raises(ValueError, match="engine"):
        ESM2("tiny", engine="fast")
