"""Training-corpus leakage of evaluation proteins: exact copies always, >= 50 % identity with MMseqs2."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from protbench.protclip.data import ProtAnnoRecord, write_protanno

A = ("MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVVHSLAKWKRQTLGQHDFSAGEGLYTHMKALRPDE"
     "DRLSPLHSVYVDQWDWERVMGDGERQFSTLKSTVEAIWAGIKATEAAVSEEFGLAPFLPDQIHFVHSQELLSRYPDLDAKGRERAIAKDLGAVFLVGIGGKL")
B = "GSHMSLFDFFKNKGSAATATDRLKLLLVSPAKMLDAAERSPRLLVRADEVGRLSVTLGDLQGELEALHGDLAGVLVEGAGAALDRLVAELTERHPETRIATLLAR"


def _mutate(seq: str) -> str:
    """``seq`` with residues 0-2 of every 10 changed: 70 % identity, in exact 7-residue runs MMseqs2's k-mer
    prefilter finds."""
    swap = {a: b for a, b in zip("ACDEFGHIKLMNPQRSTVWY", "CDEFGHIKLMNPQRSTVWYA")}
    return "".join(swap[c] if i % 10 < 3 else c for i, c in enumerate(seq))


NEAR = _mutate(A)                                        # 70 % identical to A: not a copy, but >= 50 %
RANDOM = "".join(np.random.default_rng(0).choice(list("ACDEFGHIKLMNPQRSTVWY"), 150))
CORPUS = [A, B, "MSTNPKPQRKTKRNTNRRPQDVKFPGG"]
EVALUATION = {"task-a": {"train": [B], "test": [B.lower(), NEAR, RANDOM]}, "task-b": {"test": [NEAR, "GSHM"]}}


@pytest.fixture
def no_mmseqs(tmp_path, monkeypatch):
    monkeypatch.setenv("PROTBENCH_MMSEQS", str(tmp_path / "no-such-mmseqs"))


def test_exact_copies_without_mmseqs(no_mmseqs):
    from protbench.protclip.leakage import corpus_eval_leakage

    rep = corpus_eval_leakage(CORPUS, EVALUATION)
    s = rep["splits"]
    assert set(s) == {"task-a/train", "task-a/test", "task-b/test", "all"}
    assert s["task-a/train"]["exact"]["count"] == 1
    assert s["task-a/test"]["exact"] == {"count": 1, "fraction": 1 / 3, "examples": [0]}    # case is ignored
    assert s["task-b/test"]["exact"]["count"] == 0
    assert s["all"]["n"] == 4 and s["all"]["exact"]["count"] == 1           # B, NEAR, RANDOM, GSHM once each
    assert s["task-a/test"]["identity"] is None and "mmseqs" in rep["identity_skipped"].lower()
    assert rep["reference"] == "corpus" and rep["n_reference"] == 3


@pytest.mark.skipif(shutil.which("mmseqs") is None, reason="MMseqs2 not installed (apt-get install mmseqs2)")
def test_near_copy_counted_with_mmseqs(tmp_path):
    from protbench.protclip.leakage import corpus_eval_leakage

    rep = corpus_eval_leakage(CORPUS, EVALUATION, identity=0.5, cache_dir=tmp_path)
    s = rep["splits"]
    assert rep["identity_skipped"] is None
    assert s["task-a/test"]["identity"]["0.5"]["count"] == 2                # the copy of B and the near copy of A
    assert s["task-b/test"]["identity"]["0.5"]["count"] == 1 and s["task-b/test"]["exact"]["count"] == 0
    assert s["all"]["identity"]["0.5"]["count"] == 2


def test_task_ids_and_registry(tmp_path):
    from protbench.fetch import Fetcher
    from protbench.protclip.leakage import EVAL_TASKS, resolve_tasks, task_sequences
    from protbench.registry import load_registries

    assert resolve_tasks("eval,subloc, foo") == [*EVAL_TASKS, "foo"]
    reg = load_registries(entry_points=False)
    for tid in EVAL_TASKS:
        reg.tasks.get(tid)                                       # every default task is registered
    with pytest.raises(Exception, match="no-such-task"):
        task_sequences(["no-such-task"], registry=reg)
    offline = Fetcher(cache_dir=tmp_path / "empty", mirrors=[], offline=True, progress=False)
    seqs, missing = task_sequences(["subloc"], registry=reg, fetcher=offline)
    assert seqs == {} and "subloc" in missing                      # real data absent: reported, not raised
    seqs, missing = task_sequences(["subloc"], registry=reg, fetcher=offline, profile="smoke")
    assert not missing and seqs["subloc"] and all(isinstance(s, str) and s for v in seqs["subloc"].values()
                                                   for s in v)


def test_pretrain_option_writes_the_report_next_to_the_run(tmp_path, monkeypatch, capsys, no_mmseqs):
    import protbench.protclip.leakage as leak
    from protbench.cli import main

    seen = {}

    def fake_task_sequences(task_ids, **kw):
        seen["tasks"] = list(task_ids)
        return {"task-a": EVALUATION["task-a"]}, {"task-c": "not in the cache"}

    monkeypatch.setattr(leak, "task_sequences", fake_task_sequences)
    text = "PROTEIN NAME: p. FUNCTION: f. SUBCELLULAR LOCATION: c. SIMILARITY: s."
    data = tmp_path / "c.jsonl"
    write_protanno([ProtAnnoRecord(s, text) for s in (A, B, A[:60], B[:70])], data)
    assert main(["pretrain", "--train", str(data), "--output-dir", str(tmp_path / "run"), "--batch-size", "4",
                 "--max-steps", "1", "--set", "valid_fraction=0", "--set", "threads=1",
                 "--leakage-tasks", "task-a,task-c"]) == 0
    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    rep = json.loads((tmp_path / "run" / "leakage.json").read_text())
    assert seen["tasks"] == ["task-a", "task-c"]
    assert rep["tasks"] == ["task-a", "task-c"] and rep["unavailable"] == {"task-c": "not in the cache"}
    assert rep["splits"]["task-a/test"]["exact"]["count"] == 1 and rep["n_reference"] == 4
    assert s["leakage"]["summary"].startswith("1 of 3 evaluation sequences in the corpus")
    assert s["leakage"]["unavailable"] == ["task-c"]
