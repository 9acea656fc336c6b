"""PLM loaders with tiny random configs of each architecture, saved and loaded through the real loaders.

fair-esm checkpoints are compared against fair-esm's own forward pass (the reference implementation);
Hugging Face folders against transformers directly. Missing weights give errors that name the file and source.
"""
from __future__ import annotations

import argparse
import warnings

import numpy as np
import pytest
import torch

from protbench.models import esm_checkpoint as C
from protbench.models.esm import ESM2
from protbench.registry import load_registries

SEQS = ["MKTAYIAKQRQISFVK", "GGSAC", "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ"]


def _fair_reference(model, seqs):
    import esm

    alphabet = esm.data.Alphabet.from_architecture("ESM-1b")
    _, _, toks = alphabet.get_batch_converter()([(str(i), s) for i, s in enumerate(seqs)])
    model.eval()
    with torch.no_grad():
        rep = model(toks, repr_layers=[len(model.layers)])["representations"][len(model.layers)]
    return [rep[i, 1:1 + len(s)].numpy() for i, s in enumerate(seqs)]


def _check_against(ours: ESM2, ref: list[np.ndarray]):
    got = ours.embed_residues(SEQS)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, atol=2e-4, rtol=1e-3)
    pooled = ours.embed_proteins(SEQS)
    np.testing.assert_allclose(pooled[0], ref[0].mean(0), atol=2e-4, rtol=1e-3)


def test_fair_esm2_checkpoint_matches_fair_esm(tmp_path):
    import esm

    torch.manual_seed(0)
    fair = esm.model.esm2.ESM2(num_layers=2, embed_dim=64, attention_heads=4,
                               alphabet=esm.data.Alphabet.from_architecture("ESM-1b"), token_dropout=True)
    for p in fair.parameters():            # non-trivial layer norms too
        p.data.normal_(0, 0.2)
    state = {"encoder.sentence_encoder." + k: v for k, v in fair.state_dict().items()}
    cfg = argparse.Namespace(encoder_layers=2, encoder_embed_dim=64, encoder_attention_heads=4, token_dropout=True)
    path = tmp_path / "esm2_tiny.pt"
    torch.save({"model": state, "cfg": {"model": cfg}}, path)
    _check_against(ESM2(size="tiny", weights=str(path)), _fair_reference(fair, SEQS))


def test_fair_esm1b_checkpoint_matches_fair_esm(tmp_path, monkeypatch):
    import esm

    from protbench.models import esm as esm_module

    monkeypatch.setitem(esm_module.ESM1B_SIZES, "650m", (2, 64, 4))   # the entry checks the size: a tiny "650m"

    torch.manual_seed(1)
    args = argparse.Namespace(arch="roberta_large", layers=2, embed_dim=64, ffn_embed_dim=256, attention_heads=4,
                              max_positions=1024, emb_layer_norm_before=True, token_dropout=True,
                              final_bias=True, dropout=0.0, attention_dropout=0.0, activation_dropout=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fair = esm.model.esm1.ProteinBertModel(args, esm.data.Alphabet.from_architecture("ESM-1b"))
    for p in fair.parameters():
        p.data.normal_(0, 0.2)
    fair.embed_tokens.weight.data[32].zero_()    # fair-esm's loader zeroes <mask> for ESM-1b
    state = {"encoder.sentence_encoder." + k if not k.startswith("lm_head") else "encoder." + k: v
             for k, v in fair.state_dict().items()}
    path = tmp_path / "esm1b_tiny.pt"
    torch.save({"model": state, "args": args}, path)
    ours = load_registries(entry_points=False).models.get("esm1b").create(weights=str(path))
    assert ours.meta.name == "esm1b" and ours.meta.training_data == ("UniRef50 2018_03",)
    assert ours.module.config.position_embedding_type == "absolute" and ours.meta.dim == 64
    _check_against(ours, _fair_reference(fair, SEQS))


def test_hf_esm_folder_roundtrip(tmp_path, monkeypatch):
    from protbench.models import esm as esm_module

    src = ESM2(size="tiny", seed=5)
    src.module.save_pretrained(tmp_path / "esm")
    loaded = ESM2(size="tiny", weights=str(tmp_path / "esm"))
    np.testing.assert_allclose(loaded.embed_proteins(SEQS), src.embed_proteins(SEQS), atol=1e-5)
    assert loaded.meta.fingerprint == src.meta.fingerprint
    monkeypatch.setitem(esm_module.ESM2_SIZES, "650m", (2, 64, 4))   # protst-esm2 checks the size: a tiny "650m"
    protst = load_registries(entry_points=False).models.get("protst-esm2").create(weights=str(tmp_path / "esm"))
    assert protst.meta.name == "protst-esm2" and "ProtDescribe (Swiss-Prot text)" in protst.meta.training_data
    np.testing.assert_allclose(protst.embed_proteins(SEQS), src.embed_proteins(SEQS), atol=1e-5)


def test_unsafe_pickle_is_refused_whatever_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PROTBENCH_TRUST_PICKLE", "1")            # the old escape hatch no longer exists
    path = tmp_path / "odd.pt"
    torch.save({"model": {}, "cfg": {"model": _Opaque()}}, path)
    with pytest.raises(C.CheckpointError, match="never executes code from a checkpoint"):
        C.read_checkpoint(path)


class _Opaque:
    pass


PROTBERT_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"LAGVESIKRDTPNQFYMHCWXUBZO"]


