"""FLIP split zips: train / validation / test partition and errors."""
from __future__ import annotations

import zipfile

import pytest

from protbench.formats import flip


def test_split_partition_and_order(tmp_path):
    rows = [{"sequence": "MKV", "target": 1.0, "set": "train", "validation": False},
            {"sequence": "MKA", "target": 2.0, "set": "train", "validation": True},
            {"sequence": "MKC", "target": "", "set": "test", "validation": False},
            {"sequence": "MKD", "target": 4.5, "set": "train", "validation": False}]
    z = flip.write_splits_zip(tmp_path / "splits.zip", {"two_vs_many": rows, "other": rows[:1]})
    assert "splits/two_vs_many.csv" in zipfile.ZipFile(z).namelist()
    out = flip.read_split(z, "two_vs_many")
    assert [r["sequence"] for r in out["train"]] == ["MKV", "MKD"]
    assert [r["sequence"] for r in out["valid"]] == ["MKA"]
    assert out["test"][0]["target"] is None and out["test"][0]["line"] == 4


def test_missing_split_and_bad_set(tmp_path):
    z = flip.write_splits_zip(tmp_path / "s.zip", {"human": [{"sequence": "M", "target": 1, "set": "train"}]})
    with pytest.raises(flip.FLIPFormatError, match=r"no split 'human_cell'.*\['human'\]"):
        flip.read_split(z, "human_cell")
    bad = tmp_path / "b.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("splits/x.csv", "sequence,target,set,validation\nMKV,1.0,holdout,False\n")
    with pytest.raises(flip.FLIPFormatError, match="line 2: set 'holdout'"):
        flip.read_split(bad, "x")
    (tmp_path / "trunc.zip").write_bytes(z.read_bytes()[:20])
    with pytest.raises(flip.FLIPFormatError, match="not a readable zip"):
        flip.read_split(tmp_path / "trunc.zip", "human")
