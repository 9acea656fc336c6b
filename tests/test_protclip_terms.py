"""The GO-term objective: its loss against a direct computation, the vocabulary, and a pretraining run with it."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from protbench.protclip.data import ProtAnnoRecord, write_protanno
from protbench.protclip.objectives import term_loss, term_rows
from protbench.protclip.terms import build_vocabulary, term_targets
from protbench.protclip.train import PretrainConfig, pretrain

OBO = """format-version: 1.2
data-version: releases/2021-12-15

[Term]
id: GO:0000001
name: kinase activity
namespace: molecular_function
def: "Catalysis of the transfer of a phosphate group." [GOC:x]

[Term]
id: GO:0000002
name: ATP binding
namespace: molecular_function

[Term]
id: GO:0000003
name: glycolytic process
namespace: biological_process
def: "The breakdown of glucose into pyruvate." [GOC:x]

[Term]
id: GO:0000004
name: cytoplasm
namespace: cellular_component
alt_id: GO:0000009

[Term]
id: GO:0000005
name: nucleus
namespace: cellular_component

[Term]
id: GO:0000006
name: old process
namespace: biological_process
is_obsolete: true
"""


def _records(n: int = 32, seed: int = 0) -> list[ProtAnnoRecord]:
    rng = random.Random(seed)
    aa = "ACDEFGHIKLMNPQRSTVWY"
    out = []
    for i in range(n):
        go = {"mf": ["GO:0000001"] if i % 2 else ["GO:0000002"], "bp": ["GO:0000003"] if i % 3 == 0 else [],
              "cc": ["GO:0000009" if i % 2 else "GO:0000005"]}          # an alt id, resolved to GO:0000004
        out.append(ProtAnnoRecord("".join(rng.choice(aa) for _ in range(rng.randint(20, 40))),
                                  f"PROTEIN NAME: p{i % 2}. SUBCELLULAR LOCATION: c{i % 2}.", {"id": f"R{i}", "go": go}))
    return out


def test_term_loss_matches_a_direct_computation():
    g = torch.Generator().manual_seed(0)
    B, V, D = 5, 9, 6
    p = F.normalize(torch.randn(B, D, generator=g), dim=-1)
    t = F.normalize(torch.randn(V, D, generator=g), dim=-1)
    aspect = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])
    targets = torch.rand(B, V, generator=g) < 0.35
    targets[0] = False                                                   # a protein with no term: no row
    s = torch.tensor(7.0)
    expected, rows = 0.0, 0
    logits = (s * p @ t.t()).double().numpy()
    for i in range(B):
        for a in range(3):
            cols = np.flatnonzero(aspect.numpy() == a)
            pos = [k for k in cols if targets[i, k]]
            if not pos:
                continue
            logp = logits[i, cols] - np.log(np.exp(logits[i, cols]).sum())   # log-softmax over the aspect
            expected -= np.mean([logp[list(cols).index(k)] for k in pos])
            rows += 1
    assert term_rows(aspect, targets) == rows
    assert float(term_loss(p, t, aspect, targets, s)) == pytest.approx(expected / rows, rel=1e-5)
    assert float(term_loss(p, t, aspect, targets, s, denominator=2 * rows)) == pytest.approx(expected / rows / 2,
                                                                                            rel=1e-5)
    assert float(term_loss(p, t, aspect, torch.zeros_like(targets), s)) == 0.0


def test_term_loss_does_not_push_a_protein_away_from_its_other_terms():
    # two terms of one aspect, both annotated: moving the protein toward either one alone must not lower the loss
    # below the point between them (a one-positive softmax would prefer one of them)
    t = F.normalize(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), dim=-1)
    aspect = torch.zeros(3, dtype=torch.long)
    targets = torch.tensor([[True, True, False]])
    s = torch.tensor(10.0)

    def loss(v):
        return float(term_loss(F.normalize(torch.tensor([v]), dim=-1), t, aspect, targets, s))

    assert loss([1.0, 1.0, 0.0]) < loss([1.0, 0.2, 0.0]) and loss([1.0, 1.0, 0.0]) < loss([0.2, 1.0, 0.0])


def test_vocabulary_reads_term_texts_resolves_alt_ids_and_names_bad_records(tmp_path):
    obo = tmp_path / "go.obo"
    obo.write_text(OBO)
    recs = _records(6)
    vocab = build_vocabulary(recs, obo)
    assert vocab.ids == ("GO:0000003", "GO:0000001", "GO:0000002", "GO:0000004", "GO:0000005")   # bp, mf, cc
    assert vocab.aspect == (0, 1, 1, 2, 2)
    assert vocab.texts[0] == "glycolytic process: The breakdown of glucose into pyruvate."
    assert vocab.texts[2] == "ATP binding"                                 # no definition: the name alone
    tg = term_targets(recs, vocab)
    assert tg[0].tolist() == [True, False, True, False, True]
    assert tg[1].tolist() == [False, True, False, True, False]             # the alt id GO:0000009 is GO:0000004
    with pytest.raises(ValueError, match=r"record 0 \(X\).*rebuild the corpus"):
        build_vocabulary([ProtAnnoRecord("MKV", "FUNCTION: x.", {"id": "X"})], obo)
    bad = ProtAnnoRecord("MKV", "FUNCTION: x.", {"id": "Y", "go": {"bp": ["GO:0000006"]}})
    with pytest.raises(ValueError, match="GO:0000006.*not in this ontology"):
        build_vocabulary([bad], obo)


def test_pretrain_with_the_term_objective_logs_it_and_matches_the_zero_shot_geometry(tmp_path):
    obo = tmp_path / "go.obo"
    obo.write_text(OBO)
    data = tmp_path / "c.jsonl"
    write_protanno([r for r in _records()], data)
    weights = {"gc": 1.0, "mlm": 0.3, "bsr": 0.7, "pda": 1.0, "terms": 2.0}
    cfg = dict(train_data=str(data), batch_size=4, max_steps=3, eval_every=3, valid_fraction=0.25, max_valid=8,
               threads=1, resume=None, go_obo=str(obo), model_overrides={"loss_weights": weights})
    with pytest.raises(ValueError, match="needs go_obo"):
        pretrain(PretrainConfig(**{**cfg, "go_obo": None}, output_dir=str(tmp_path / "x")))
    s = pretrain(PretrainConfig(**cfg, output_dir=str(tmp_path / "run")))
    log = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    steps = [r for r in log if "split" not in r and "event" not in r]
    for r in steps:
        assert r["terms"] > 0
        assert r["loss"] == pytest.approx(r["gc"] + 0.3 * r["mlm"] + 0.7 * r["bsr"] + r["pda"] + 2 * r["terms"],
                                          rel=1e-9)
    assert s["term_vocabulary"]["mf"] == 2 and s["term_vocabulary"]["cc"] == 2
    # the checkpoint reloads with its term scale; the term vectors training used are the zero-shot text vectors
    from protbench.protclip.checkpoint import load_model

    model = load_model(s["checkpoint"])
    assert model.cfg.loss_weights["terms"] == 2.0 and hasattr(model, "term_logit_scale")
    vocab = build_vocabulary(_records(), obo)
    bank = F.normalize(model.text_projection(model.pooled_texts(list(vocab.texts))), dim=-1)
    assert torch.allclose(bank, model.embed_texts(list(vocab.texts)), atol=1e-6)
    # a model without the objective keeps the paper's four weights only (its config, hence identity, unchanged)
    from protbench.protclip.config import named_config

    assert set(named_config("tiny").loss_weights) == {"gc", "mlm", "bsr", "pda"}


def test_cli_terms_and_its_ablation(tmp_path, capsys):
    from protbench.cli import main

    obo = tmp_path / "go.obo"
    obo.write_text(OBO)
    data = tmp_path / "c.jsonl"
    write_protanno(_records(16), data)
    base = ["pretrain", "--train", str(data), "--max-steps", "2", "--batch-size", "4", "--set", "threads=1",
            "--set", "valid_fraction=0", "--terms", "0.5", "--go-obo", str(obo)]
    assert main(base + ["--output-dir", str(tmp_path / "a")]) == 0
    assert "terms" in json.loads(capsys.readouterr().out)["mean_last"]
    cfg = json.loads((tmp_path / "a" / "pretrain_config.json").read_text())
    assert cfg["model_overrides"]["loss_weights"]["terms"] == 0.5 and cfg["go_obo"] == str(obo)
    assert main(base + ["--without", "terms", "--output-dir", str(tmp_path / "b")]) == 0    # the paper's four
    assert "terms" not in json.loads(capsys.readouterr().out)["mean_last"]
