"""``protbench leakage``: split-vs-train and corpus-vs-test reports from the command line."""
from __future__ import annotations

import json
import shutil

import pytest

from protbench.cli import main
from protbench.sequences import write_fasta


def test_split_report_and_corpus_check_on_smoke_data(tmp_path, capsys):
    base = ["--profile", "smoke", "--cache-dir", str(tmp_path / "c"), "--exact-only"]
    assert main(["leakage", "beta-lactamase", *base, "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "test vs train" in out and "valid vs train" in out
    rep = json.loads((tmp_path / "r.json").read_text())["beta-lactamase"]
    assert rep["splits"]["test"]["exact"]["count"] == 0          # the smoke mutants are distinct across splits

    # a "pretraining corpus" holding half of the smoke test sequences
    from protbench import stages
    from protbench.fetch import Fetcher
    from protbench.registry import load_registries

    task = load_registries(entry_points=False).tasks.get("beta-lactamase")
    fetcher = Fetcher(cache_dir=tmp_path / "c", offline=True)
    files, _ = stages.fetch(task, "smoke", fetcher)
    test = [r.sequence for r in stages.load(task, files, "smoke", None).splits["test"]]
    corpus = tmp_path / "corpus.fasta"
    write_fasta(corpus, [(f"p{i}", s) for i, s in enumerate(test[::2])])
    assert main(["leakage", "beta-lactamase", *base, "--corpus", str(corpus), "--json", str(tmp_path / "c.json")]) == 0
    rep = json.loads((tmp_path / "c.json").read_text())["beta-lactamase"]
    assert rep["reference"] == "corpus" and rep["splits"]["test"]["exact"]["count"] == len(test[::2])


@pytest.mark.skipif(shutil.which("mmseqs") is None, reason="MMseqs2 not installed (apt-get install mmseqs2)")
def test_identity_bins_with_mmseqs(tmp_path, capsys):
    assert main(["leakage", "beta-lactamase", "--profile", "smoke", "--cache-dir", str(tmp_path / "c"),
                 "--threads", "1"]) == 0
    out = capsys.readouterr().out
    # smoke data are mutants of one parent: every test sequence has a >= 90 % identical training sequence
    row = next(line for line in out.splitlines() if "test vs train" in line)
    assert row.split()[-1] == "100.0%"
