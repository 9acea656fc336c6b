"""PEER/TAPE LMDB reader: roundtrip, truncated files, missing records, unsafe pickles."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from protbench.formats import peer_lmdb


def _write(tmp_path, n=50):
    recs = [{"primary": "MKV" * (i + 1), "target": np.array([float(i)], dtype=np.float32)} for i in range(n)]
    path = tmp_path / "x_train.lmdb"
    peer_lmdb.write_lmdb(path, recs)
    return path


def test_roundtrip_unwraps_scalars(tmp_path):
    recs = peer_lmdb.read_lmdb(_write(tmp_path))
    assert len(recs) == 50 and recs[3] == {"primary": "MKVMKVMKVMKV", "target": 3.0}


@pytest.mark.parametrize("keep", [1 / 3, 0.9, 100])
def test_truncated_lmdb_is_a_clear_error(tmp_path, keep):
    # without the size check LMDB touches unmapped pages and the process dies of SIGBUS
    path = _write(tmp_path, n=400)
    data = path / "data.mdb"
    raw = data.read_bytes()
    data.write_bytes(raw[: int(len(raw) * keep) if keep < 1 else keep])
    with pytest.raises(peer_lmdb.LMDBFormatError, match="truncated|corrupt"):
        peer_lmdb.read_lmdb(path)


def test_missing_record_and_missing_count(tmp_path):
    import lmdb

    path = tmp_path / "y_valid.lmdb"
    env = lmdb.open(str(path), map_size=1 << 20)
    with env.begin(write=True) as txn:
        txn.put(b"num_examples", pickle.dumps(3))
        txn.put(b"0", pickle.dumps({"primary": "MKV"}))
    env.close()
    with pytest.raises(peer_lmdb.LMDBFormatError, match="record 1 of 3 missing"):
        peer_lmdb.read_lmdb(path)
    with pytest.raises(peer_lmdb.LMDBFormatError, match="no data.mdb"):
        peer_lmdb.read_lmdb(tmp_path / "nothing.lmdb")


def test_unsafe_pickle_refused(tmp_path):
    import lmdb

    path = tmp_path / "z_test.lmdb"
    env = lmdb.open(str(path), map_size=1 << 20)
    with env.begin(write=True) as txn:
        txn.put(b"num_examples", pickle.dumps(1))
        txn.put(b"0", pickle.dumps({"primary": "MKV", "evil": print}))
    env.close()
    with pytest.raises(peer_lmdb.LMDBFormatError, match="cannot be decoded"):
        peer_lmdb.read_lmdb(path)
