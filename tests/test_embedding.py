"""Embedding engine and cache: batching, pooling, policies, cache keys, reuse, concurrency, crash + resume."""
from __future__ import annotations

import multiprocessing as mp
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from protbench.cache import CacheKey, EmbeddingCache, content_hash
from protbench.embed import CachedEmbeddings, EmbedConfig, split_long, token_budget_batches
from protbench.pooling import masked_mean
from protbench.spec import ModelMeta


class CountingModel:
    """Vector = (length, count of 'A', sum of residue codes); counts calls; can fail on a given call."""

    def __init__(self, max_length: int = 50, fail_on_call: int | None = None, fingerprint: str = "count-v1"):
        self.meta = ModelMeta(name="counting", fingerprint=fingerprint, dim=3, max_length=max_length)
        self.calls: list[list[str]] = []
        self.fail_on_call = fail_on_call

    def embed_proteins(self, seqs):
        self.calls.append(list(seqs))
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise RuntimeError("simulated crash mid-run")
        return np.array([[len(s), s.count("A"), sum(map(ord, s))] for s in seqs], dtype=np.float32)


SEQS = ["A" * n + "C" * (n % 7) for n in range(1, 41)]


def test_masked_mean_hand_computed():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]],
                           [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]])
    mask = torch.tensor([[1, 1, 0], [0, 1, 1]])
    out = masked_mean(hidden, mask)
    assert torch.allclose(out, torch.tensor([[2.0, 3.0], [8.0, 9.0]]))
    assert torch.equal(masked_mean(hidden, torch.zeros(2, 3)), torch.zeros(2, 2))


def test_esm_pooling_excludes_special_tokens_and_padding():
    from protbench.models.esm import ESM2, residue_positions, tokenize

    ids = tokenize(["ACD", "A"])
    assert ids.tolist()[1][:3] == [0, 5, 2] and ids.tolist()[1][3:] == [1, 1]
    assert residue_positions(ids).tolist() == [[False, True, True, True, False], [False, True, False, False, False]]
    m = ESM2("tiny", seed=0)
    states, mask = m.hidden(["ACD", "A"])
    expected = states[0, 1:4].mean(0)
    assert torch.allclose(torch.from_numpy(m.embed_proteins(["ACD", "A"])[0]), expected.float(), atol=1e-6)
    # a sequence's vector does not depend on what it is batched with (padding excluded)
    alone = m.embed_proteins(["A"])[0]
    assert np.allclose(alone, m.embed_proteins(["ACD", "A"])[1], atol=1e-5)


def test_token_budget_batches_respect_budget_and_sort():
    lengths = [5, 100, 30, 30, 7, 250, 1]
    batches = token_budget_batches(lengths, token_budget=200, special_tokens=2)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        longest = max(lengths[i] for i in b)
        assert len(b) == 1 or len(b) * (longest + 2) <= 200
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat, reverse=True)
    assert batches[0] == [5]  # longer than the budget: alone


def test_token_budget_is_the_runs_else_the_models_else_the_default(tmp_path):
    """A model may prefer larger batches (UniRep: more rows per recurrent step); a run's budget overrides it."""
    from protbench.embed import DEFAULT_TOKEN_BUDGET

    def batches(model_budget, run_budget):
        model = CountingModel()
        model.meta = replace(model.meta, token_budget=model_budget)
        emb = CachedEmbeddings(model, EmbeddingCache(tmp_path / f"{model_budget}-{run_budget}"),
                               EmbedConfig(token_budget=run_budget))
        emb.proteins(SEQS)
        return emb.token_budget, [len(c) for c in model.calls]

    assert batches(None, None) == (DEFAULT_TOKEN_BUDGET, [len(SEQS)])
    model_only, run_too = batches(100, None), batches(100, 1000)
    assert model_only == (100, [len(b) for b in token_budget_batches([len(s) for s in SEQS], 100)])
    assert run_too[0] == 1000 and len(run_too[1]) < len(model_only[1])


def test_split_long_policies():
    assert split_long("ABCDEFG", 3, "truncate") == ["ABC"]
    assert split_long("ABCDEFG", 3, "chunk") == ["ABC", "DEF", "G"]
    assert split_long("AB", 3, "chunk") == ["AB"]


def test_chunk_policy_is_length_weighted_mean(tmp_path):
    model = CountingModel(max_length=4)
    emb = CachedEmbeddings(model, EmbeddingCache(tmp_path), EmbedConfig(policy="chunk"))
    v = emb.proteins(["AAAAAACC"])[0]           # pieces "AAAA", "AACC": 4 residues each
    assert np.allclose(v[:2], [4, 3])            # length mean (4+4)/2, A-count mean (4+2)/2
    model2 = CountingModel(max_length=4)
    emb2 = CachedEmbeddings(model2, EmbeddingCache(tmp_path), EmbedConfig(policy="truncate"))
    assert np.allclose(emb2.proteins(["AAAAAACC"])[0][:2], [4, 4])
    assert emb.stats.chunked == 1 and emb2.stats.truncated == 1


