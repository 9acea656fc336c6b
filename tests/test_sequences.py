"""Sequence validation and FASTA parsing: clear errors naming file, line and record."""
from __future__ import annotations

import pytest

from protbench.cli import main
from protbench.sequences import DropLog, SequenceError, check_sequence, clean_sequence, read_fasta, write_fasta


def test_fasta_roundtrip_wraps_and_validates(tmp_path):
    path = tmp_path / "x.fasta"
    write_fasta(path, [("P1 desc", "ACDEFGHIKLMNPQRSTVWY" * 4), ("P2", "mkv")], width=30)
    recs = list(read_fasta(path))
    assert [r.id for r in recs] == ["P1", "P2"] and recs[0].header == "P1 desc"
    assert recs[0].sequence == "ACDEFGHIKLMNPQRSTVWY" * 4 and recs[1].sequence == "MKV"
    assert recs[1].line == 5   # header, 3 wrapped lines of 30, then >P2


@pytest.mark.parametrize("content,pattern", [
    ("ACDE\n>P1\nACD\n", r"line 1: sequence data before the first '>'"),
    (">P1\nAC1D\n", r"line 1 \(>P1\): invalid residue\(s\) '1'"),
    (">P1\nACD\n>\nACD\n", r"line 3: empty FASTA header"),
    (">P1\n\n>P2\nAC\n", r"line 1 \(>P1\): empty sequence"),
    (">P1\nAC-D*\n", r"invalid residue\(s\) '\*-'"),
])
def test_fasta_errors_name_file_and_line(tmp_path, content, pattern):
    path = tmp_path / "bad.fasta"
    path.write_text(content)
    with pytest.raises(SequenceError, match=pattern) as exc:
        list(read_fasta(path))
    assert "bad.fasta" in str(exc.value)


def test_check_sequence_limits():
    assert check_sequence(" acd ", "rec") == "ACD"
    with pytest.raises(SequenceError, match="rec: sequence of 5 residues exceeds the limit of 4"):
        check_sequence("AAAAA", "rec", max_length=4)


def test_clean_sequence_counts_drops():
    log = DropLog()
    assert clean_sequence("acd", "train", "r1", log) == "ACD"
    assert clean_sequence("", "train", "r2", log) is None
    assert clean_sequence("AC#", "test", "r3", log) is None
    d = log.to_dict()
    assert d["dropped"] == {"train": {"empty sequence": 1}, "test": {"invalid residue": 1}}
    assert d["drop_examples"]["invalid residue"] == ["r3"] and log.total() == 2


def test_cli_cache_ls_prune_and_prefetch(tmp_path, capsys, mirror):
    cache = tmp_path / "c"
    assert main(["prefetch", "--tasks", "beta-lactamase", "--mirror", str(mirror), "--offline",
                 "--cache-dir", str(cache)]) == 0
    assert (cache / "downloads" / "beta_lactamase.tar.gz").is_file()
    assert main(["embed", "--model", "aac", "--tasks", "beta-lactamase", "--cache-dir", str(cache), "--offline"]) == 0
    capsys.readouterr()
    assert main(["cache", "ls", "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "feature-aac" in out and "protein" in out
    assert main(["cache", "prune", "--cache-dir", str(cache)]) == 2
    assert main(["cache", "prune", "--all", "--cache-dir", str(cache)]) == 0
    assert "removed 1" in capsys.readouterr().out


def test_cli_offline_missing_file_message(tmp_path, capsys):
    (tmp_path / "empty").mkdir()   # a --mirror that does not exist is a usage error
    rc = main(["run", "--model", "aac", "--tasks", "beta-lactamase", "--offline", "--cache-dir", str(tmp_path),
               "--mirror", str(tmp_path / "empty"), "--output-dir", str(tmp_path / "r")])
    assert rc == 1
    from protbench.results import read_result

    res = read_result(tmp_path / "r" / "aac" / "beta-lactamase.json")
    assert res["status"] == "failed" and "beta_lactamase.tar.gz" in res["error"] and "--mirror" in res["error"]
