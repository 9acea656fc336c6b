"""Homology-leakage report: exact duplicates by hashing (always), identity thresholds with MMseqs2 (if installed)."""
from __future__ import annotations

import gzip
import json
import os
import shutil

import numpy as np
import pytest

from protbench import leakage
from protbench.leakage import (MmseqsNotFoundError, corpus_leakage, leakage_report, read_corpus_sequences,
                               set_fingerprint)
from protbench.sequences import SequenceError

AA = list("ACDEFGHIKLMNPQRSTVWY")
HAVE_MMSEQS = shutil.which(os.environ.get("PROTBENCH_MMSEQS") or "mmseqs") is not None
needs_mmseqs = pytest.mark.skipif(not HAVE_MMSEQS, reason="MMseqs2 binary not installed "
                                  "(apt-get install mmseqs2, or conda install -c bioconda mmseqs2)")


def random_seq(rng, n):
    return "".join(rng.choice(AA, size=n))


def mutate(rng, seq, fraction):
    """Substitute ``fraction`` of positions with a different residue (identity ≈ 1 - fraction)."""
    s = list(seq)
    for p in rng.choice(len(s), size=int(round(fraction * len(s))), replace=False):
        s[p] = rng.choice([a for a in AA if a != s[p]])
    return "".join(s)


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(7)
    train = [random_seq(rng, 120) for _ in range(300)]
    test = [
        train[3],                         # 0: exact copy
        mutate(rng, train[10], 0.4),      # 1: ~60 % identity
        random_seq(rng, 120),             # 2: unrelated
        mutate(rng, train[20], 0.05),     # 3: ~95 % identity
        train[3].lower(),                 # 4: exact after normalisation
        mutate(rng, train[30], 0.6),      # 5: ~40 % identity
    ]
    valid = [random_seq(rng, 90), train[0]]
    return {"train": train, "valid": valid, "test": test}


def test_exact_only_needs_no_mmseqs(synthetic, monkeypatch):
    monkeypatch.setenv("PATH", "")                     # no binary reachable
    monkeypatch.delenv("PROTBENCH_MMSEQS", raising=False)
    rep = leakage_report(synthetic, exact_only=True)
    test = rep["splits"]["test"]
    assert test["n"] == 6 and test["exact"]["count"] == 2
    assert test["exact"]["examples"] == [0, 4]
    assert test["exact"]["fraction"] == pytest.approx(2 / 6)
    assert test["identity"] is None
    assert rep["splits"]["valid"]["exact"] == {"count": 1, "fraction": 0.5, "examples": [1]}
    assert rep["reference"] == "train" and rep["n_reference"] == 300


def test_exact_examples_are_capped_at_five_and_duplicates_count():
    train = ["MKTAYIAKQR", "GSHMLEDPVR"]
    test = ["MKTAYIAKQR"] * 7 + ["PEPTIDE"]
    rep = leakage_report({"train": train, "test": test}, queries=("test",), exact_only=True)
    e = rep["splits"]["test"]["exact"]
    assert e["count"] == 7 and e["examples"] == [0, 1, 2, 3, 4]
    assert rep["splits"]["test"]["n_unique"] == 2


