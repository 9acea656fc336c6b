"""Mutation tasks: smoke data in the upstream formats, cleaning/drops, real split sizes (mirror)."""
from __future__ import annotations

import numpy as np
import pytest

from protbench.fetch import Fetcher, Files
from protbench.formats import flip, peer_lmdb
from protbench.stages import evaluate_seed
from protbench.spec import TaskData
from protbench.tasks.mutation import specs as M

TASK_IDS = ["beta-lactamase", "aav", "thermostability", "fluorescence", "stability"]


def _smoke(task, tmp_path):
    files = Files(task.write_smoke(tmp_path / task.spec.id), tmp_path / "cache")
    return task.load(files)


def test_registry_has_the_five_tasks():
    assert [t.spec.id for t in M.TASKS] == TASK_IDS
    for t in M.TASKS:
        assert t.spec.main_metric == "spearman" and t.spec.metrics == ("spearman", "mae", "rmse")
        assert t.spec.sources and all(s.md5 for s in t.spec.sources)
        assert t.spec.variant == "full"


@pytest.mark.parametrize("task", M.TASKS, ids=TASK_IDS)
def test_smoke_loads_deterministically(task, tmp_path):
    a, b = _smoke(task, tmp_path / "a"), _smoke(task, tmp_path / "b")
    assert a.fingerprint() == b.fingerprint()
    assert all(len(a.splits[s]) > 0 for s in ("train", "valid", "test"))
    assert a.stats.get("dropped", {}) == {}


def test_aav_keeps_region_474_674(tmp_path):
    data = _smoke(M.aav, tmp_path)
    assert {len(r.sequence) for recs in data.splits.values() for r in recs} == {200}
    assert (len(data.splits["train"]), len(data.splits["valid"]), len(data.splits["test"])) == (140, 40, 60)


def test_bad_records_are_counted_drops(tmp_path):
    path = peer_lmdb.write_archive(tmp_path / "beta_lactamase.tar.gz", "beta_lactamase", {
        "train": [{"primary": "MKV", "scaled_effect1": 1.0}, {"primary": "MK1V", "scaled_effect1": 2.0},
                  {"primary": "", "scaled_effect1": 0.5}, {"primary": "MKV", "scaled_effect1": 3.0},
                  {"primary": "MKA", "scaled_effect1": float("nan")}],
        "valid": [{"primary": "MKA", "scaled_effect1": 1.0}], "test": [{"primary": "MKC", "scaled_effect1": 1.0}]})
    data = M.beta_lactamase.load(Files({"beta_lactamase.tar.gz": path}, tmp_path / "cache"))
    assert [r.sequence for r in data.splits["train"]] == ["MKV"]
    assert data.stats["dropped"]["train"] == {"invalid residue": 1, "empty sequence": 1,
                                              "duplicate sequence in split": 1, "missing target": 1}


def test_flip_bad_rows_counted(tmp_path):
    rows = [{"sequence": "MKV*", "target": 1.0, "set": "train"}, {"sequence": "MKVL", "target": "", "set": "train"},
            {"sequence": "MKVA", "target": 2.0, "set": "train", "validation": True},
            {"sequence": "MKVC", "target": 3.0, "set": "test"}]
    z = flip.write_splits_zip(tmp_path / "meltome_splits.zip", {"human_cell": rows})
    data = M.thermostability.load(Files({"meltome_splits.zip": z}, tmp_path / "cache"))
    assert data.split_sizes() == {"train": 0, "valid": 1, "test": 1}
    assert data.stats["dropped"]["train"] == {"invalid residue": 1, "missing target": 1}


def test_missing_target_field_is_an_error(tmp_path):
    path = peer_lmdb.write_archive(tmp_path / "stability.tar.gz", "stability", {
        s: [{"primary": "MKV", "other": 1.0}] for s in ("train", "valid", "test")})
    with pytest.raises(peer_lmdb.LMDBFormatError, match="no target field 'stability_score'"):
        M.stability.load(Files({"stability.tar.gz": path}, tmp_path / "cache"))


def test_probe_on_smoke_beats_chance_with_aac(tmp_path):
    from types import SimpleNamespace

    from protbench.models.features import FeatureModel

    data = _smoke(M.stability, tmp_path)
    model = FeatureModel("aac")
    emb = SimpleNamespace(model=model, meta=model.meta, proteins=model.embed_proteins)
    res = evaluate_seed(M.stability, data, emb, 0, quick=True, params={"ci_resamples": 50})
    assert res.scores["test"]["spearman"] > 0.5
    lo, hi = res.ci["test"]["spearman"]
    assert lo <= res.scores["test"]["spearman"] <= hi


@pytest.mark.slow
@pytest.mark.parametrize("task,sizes", [(M.beta_lactamase, (4158, 520, 520)), (M.fluorescence, (21446, 5362, 27217)),
                                        (M.stability, (53571, 2512, 12851))], ids=["beta", "fluo", "stab"])
def test_real_split_sizes(task, sizes, mirror, private_cache):
    f = Fetcher(cache_dir=private_cache, mirrors=[mirror], offline=True)
    data: TaskData = task.load(Files(f.fetch_all(task.spec.sources), private_cache))
    assert tuple(data.split_sizes()[s] for s in ("train", "valid", "test")) == sizes
    assert tuple(task.spec.splits[s] for s in ("train", "valid", "test")) == sizes
    if task is M.stability:
        assert data.stats["dropped"] == {"train": {"duplicate sequence in split": 43}}
    assert np.isfinite([r.label for r in data.splits["train"]]).all()