def test_second_run_makes_no_forward_calls(tmp_path):
    model = CountingModel()
    first = CachedEmbeddings(model, EmbeddingCache(tmp_path), EmbedConfig(token_budget=100)).proteins(SEQS)
    assert len(model.calls) > 1 and sum(len(c) for c in model.calls) == len(SEQS)
    model2 = CountingModel()
    emb2 = CachedEmbeddings(model2, EmbeddingCache(tmp_path), EmbedConfig(token_budget=100))
    again = emb2.proteins(list(reversed(SEQS)) + SEQS[:3])
    assert model2.calls == []
    assert np.array_equal(again[: len(SEQS)], first[::-1])
    assert emb2.stats.cache_hits == len(SEQS)


def test_duplicates_embedded_once(tmp_path):
    model = CountingModel()
    out = CachedEmbeddings(model, EmbeddingCache(tmp_path)).proteins(["ACD", "ACD", "AAA", "ACD"])
    assert sum(len(c) for c in model.calls) == 2
    assert np.array_equal(out[0], out[3])


@pytest.mark.parametrize("field,value", [("model_fingerprint", "other"), ("layer", "6"), ("pooling", "cls"),
                                         ("max_length", 999), ("policy", "chunk"), ("kind", "text")])
def test_cache_key_changes_with_every_field(field, value):
    base = CacheKey("fp", "last", "mean", 1022, "truncate", "protein")
    assert replace(base, **{field: value}).namespace() != base.namespace()


def test_changed_model_fingerprint_misses_cache(tmp_path):
    CachedEmbeddings(CountingModel(), EmbeddingCache(tmp_path)).proteins(SEQS[:5])
    m2 = CountingModel(fingerprint="count-v2")
    CachedEmbeddings(m2, EmbeddingCache(tmp_path)).proteins(SEQS[:5])
    assert sum(len(c) for c in m2.calls) == 5


def test_crash_mid_run_keeps_finished_batches_and_resumes(tmp_path):
    cfg = EmbedConfig(token_budget=60)
    crashing = CountingModel(fail_on_call=3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        CachedEmbeddings(crashing, EmbeddingCache(tmp_path), cfg).proteins(SEQS)
    done_before = sum(len(c) for c in crashing.calls[:2])
    assert done_before > 0
    resumed = CountingModel()
    out = CachedEmbeddings(resumed, EmbeddingCache(tmp_path), cfg).proteins(SEQS)
    assert sum(len(c) for c in resumed.calls) == len(SEQS) - done_before
    assert np.allclose(out[:, 0], [len(s) for s in SEQS])


def _writer(root: str, seqs: list[str], out: "mp.Queue") -> None:
    model = CountingModel()
    vecs = CachedEmbeddings(model, EmbeddingCache(Path(root)), EmbedConfig(token_budget=40)).proteins(seqs)
    out.put((sum(len(c) for c in model.calls), vecs.tolist()))


def test_two_concurrent_writers_share_the_cache(tmp_path):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), SEQS[i::2] + SEQS[:10], q)) for i in range(2)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    reader = CountingModel()
    out = CachedEmbeddings(reader, EmbeddingCache(tmp_path)).proteins(SEQS)
    assert reader.calls == []
    assert np.allclose(out[:, 0], [len(s) for s in SEQS])
    ns = EmbeddingCache(tmp_path).namespace(CachedEmbeddings(reader, EmbeddingCache(tmp_path)).key("protein"))
    merged = ns.compact()
    assert merged >= 2 and len(list(ns.dir.glob("shard-*.npz"))) == 1
    assert np.array_equal(CachedEmbeddings(CountingModel(), EmbeddingCache(tmp_path)).proteins(SEQS), out)


def test_residue_level_cache_roundtrip(tmp_path):
    from protbench.models.esm import ESM2

    m = ESM2("tiny", seed=0)
    emb = CachedEmbeddings(m, EmbeddingCache(tmp_path))
    res = emb.residues(["ACDE", "KLMNPQ"])
    assert [r.shape for r in res] == [(4, 64), (6, 64)]
    again = CachedEmbeddings(m, EmbeddingCache(tmp_path)).residues(["KLMNPQ"])
    assert np.array_equal(again[0], res[1])
    assert np.allclose(res[0].mean(0), emb.proteins(["ACDE"])[0], atol=1e-5)


def test_cache_ls_and_prune(tmp_path):
    cache = EmbeddingCache(tmp_path)
    CachedEmbeddings(CountingModel(), cache).proteins(SEQS[:4])
    rows = cache.entries()
    assert len(rows) == 1 and rows[0]["vectors"] == 4 and rows[0]["model_fingerprint"] == "count-v1"
    assert cache.prune(model_fingerprint="nomatch") == []
    assert cache.prune(model_fingerprint="count") == [rows[0]["namespace"]]
    assert cache.entries() == []


def test_content_hash_is_sha256():
    import hashlib

    assert content_hash("ACD") == hashlib.sha256(b"ACD").hexdigest()