def test_missing_binary_raises_with_install_hint(synthetic, monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("PROTBENCH_MMSEQS", raising=False)
    with pytest.raises(MmseqsNotFoundError, match="apt-get install mmseqs2") as err:
        leakage_report(synthetic)
    assert "bioconda" in str(err.value) and "exact_only=True" in str(err.value)


def test_bad_arguments():
    with pytest.raises(KeyError, match="reference split"):
        leakage_report({"test": ["MK"]}, exact_only=True)
    with pytest.raises(ValueError, match="thresholds"):
        leakage_report({"train": ["MK"], "test": ["MK"]}, thresholds=(30,), exact_only=True)


def test_fingerprint_ignores_order_duplicates_and_case():
    assert set_fingerprint(["AAA", "ccc", "AAA"]) == set_fingerprint(["CCC", "aaa"])
    assert set_fingerprint(["AAA"]) != set_fingerprint(["AAC"])


@needs_mmseqs
def test_identity_thresholds_on_synthetic_sequences(synthetic, tmp_path):
    rep = leakage_report(synthetic, cache_dir=tmp_path, threads=1)
    test = rep["splits"]["test"]
    ident = test["identity"]
    # exact (0, 4) and ~95 % (3) pass 0.9; ~60 % (1) passes 0.5; ~40 % (5) passes 0.3 only; random (2) none
    assert ident["0.9"]["examples"] == [0, 3, 4]
    assert ident["0.5"]["examples"] == [0, 1, 3, 4]
    assert ident["0.3"]["examples"] == [0, 1, 3, 4, 5]
    assert ident["0.3"]["count"] == 5 and ident["0.3"]["fraction"] == pytest.approx(5 / 6)
    valid = rep["splits"]["valid"]["identity"]
    assert valid["0.3"]["examples"] == [1]
    assert rep["method"]["tool"] == "mmseqs2" and rep["method"]["version"]
    assert rep["method"]["params"]["cov_mode"] == 2 and rep["method"]["params"]["min_seq_id"] == 0.3
    assert not rep["method"]["cached"]


@needs_mmseqs
def test_cache_is_reused_and_keyed_on_inputs(synthetic, tmp_path):
    first = leakage_report(synthetic, cache_dir=tmp_path)
    files = list(tmp_path.glob("leakage-*.json"))
    assert len(files) == 1 and not list(tmp_path.glob("*.tmp"))
    stored = json.loads(files[0].read_text())
    assert stored["key"]["mmseqs_version"] == first["method"]["version"]
    second = leakage_report(synthetic, cache_dir=tmp_path)
    assert second["method"]["cached"] and second["splits"] == first["splits"]
    # a different reference set or different parameters miss the cache
    changed = dict(synthetic, train=synthetic["train"][:-1])
    assert not leakage_report(changed, cache_dir=tmp_path)["method"]["cached"]
    assert not leakage_report(synthetic, cache_dir=tmp_path, params={"coverage": 0.5})["method"]["cached"]
    assert len(list(tmp_path.glob("leakage-*.json"))) == 3


@needs_mmseqs
def test_deterministic_across_threads_and_order(synthetic):
    a = leakage_report(synthetic, threads=1)
    b = leakage_report({k: list(reversed(v)) if k == "train" else v for k, v in synthetic.items()}, threads=2)
    assert a["splits"] == b["splits"]


@needs_mmseqs
def test_corpus_leakage(synthetic, tmp_path):
    rep = corpus_leakage(synthetic["train"], synthetic["test"], cache_dir=tmp_path)
    assert rep["reference"] == "corpus" and list(rep["splits"]) == ["test"]
    assert rep["splits"]["test"]["identity"]["0.9"]["count"] == 3


def test_corpus_leakage_exact_only():
    rep = corpus_leakage(["MKTAYIAKQR", "GSHM"], ["gshm", "PEPTIDE"], exact_only=True)
    assert rep["splits"]["test"]["exact"]["examples"] == [0]


# ----------------------------------------------------------------------------- corpus readers

def test_read_fasta_and_gzip(tmp_path):
    p = tmp_path / "corpus.fasta"
    p.write_text(">a\nMKTA\nYIAK\n>b desc\nGSHM\n")
    assert read_corpus_sequences(p) == ["MKTAYIAK", "GSHM"]
    g = tmp_path / "corpus.fa.gz"
    with gzip.open(g, "wt") as fh:
        fh.write(">a\nmkta\n")
    assert read_corpus_sequences(g) == ["MKTA"]


def test_read_jsonl_like_protanno(tmp_path):
    p = tmp_path / "aligned_data.json"           # ProtCLIP names its JSON-lines file *.json
    p.write_text('{"seq": "MKTA", "text": "PROTEIN NAME: x"}\n\n{"seq": "gshm", "text": "y"}\n')
    assert read_corpus_sequences(p) == ["MKTA", "GSHM"]
    g = tmp_path / "c.jsonl.gz"
    with gzip.open(g, "wt") as fh:
        fh.write('{"seq": "MK"}\n')
    assert read_corpus_sequences(g) == ["MK"]
    arr = tmp_path / "array.json"
    arr.write_text(json.dumps([{"seq": "MK"}, {"seq": "GS"}]))
    assert read_corpus_sequences(arr) == ["MK", "GS"]


def test_read_sniffs_unknown_extension(tmp_path):
    p = tmp_path / "corpus.txt"
    p.write_text(">x\nMK\n")
    assert read_corpus_sequences(p) == ["MK"]
    q = tmp_path / "corpus.dat"
    q.write_text('{"seq": "MK"}\n')
    assert read_corpus_sequences(q) == ["MK"]
    r = tmp_path / "corpus.csv"
    r.write_text("seq\nMK\n")
    with pytest.raises(SequenceError, match="cannot tell the corpus format"):
        read_corpus_sequences(r)


@pytest.mark.parametrize("content, message", [
    ('{"seq": "MK"}\n{"seq": "MK"\n', r"line 2: invalid JSON"),
    ('{"seq": "MK"}\n{"sequence": "MK"}\n', r"line 2: no 'seq' field \(fields: sequence\)"),
    ('{"seq": 5}\n', r"line 1: 'seq' must be a string"),
    ('{"seq": "MK"}\n\n{"seq": "MK*"}\n', r"line 3: invalid residue"),
    ('["MK"]\n', r"record 0: expected a JSON object"),
])
def test_bad_jsonl_names_file_and_line(tmp_path, content, message):
    p = tmp_path / "bad.jsonl"
    p.write_text(content)
    with pytest.raises(SequenceError, match=message) as err:
        read_corpus_sequences(p)
    assert str(p) in str(err.value)


def test_bad_fasta_names_file_and_line(tmp_path):
    p = tmp_path / "bad.fasta"
    p.write_text(">a\nMK\n>b\nMK1\n")
    with pytest.raises(SequenceError, match=r"bad.fasta line 3"):
        read_corpus_sequences(p)


def test_missing_corpus_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_corpus_sequences(tmp_path / "nope.fasta")


def test_real_protclip_sample_if_mirrored(mirror):
    path = mirror / "protclip" / "aligned_data_sample.json"
    if not path.exists():
        pytest.skip("mirror has no protclip/aligned_data_sample.json")
    seqs = read_corpus_sequences(path)
    assert len(seqs) == 10 and all(seqs)


def test_module_constants_document_parameters():
    assert leakage.DEFAULT_PARAMS["cov_mode"] == 2 and leakage.DEFAULT_PARAMS["coverage"] == 0.8
    assert "fident" in leakage.IDENTITY_DEFINITION


@needs_mmseqs
def test_mmseqs_works_under_given_tmp_dir_and_cleans_up(synthetic, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    rep = leakage_report({"train": synthetic["train"], "test": synthetic["test"][:2]}, queries=("test",),
                         tmp_dir=work)
    assert rep["splits"]["test"]["identity"]["0.5"]["count"] == 2
    assert list(work.iterdir()) == []