def _tiny_bert_folder(folder):
    from transformers import BertConfig, BertModel

    folder.mkdir()
    (folder / "vocab.txt").write_text("\n".join(PROTBERT_VOCAB) + "\n")
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(PROTBERT_VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64, max_position_embeddings=1100, pad_token_id=0)
    BertModel(cfg, add_pooling_layer=False).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("kind", ["protbert", "ontoprotein"])
def test_bert_folder_loads_and_pools_residues(tmp_path, kind):
    from transformers import BertModel

    from protbench.models.bert_plm import ProtBert, spaced

    folder = _tiny_bert_folder(tmp_path / kind)
    m = ProtBert(weights=str(folder), kind=kind)
    assert spaced("mkuz") == "M K X X"
    ids = [[2] + [PROTBERT_VOCAB.index(c) for c in "MKTAX"] + [3]]       # [CLS] M K T A X [SEP] (U -> X)
    ref = BertModel.from_pretrained(folder).eval()(input_ids=torch.tensor(ids)).last_hidden_state[0, 1:-1]
    np.testing.assert_allclose(m.embed_proteins(["MKTAU"])[0], ref.mean(0).detach().numpy(), atol=1e-5)
    res = m.embed_residues(["MKTAU", "GG"])
    assert res[0].shape == (5, 32) and res[1].shape == (2, 32)
    # padding in a batch does not change a sequence's vector
    np.testing.assert_allclose(m.embed_proteins(["GG", "MKTAYIAKQR"])[0], m.embed_proteins(["GG"])[0], atol=1e-5)


def test_missing_weights_name_the_file_and_source(tmp_path):
    from protbench.models.bert_plm import ProtBert

    with pytest.raises(FileNotFoundError, match="Rostlab/prot_bert"):
        ProtBert(weights=str(tmp_path / "nope"))
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="model.safetensors or pytorch_model.bin"):
        ProtBert(weights=str(tmp_path / "half"), kind="ontoprotein")
    with pytest.raises(FileNotFoundError, match=r"esm1b_t33_650M_UR50S\.pt"):
        ESM2(size="650m", weights=str(tmp_path / "esm1b.pt"), arch="esm1b")
    with pytest.raises(FileNotFoundError, match="esm2_t33_650M_UR50D"):
        C.read_checkpoint(tmp_path / "esm2.pt")
    reg = load_registries(entry_points=False)
    for name, hint in (("esm1b", "esm1b_t33_650M_UR50S"), ("protbert", "Rostlab/prot_bert"),
                       ("ontoprotein", "zjunlp/OntoProtein"), ("protst-esm2", "ProtST")):
        with pytest.raises(FileNotFoundError, match=hint):
            reg.models.get(name).create()
