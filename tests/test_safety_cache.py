"""Issue 13 E1: corrupt embedding-cache shards and key files are detected, reported with their path,
evicted and recomputed; `cache ls|prune|verify` survive them."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from protbench.cache import CacheKey, EmbeddingCache
from protbench.cli import main
from protbench.embed import CachedEmbeddings
from protbench.spec import ModelMeta


class Model:
    def __init__(self):
        self.meta = ModelMeta(name="m", fingerprint="m-v1", dim=3, max_length=100)
        self.embedded = 0

    def embed_proteins(self, seqs):
        self.embedded += len(seqs)
        return np.array([[len(s), s.count("A"), s.count("C")] for s in seqs], np.float32)


SEQS = ["A" * n + "C" * (n % 5) for n in range(1, 30)]


def _corrupt(path, how):
    raw = path.read_bytes()
    if how == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif how == "zero-bytes":
        path.write_bytes(b"")
    elif how == "flipped-keys":           # inside the keys member: fails when the index is built
        i = raw.index(b"keys.npy") + 200
        path.write_bytes(raw[:i] + bytes([raw[i] ^ 0xFF]) + raw[i + 1:])
    elif how == "flipped-vectors":        # near the end of the vectors member: fails on the first read of vectors
        i = raw.index(b"\x93NUMPY", raw.index(b"vectors.npy")) + 128 + 40
        path.write_bytes(raw[:i] + bytes([raw[i] ^ 0xFF]) + raw[i + 1:])
    elif how == "wrong-layout":                # real keys, one vector short
        with np.load(path) as z:
            keys, vecs = z["keys"], z["vectors"]
        with path.open("wb") as fh:
            np.savez(fh, keys=keys, vectors=vecs[:-1])
    elif how == "pickled":
        with path.open("wb") as fh:
            np.savez(fh, keys=np.array([{"a": 1}], dtype=object), vectors=np.zeros((1, 3), np.float32))


def _fill(tmp_path):
    root = tmp_path / "emb"
    first = CachedEmbeddings(Model(), EmbeddingCache(root))
    ref = first.proteins(SEQS)
    shards = sorted(root.rglob("shard-*.npz"))
    assert shards
    return root, ref, shards


@pytest.mark.parametrize("how", ["truncated", "zero-bytes", "flipped-keys", "flipped-vectors", "wrong-layout",
                                 "pickled"])
def test_corrupt_shard_evicted_and_recomputed(tmp_path, how, caplog):
    root, ref, shards = _fill(tmp_path)
    _corrupt(shards[0], how)
    model = Model()
    emb = CachedEmbeddings(model, EmbeddingCache(root))
    with caplog.at_level(logging.WARNING, logger="protbench"):
        out = emb.proteins(SEQS)
    assert np.array_equal(out, ref)
    assert model.embedded > 0
    assert str(shards[0]) in caplog.text and "corrupt embedding cache shard" in caplog.text
    assert not shards[0].exists()
    # the next reader finds a healthy cache and embeds nothing
    again = Model()
    assert np.array_equal(CachedEmbeddings(again, EmbeddingCache(root)).proteins(SEQS), ref)
    assert again.embedded == 0


def test_garbage_key_json_rewritten_on_write(tmp_path, caplog):
    root, ref, _ = _fill(tmp_path)
    kf = next(root.rglob("key.json"))
    kf.write_text("{garbage")
    emb = CachedEmbeddings(Model(), EmbeddingCache(root))
    with caplog.at_level(logging.WARNING, logger="protbench"):
        emb.proteins(SEQS + ["MKVL"])
    assert str(kf) in caplog.text
    assert json.loads(kf.read_text())["model_fingerprint"] == "m-v1"


@pytest.mark.parametrize("how", ["truncated", "zero-bytes", "flipped-vectors", "key-json"])
def test_cache_commands_survive_corrupt_entries(tmp_path, how, capsys):
    cache_dir = tmp_path / "c"
    root, ref, shards = _fill(cache_dir)
    root = cache_dir / "emb"
    # the CLI looks under <cache>/embeddings
    (cache_dir / "embeddings").symlink_to(root)
    if how == "key-json":
        next(root.rglob("key.json")).write_bytes(b"\x00\xff garbage")
    else:
        _corrupt(shards[0], how)
    assert main(["cache", "ls", "--cache-dir", str(cache_dir)]) == 0
    out = capsys.readouterr()
    if how != "flipped-vectors":     # ls reads only the keys; verify reads everything
        assert "corrupt" in out.out or "key.json" in out.out
    assert main(["cache", "verify", "--cache-dir", str(cache_dir)]) == 1
    out = capsys.readouterr().out
    assert "corrupt" in out and ("key.json" if how == "key-json" else shards[0].name) in out
    assert main(["cache", "verify", "--fix", "--cache-dir", str(cache_dir)]) == 0
    assert main(["cache", "verify", "--cache-dir", str(cache_dir)]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
    # the healthy remainder still serves, damaged vectors are recomputed
    assert np.array_equal(CachedEmbeddings(Model(), EmbeddingCache(root)).proteins(SEQS), ref)
    if how != "key-json":
        _corrupt(sorted(root.rglob("shard-*.npz"))[0], how)
    assert main(["cache", "prune", "--all", "--cache-dir", str(cache_dir)]) == 0
    assert "removed 1 cache namespace" in capsys.readouterr().out
    assert not list(root.iterdir())


def test_prune_all_removes_namespace_with_garbage_key(tmp_path, capsys):
    root = tmp_path / "embeddings"
    ns = EmbeddingCache(root).namespace(CacheKey("fp", "last", "mean", 10, "truncate"))
    ns.put({"a" * 64: np.ones(3, np.float32)})
    (ns.dir / "key.json").write_text("[1, 2")
    assert main(["cache", "prune", "--all", "--cache-dir", str(tmp_path)]) == 0
    assert not ns.dir.exists()


def test_run_recovers_from_corrupt_shard(tmp_path, capsys, caplog):
    args = ["run", "--model", "aac", "--tasks", "beta-lactamase", "--profile", "smoke",
            "--cache-dir", str(tmp_path / "c"), "--output-dir", str(tmp_path / "o")]
    assert main(args) == 0
    res = tmp_path / "o" / "aac" / "smoke" / "beta-lactamase.json"
    before = json.loads(res.read_text())["summary"]
    for sh in (tmp_path / "c" / "embeddings").rglob("shard-*.npz"):
        _corrupt(sh, "truncated")
    with caplog.at_level(logging.WARNING, logger="protbench"):
        assert main(args + ["--overwrite", "always"]) == 0
    assert "corrupt embedding cache shard" in caplog.text and "shard-" in caplog.text
    assert json.loads(res.read_text())["summary"] == before
    assert main(args + ["--overwrite", "always"]) == 0          # and on every rerun
