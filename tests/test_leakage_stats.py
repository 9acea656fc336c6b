"""The homology-leakage report is recorded in a result's dataset stats and shown in the leaderboard appendix."""
import shutil

import pytest

from protbench.leaderboard.collect import collect
from protbench.leaderboard.render import appendix_markdown
from protbench.spec import Record, TaskData
from protbench.stages import split_leakage

A = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVVHSLAKWKRQTLGQHDFSAGEGLYTHMKALRPDEDRLSPLHSVYVDQWDWERVMGDGERQFSTLKSTVEAIWAGIKATEAAVSEEFGLAPFLPDQIHFVHSQELLSRYPDLDAKGRERAIAKDLGAVFLVGIGGKLSDGHRHDVRAPDYDDWUAAB"
B = "GSHMSLFDFFKNKGSAATATDRLKLLLVSPAKMLDAAERSPRLLVRADEVGRLSVTLGDLQGELEALHGDLAGVLVEGAGAALDRLVAELTERHPETRIATLLAR"


def _data():
    rec = lambda i, s: Record(id=f"r{i}", sequence=s, label=0.0)  # noqa: E731
    return TaskData(splits={"train": [rec(0, A), rec(1, B)], "valid": [rec(2, B)],
                            "test": [rec(3, A[:120] + "W" + A[121:]), rec(4, "ACDEFGHIKLMNPQRSTVWY" * 3)]})


def test_exact_counts_without_mmseqs(tmp_path, monkeypatch):
    monkeypatch.setenv("PROTBENCH_MMSEQS", str(tmp_path / "no-such-mmseqs"))
    rep = split_leakage(_data(), tmp_path)
    assert rep["splits"]["valid"]["exact"]["count"] == 1 and rep["splits"]["test"]["exact"]["count"] == 0
    assert rep["splits"]["test"]["identity"] is None and "apt-get install mmseqs2" in rep["note"]


@pytest.mark.skipif(shutil.which("mmseqs") is None, reason="MMseqs2 not installed (apt-get install mmseqs2)")
def test_identity_bins_with_mmseqs(tmp_path):
    rep = split_leakage(_data(), tmp_path)
    test = rep["splits"]["test"]["identity"]
    assert test["0.9"]["count"] == 1 and test["0.3"]["count"] == 1       # the one-mutation copy of A, not the repeat


def test_exact_only_when_identity_not_asked(tmp_path):
    rep = split_leakage(_data(), tmp_path, identity=False)
    assert rep["splits"]["test"]["identity"] is None and "--leakage identity" in rep["note"]


def test_no_train_split_gives_none(tmp_path):
    assert split_leakage(TaskData(splits={"proteins": _data().splits["train"]}), tmp_path) is None


def test_leaderboard_appendix_shows_leakage(tmp_path):
    (tmp_path / "r").mkdir()
    leak = {"reference": "train", "splits": {"test": {"n": 10, "exact": {"count": 2, "fraction": 0.2},
                                                       "identity": {"0.3": {"count": 5, "fraction": 0.5},
                                                                    "0.5": {"count": 4, "fraction": 0.4},
                                                                    "0.9": {"count": 3, "fraction": 0.3}}}}}
    board = collect(tmp_path / "r")
    board.leakage["toy"] = leak
    text = appendix_markdown(board)
    assert "Appendix: homology leakage" in text
    assert "| toy | test | 10 | 2 (20.0 %) | 5 (50.0 %) | 4 (40.0 %) | 3 (30.0 %) |" in text
