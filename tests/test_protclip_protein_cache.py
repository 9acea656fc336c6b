"""The frozen protein encoder's state cache: same losses as without it, computed once, resumable, keyed right."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from protbench.protclip.config import named_config
from protbench.protclip.data import ProtAnnoRecord, write_protanno

TINY = {"protein_encoder": "unirep", "unirep_size": 16, "unirep_cells": 2, "unirep_init": "random",
        "unirep_train": "projections"}
TEXT = ("PROTEIN NAME: protein {i}. FUNCTION: binds ligand {j}. SUBCELLULAR LOCATION: compartment {k}. "
        "SIMILARITY: family {i}.")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _records(n=8, seed=0):
    rng = np.random.default_rng(seed)
    aa = "ACDEFGHIKLMNPQRSTVWY"
    return [ProtAnnoRecord("".join(rng.choice(list(aa), rng.integers(8, 18))), TEXT.format(i=i, j=i % 3, k=i % 2))
            for i in range(n)]


class Calls:
    """Counts the encoder's step-by-step forward passes (training path) and the cache's batched scans."""

    def __init__(self, monkeypatch):
        from protbench.models import unirep as ur
        from protbench.protclip.protein_encoders.unirep import UniRepModule

        self.forward = self.scan = 0
        fwd, scan = UniRepModule.forward, ur.run_cell

        def forward(mod, tokens):
            self.forward += 1
            return fwd(mod, tokens)

        def run_cell(*a, **k):
            self.scan += 1
            return scan(*a, **k)

        monkeypatch.setattr(UniRepModule, "forward", forward)
        monkeypatch.setattr(ur, "run_cell", run_cell)


def _pretrain(tmp_path, name, cache=None, steps=3, **extra):
    from protbench.protclip.train import PretrainConfig, pretrain

    data = tmp_path / "c.jsonl"
    if not data.exists():
        write_protanno(_records(12), data)
    over = {**TINY, "max_protein_length": 12}             # some sequences are cropped: keys follow the crop
    return pretrain(PretrainConfig(train_data=str(data), output_dir=str(tmp_path / name), model="tiny",
                                   model_overrides=over, batch_size=4, max_steps=steps, valid_fraction=1 / 3,
                                   eval_every=2, seed=3, threads=1, progress=False,
                                   protein_cache_dir=str(cache) if cache else None, **extra))


def _losses(summary):
    return [json.loads(line) for line in open(summary["log"]) if '"loss"' in line]


def test_cached_training_gives_the_uncached_losses_and_a_second_run_reads_the_cache(tmp_path, monkeypatch):
    """12 records (8 train, 4 valid), batch 4, 3 steps, validation at steps 0, 2 and 3: 6 forwards of the model.
    Without the cache each runs the mLSTM twice (clean ids, BSR's masked ids); with it once (BSR)."""
    calls = Calls(monkeypatch)
    plain = _pretrain(tmp_path, "plain")
    assert calls.forward == 12 and calls.scan == 0

    calls.forward = 0
    first = _pretrain(tmp_path, "cached", cache=tmp_path / "cache")
    a, b = _losses(plain), _losses(first)
    assert [(x["step"], x.get("split")) for x in a] == [(x["step"], x.get("split")) for x in b]
    assert len(a) == 6
    for x, y in zip(a, b):
        for k in ("loss", "gc", "mlm", "bsr", "pda"):
            assert y[k] == pytest.approx(x[k], rel=1e-5, abs=1e-6), (k, x, y)
    assert calls.forward == 6                                          # BSR only
    assert first["protein_cache"]["computed"] == 12 and calls.scan > 0  # every (cropped) protein once, up front
    assert first["protein_cache"]["hits"] == 6 * 4                      # every row of every forward from the cache

    calls.forward = calls.scan = 0
    second = _pretrain(tmp_path, "again", cache=tmp_path / "cache")
    assert second["protein_cache"]["computed"] == 0 and calls.scan == 0      # read, never recomputed
    assert second["protein_cache"]["hits"] == 24 and calls.forward == 6
    assert [r["loss"] for r in _losses(second)] == [r["loss"] for r in _losses(first)]


def test_states_equal_the_encoders_and_a_killed_fill_resumes(tmp_path):
    from protbench.models.esm import tokenize
    from protbench.protclip.protein_cache import ProteinStateCache
    from protbench.protclip.protein_encoders import build_protein_encoder

    enc = build_protein_encoder(named_config("tiny", seed=4, **TINY))
    seqs = [r.seq for r in _records(6, seed=1)]
    cache = ProteinStateCache(tmp_path, enc, batch_size=2)
    assert cache.fill(seqs[:3]) == 3                     # "killed" after three proteins
    again = ProteinStateCache(tmp_path, enc, batch_size=2)  # a new process
    assert again.fill(seqs) == 3 and again.computed == 3  # only the missing ones
    ids = tokenize(seqs[::-1] + ["GSHM"])               # another order, padding, one protein not yet cached
    states, pooled = again.lookup(ids)
    with torch.no_grad():
        want = enc.states(ids)
        want_pooled = enc.pooled(ids)
    assert states.shape == want.shape and again.computed == 4 and again.hits == 6
    torch.testing.assert_close(states, want, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(pooled, want_pooled, rtol=1e-5, atol=1e-6)
    assert float(states[-1, 6:].abs().max()) == 0.0       # <eos> and padding stay 0


def test_a_damaged_shard_is_recomputed(tmp_path):
    from protbench.models.esm import tokenize
    from protbench.protclip.protein_cache import ProteinStateCache
    from protbench.protclip.protein_encoders import build_protein_encoder

    enc = build_protein_encoder(named_config("tiny", seed=4, **TINY))
    seqs = ["MKTAYIAKQR", "GSHMSLFDF"]
    c = ProteinStateCache(tmp_path, enc, batch_size=1)
    c.fill(seqs)
    shards = sorted(c.residues.dir.glob("shard-*.npz"))
    assert len(shards) == 2
    shards[0].write_bytes(b"")                           # damaged on disk
    (c.residues.dir / ".tmp-left-by-a-kill.npz").write_bytes(b"partial")
    d = ProteinStateCache(tmp_path, enc, batch_size=1)
    states, _ = d.lookup(tokenize(seqs))
    assert d.computed == 1
    with torch.no_grad():
        torch.testing.assert_close(states, enc.states(tokenize(seqs)), rtol=1e-5, atol=1e-6)


def test_key_separates_weights_seeds_and_dtypes_and_refuses_trainable_encoders(tmp_path):
    from protbench.protclip.protein_cache import ProteinStateCache
    from protbench.protclip.protein_encoders import build_protein_encoder

    a = build_protein_encoder(named_config("tiny", seed=4, **TINY))
    fp = ProteinStateCache(tmp_path, a).fingerprint
    assert ProteinStateCache(tmp_path, build_protein_encoder(named_config("tiny", seed=4, **TINY))).fingerprint == fp
    assert ProteinStateCache(tmp_path, build_protein_encoder(named_config("tiny", seed=5, **TINY))).fingerprint != fp
    assert ProteinStateCache(tmp_path, a, dtype="bfloat16").fingerprint != fp
    with torch.no_grad():
        a.module.cells[1].wh.add_(0.01)                   # e.g. a checkpoint's weights
    assert ProteinStateCache(tmp_path, a).fingerprint != fp
    with pytest.raises(ValueError, match="frozen"):
        ProteinStateCache(tmp_path, build_protein_encoder(named_config("tiny", **{**TINY, "unirep_train": "all"})))
    with pytest.raises(ValueError, match="frozen"):
        ProteinStateCache(tmp_path, build_protein_encoder(named_config("tiny")))          # ESM-2 trains


def test_cli_protein_cache_option(tmp_path, capsys):
    from protbench.cli import main

    data = tmp_path / "c.jsonl"
    write_protanno(_records(), data)
    base = ["pretrain", "--train", str(data), "--max-steps", "1", "--batch-size", "4", "--protein-encoder",
            "unirep", "--unirep-init", "random", "--unirep-size", "64", "--unirep-train", "projections",
            "--protein-cache", str(tmp_path / "cache"), "--set", "threads=1", "--set", "valid_fraction=0"]
    assert main(base + ["--output-dir", str(tmp_path / "o")]) == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["protein_cache"]["computed"] == 8 and summary["protein_cache"]["stored"] == 8
    capsys.readouterr()
    bad = base[:-6] + ["--unirep-train", "all", "--protein-cache", str(tmp_path / "c2"), "--output-dir",
                       str(tmp_path / "x")]
    assert main(bad) != 0
    assert "needs a frozen protein encoder" in capsys.readouterr().err
