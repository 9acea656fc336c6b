"""The quickstart: synthetic corpus with planted links, and the pipeline end to end (failures become table cells)."""
from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from protbench.protclip.corpus import (ACTIVITIES, FAMILIES, LOCATIONS, activity_motif, synthetic_records,
                                          write_corpus)
from protbench.protclip.quickstart import QuickstartConfig, run_quickstart
from protbench.smoke import GROUPS


def test_corpus_is_protanno_jsonl_with_four_properties(tmp_path):
    paths = write_corpus(tmp_path, n_train=50, n_valid=10)
    lines = paths["train"].read_text().splitlines()
    assert len(lines) == 50 and len(paths["valid"].read_text().splitlines()) == 10
    recs = [json.loads(x) for x in lines]
    assert all(set(r) >= {"seq", "text"} for r in recs)
    full = [r for r in recs if all(h in r["text"] for h in ("PROTEIN NAME:", "FUNCTION:", "SUBCELLULAR LOCATION:",
                                                          "SIMILARITY:"))]
    assert 0.6 * len(recs) < len(full) < len(recs)          # most records complete, some not (coverage < 1)
    assert synthetic_records(20) == synthetic_records(20)     # deterministic


def test_corpus_texts_follow_planted_sequence_features():
    recs = synthetic_records(600)
    # family: the most enriched residue group (vs. uniform) names the family in most records
    hits = 0
    for r in recs:
        body = r["seq"][20:]
        enrich = [sum(body.count(a) for a in g) / len(body) / (len(g) / 20) for g in GROUPS]
        hits += FAMILIES[int(np.argmax(enrich))] == r["family"]
        assert f"synthetic {r['family']} family" in r["text"] or "SIMILARITY" not in r["text"]
        for act in r["activities"]:
            assert activity_motif(ACTIVITIES.index(act)) in r["seq"]
            assert act in r["text"] or "FUNCTION" not in r["text"]
        assert f"SUBCELLULAR LOCATION: {r['location']}." in r["text"]
    assert hits / len(recs) > 0.9
    # location: the N-terminal segment tells it (hydrophobic stretch / NLS / signal start)
    memb = [r for r in recs if r["location"] == LOCATIONS[1]]
    assert all(sum(a in "AILMFVW" for a in r["seq"][:16]) == 16 for r in memb)
    assert Counter(r["location"] for r in recs).most_common()[-1][1] > 100      # balanced classes


def test_quickstart_reports_unknown_models_and_failing_tasks(tmp_path, monkeypatch):
    import protbench.registry as registry

    real = registry.load_registries

    def patched(*a, **k):
        reg = real(*a, **k)
        task = reg.tasks.get("simsem-bp")

        def boom(*_a, **_k):
            raise RuntimeError("planted failure")

        monkeypatch.setattr(task, "read", boom)
        return reg

    monkeypatch.setattr(registry, "load_registries", patched)
    cfg = QuickstartConfig(out=tmp_path, models=["aac", "no-such-model"], tasks=["simsem-mf", "simsem-bp"],
                           skip_pretrain=True, n_boot=50, echo=False)
    summary = run_quickstart(cfg)
    assert not summary.ok
    assert summary.statuses == {"aac": {"simsem-mf": "ok", "simsem-bp": "failed"},
                                "no-such-model": {"simsem-mf": "skipped", "simsem-bp": "skipped"}}
    md = (tmp_path / "leaderboard" / "leaderboard.md").read_text()
    assert "aac × simsem-bp: failed: RuntimeError: planted failure" in md
    assert "no-such-model × simsem-mf: skipped: model 'no-such-model' is not registered" in md
    assert "SMOKE PROFILE" in md
    html = (tmp_path / "leaderboard" / "leaderboard.html").read_text()
    assert html.count("data:image/png;base64,") == 2
    saved = json.loads((tmp_path / "quickstart.json").read_text())
    assert saved["statuses"] == summary.statuses and saved["timings_s"]["total"] > 0


@pytest.mark.slow
def test_reduced_quickstart_end_to_end(tmp_path, capsys):
    cfg = QuickstartConfig(out=tmp_path, pretrain_steps=3, corpus_train=200, corpus_valid=40,
                           models=["protclip-tiny", "aac", "esm2-tiny"],
                           tasks=["beta-lactamase", "simsem-mf", "shs27k"], n_boot=100)
    summary = run_quickstart(cfg)
    out = capsys.readouterr().out
    assert "Family and overall scores (smoke data)" in out and "aac (ref)" in out
    assert summary.statuses["aac"] == {t: "ok" for t in cfg.tasks}
    assert summary.statuses["esm2-tiny"] == {t: "ok" for t in cfg.tasks}
    # the tiny ProtCLIP was pretrained and evaluated (or, if its plugin is absent, reported as such)
    assert set(summary.statuses["protclip-tiny"].values()) <= {"ok", "skipped"}
    if summary.pretrain is not None:
        assert summary.pretrain["steps"] == 3
    assert summary.files["html"].is_file() and summary.files["md"].is_file()
