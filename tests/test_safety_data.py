"""Issue 13: hostile data files — non-finite targets (W3), duplicate FASTA ids (W5), NaN scores in metrics,
malformed CSV/LMDB fields, truncated smoke manifests."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from protbench.fetch import Files
from protbench.formats import flip, peer_csv, peer_lmdb
from protbench.metrics.classification import accuracy
from protbench.metrics.ppi import macro_f1, micro_f1
from protbench.sequences import DropLog, SequenceError, read_fasta


# -- W3: inf regression targets are counted drops ----------------------------------------------------
def _archive(tmp_path, targets):
    splits = {s: [{"primary": "MKV" * (i + 2), "y": t} for i, t in enumerate(targets)]
              for s in ("train", "valid", "test")}
    return peer_lmdb.write_archive(tmp_path / "reg.tar.gz", "reg", splits)


def test_inf_lmdb_target_dropped_as_non_finite(tmp_path):
    from protbench.tasks.mutation.readers import peer_regression_reader

    arc = _archive(tmp_path, [1.0, float("inf"), -float("inf"), float("nan"), np.array([2.5], np.float32)])
    data = peer_regression_reader(arc.name, "reg", "y")(Files({arc.name: arc}, tmp_path / "cache"))
    assert [r.label for r in data.splits["train"]] == [1.0, 2.5]
    assert data.stats["dropped"]["train"] == {"non-finite target": 2, "missing target": 1}


@pytest.mark.parametrize("bad", ["12.5", np.array([1.0, 2.0])])
def test_string_or_vector_lmdb_target_names_record(tmp_path, bad):
    from protbench.tasks.mutation.readers import peer_regression_reader

    arc = _archive(tmp_path, [1.0, bad])
    msg = r"reg_(train|valid|test)\.lmdb record 1: target .* not a number"
    with pytest.raises(peer_lmdb.LMDBFormatError, match=msg):
        peer_regression_reader(arc.name, "reg", "y")(Files({arc.name: arc}, tmp_path / "cache"))


def test_inf_flip_target_dropped_as_non_finite(tmp_path):
    from protbench.tasks.mutation.readers import flip_reader

    rows = [{"sequence": "MKVL" * 3, "target": t, "set": s}
            for s in ("train", "test") for t in (1.0, "inf", "-inf", 2.0)]
    z = flip.write_splits_zip(tmp_path / "splits.zip", {"one": rows})
    data = flip_reader(z.name, "one")(Files({z.name: z}, tmp_path))
    assert [r.label for r in data.splits["test"]] == [1.0, 2.0]
    assert data.stats["dropped"]["test"] == {"non-finite target": 2}


# -- W5: duplicate FASTA ids ---------------------------------------------------------------------------
def test_duplicate_fasta_id_with_different_sequence_is_error(tmp_path):
    f = tmp_path / "d.fasta"
    f.write_text(">a x\nMKV\n>b\nMKL\n>a y\nMKW\n")
    with pytest.raises(SequenceError, match=r"d\.fasta: duplicate record id 'a' at lines 1 and 5"):
        list(read_fasta(f))


def test_identical_duplicate_fasta_record_counted_once(tmp_path):
    f = tmp_path / "d.fasta"
    f.write_text(">a\nMKV\n>b\nMKL\n>a\nmkv\n")
    log = DropLog()
    assert [r.id for r in read_fasta(f, log=log, split="pool")] == ["a", "b"]
    assert log.to_dict()["dropped"] == {"pool": {"duplicate FASTA record": 1}}


def test_ec_partial_reader_refuses_conflicting_duplicate(tmp_path):
    from unittest import mock

    import protbench.tasks.function.readers as fr

    files = {}
    for suffix, text in (("annot.tsv", ""), ("test.csv", ""), ("test.txt", "1abc-A\n"),
                         ("test_sequences.fasta", ">1abc-A\nMKV\n>1abc-A\nMKL\n")):
        p = tmp_path / f"x_{suffix}"
        p.write_text(text)
        files[p.name] = p
    with mock.patch.object(fr.deepfri, "read_annotations", return_value=None), \
            mock.patch.object(fr.deepfri, "read_split_list", return_value=["1abc-A"]), \
            mock.patch.object(fr.deepfri, "read_test_cutoffs", return_value={}):
        msg = r"x_test_sequences\.fasta: duplicate record id '1abc-A' at lines 1 and 3"
        with pytest.raises(SequenceError, match=msg):
            fr.ec_partial_reader("x", 0)(Files(files, tmp_path))


# -- metrics: NaN scores ------------------------------------------------------------------------------
def test_accuracy_and_f1_refuse_nan_scores():
    s = np.array([[0.2, 0.8], [np.nan, 0.1]])
    with pytest.raises(ValueError, match="NaN"):
        accuracy([1, 0], s)
    with pytest.raises(ValueError, match="NaN"):
        accuracy([1, 0], np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="NaN"):
        micro_f1(np.array([[1, 0], [0, 1]]), s)
    with pytest.raises(ValueError, match="NaN"):
        macro_f1(np.array([[1, 0], [0, 1]]), s)
    assert accuracy([1, 0], np.array([[0.2, 0.8], [0.9, 0.1]])) == 1.0


# -- CSV and LMDB fields ------------------------------------------------------------------------------
@pytest.mark.parametrize("label", ["inf", "-inf", "nan", "1e999"])
def test_csv_non_finite_label_names_file_and_line(tmp_path, label):
    f = tmp_path / "loc_train.csv"
    f.write_text(f"primary,localization\nMKV,1\nMKL,{label}\n")
    with pytest.raises(peer_csv.PeerCSVFormatError, match=r"loc_train\.csv line 3: label .* not an integer"):
        peer_csv.read_csv(f)


def _raw_lmdb(path, entries):
    import lmdb

    env = lmdb.open(str(path), map_size=1 << 20)
    with env.begin(write=True) as txn:
        for k, v in entries.items():
            txn.put(k, v)
    env.close()
    return path


def test_lmdb_int_primary_names_record(tmp_path):
    p = _raw_lmdb(tmp_path / "a_train.lmdb", {b"num_examples": pickle.dumps(2), b"0": pickle.dumps({"primary": "MKV"}),
                                              b"1": pickle.dumps({"primary": 12345})})
    with pytest.raises(peer_lmdb.LMDBFormatError, match=r"a_train\.lmdb: record 1: 'primary' is a int"):
        peer_lmdb.read_lmdb(p)


@pytest.mark.parametrize("raw, msg", [(b"\x80\x04garbage", "cannot be decoded"), (pickle.dumps(-3), "-3"),
                                      (pickle.dumps("ten"), "'ten'"), (pickle.dumps(2.5), "2.5")])
def test_lmdb_bad_num_examples(tmp_path, raw, msg):
    p = _raw_lmdb(tmp_path / "b_valid.lmdb", {b"num_examples": raw, b"0": pickle.dumps({"primary": "MKV"})})
    with pytest.raises(peer_lmdb.LMDBFormatError, match=r"b_valid\.lmdb: 'num_examples'.*" + msg.replace(".", r"\.")):
        peer_lmdb.read_lmdb(p)


# -- truncated smoke manifest -------------------------------------------------------------------------
@pytest.mark.parametrize("content", ['{"beta_lac', "", "[1, 2]", '{"x": "missing.file"}'])
def test_truncated_smoke_manifest_regenerated(tmp_path, content):
    from protbench import stages
    from protbench.registry import load_registries

    task = load_registries().tasks.get("beta-lactamase")
    first = stages.smoke_files(task, tmp_path)
    manifest = tmp_path / "smoke" / "beta-lactamase" / "manifest.json"
    manifest.write_text(content)
    again = stages.smoke_files(task, tmp_path)
    assert again == first and all(p.exists() for p in again.values())
    assert json.loads(manifest.read_text())
