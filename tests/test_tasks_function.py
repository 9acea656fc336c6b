"""Function tasks: smoke data in each upstream format, partial variants, drops, real sizes (mirror)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from protbench.fetch import Fetcher, Files
from protbench.formats import peer_csv, peer_lmdb
from protbench.stages import evaluate_seed
from protbench.models.features import FeatureModel
from protbench.spec import Record, TaskData
from protbench.protocols.supervised import LabelError, labels_of
from protbench.tasks.function import specs as F

IDS = ["subloc", "subloc-partial", "binloc", "ec", "ec-partial", "go-bp", "go-mf", "go-cc"]


def _smoke(task, tmp_path):
    return task.load(Files(task.write_smoke(tmp_path / task.spec.id), tmp_path / "cache"))


def test_registry_and_partial_variants_are_labelled():
    assert [t.spec.id for t in F.TASKS] == IDS
    for t in F.TASKS:
        partial = t.spec.id.endswith("-partial")
        assert (t.spec.variant != "full") == partial
        if partial:
            assert t.spec.variant.startswith("partial:") and "PARTIAL" in t.spec.description
    assert F.ec.spec.main_metric == "fmax" and F.ec.spec.metrics == ("fmax", "micro_aupr")
    assert (F.go_bp.n_outputs, F.go_mf.n_outputs, F.go_cc.n_outputs, F.ec.n_outputs) == (1943, 489, 320, 538)


@pytest.mark.parametrize("task", F.TASKS, ids=IDS)
def test_smoke_loads(task, tmp_path):
    data = _smoke(task, tmp_path)
    assert all(len(data.splits[s]) > 0 for s in ("train", "valid", "test"))
    n = data.extra["n_outputs"]
    for s in ("train", "valid", "test"):
        y = labels_of(data, s, task.task_type, n)
        assert len(y) == len(data.splits[s])
    assert data.fingerprint() == _smoke(task, tmp_path / "again").fingerprint()


def test_deepfri_zip_smoke_excludes_high_identity_test_chains(tmp_path):
    data = _smoke(F.go_mf, tmp_path)
    assert data.stats["dropped"]["test"] == {"identity to train ≥ 95% (test CSV)": 2}
    assert data.split_sizes() == {"train": 200, "valid": 50, "test": 48}
    assert data.extra["labels"][0].startswith("MF:")
    bp = _smoke(F.go_bp, tmp_path / "bp")
    assert bp.extra["labels"][0].startswith("BP:")


def test_ec_partial_splits_by_pdb_entry(tmp_path):
    data = _smoke(F.ec_partial, tmp_path)
    entries = {s: {r.id.split("-")[0] for r in data.splits[s]} for s in ("train", "valid", "test")}
    assert not (entries["train"] & entries["valid"]) and not (entries["train"] & entries["test"])
    assert sum(data.split_sizes().values()) == 297      # 300 chains, 3 flagged ≥ 95% identical
    assert data.stats["dropped"] == {"pool": {"identity to train ≥ 95% (test CSV)": 3}}


def test_binloc_reads_converted_csvs_and_selects_them(tmp_path):
    rows = {s: [{"primary": "MKV" + "A" * i, "localization": i % 2} for i in range(6)] for s in ("train", "valid", "test")}
    files = {f"subcellular_localization_2_{s}.csv.gz": peer_csv.write_csv(tmp_path / f"subcellular_localization_2_{s}.csv.gz", r)
             for s, r in rows.items()}
    data = F.binloc.load(Files(files, tmp_path / "cache"))
    assert data.split_sizes() == {"train": 6, "valid": 6, "test": 6} and data.stats["input_format"] == "peer-csv"

    class FakeFetcher:
        def __init__(self, have):
            self.have = have

        def locate(self, s):
            return tmp_path if s.filename in self.have else None

    assert F.binloc.select_sources(FakeFetcher(set(files))) == F.BINLOC_CSV_SOURCES
    assert F.binloc.select_sources(FakeFetcher({"subcellular_localization_2.tar.gz"})) == F.binloc.spec.sources
    assert F.binloc.select_sources(FakeFetcher(set())) == F.binloc.spec.sources


def test_bad_localization_records_are_counted(tmp_path):
    good = [{"primary": "MKVL", "localization": 1}]
    path = peer_lmdb.write_archive(tmp_path / "subcellular_localization_2.tar.gz", "subcellular_localization_2", {
        "train": good + [{"primary": "MK V", "localization": 0}, {"primary": "", "localization": 0},
                         {"primary": "MKAA", "localization": 2}, {"primary": "MKVL", "localization": 1}],
        "valid": good, "test": good})
    data = F.binloc.load(Files({"subcellular_localization_2.tar.gz": path}, tmp_path / "cache"))
    assert data.stats["dropped"]["train"] == {"invalid residue": 1, "empty sequence": 1,
                                              "label outside label space": 1, "duplicate sequence in split": 1}
    assert data.split_sizes()["train"] == 1


def test_label_outside_space_in_evaluation_is_an_error():
    data = TaskData(splits={"train": [Record("a", "MKV", 3)], "valid": [], "test": []})
    with pytest.raises(LabelError, match="record a: class 3 outside the label space 0..1"):
        labels_of(data, "train", "classification", 2)
    ml = TaskData(splits={"train": [Record("b", "MKV", (0, 7))]})
    with pytest.raises(LabelError, match="record b"):
        labels_of(ml, "train", "multilabel", 5)


def test_subloc_smoke_probe_beats_chance_with_ci(tmp_path):
    data = _smoke(F.subloc, tmp_path)
    model = FeatureModel("aac")
    emb = SimpleNamespace(model=model, meta=model.meta, proteins=model.embed_proteins)
    res = evaluate_seed(F.subloc, data, emb, 0, quick=True, params={"ci_resamples": 100})
    assert res.scores["test"]["accuracy"] > 0.3      # 10 classes: chance 0.1
    lo, hi = res.ci["test"]["accuracy"]
    assert 0 <= lo <= res.scores["test"]["accuracy"] <= hi <= 1


@pytest.mark.slow
@pytest.mark.parametrize("task,sizes", [(F.binloc, (5161, 1727, 1746)), (F.subloc_partial, (2246, 561, 2768)),
                                        (F.ec_partial, (1152, 384, 383))], ids=["binloc", "subloc-partial", "ec-partial"])
def test_real_data_sizes(task, sizes, mirror, private_cache):
    f = Fetcher(cache_dir=private_cache, mirrors=[mirror], offline=True)
    data = task.load(Files(f.fetch_all(task.select_sources(f)), private_cache))
    got = tuple(data.split_sizes()[s] for s in ("train", "valid", "test"))
    assert got == sizes == tuple(task.spec.splits[s] for s in ("train", "valid", "test"))
    if task is F.binloc:
        assert data.stats["input_format"] == "peer-csv"
        assert data.stats["dropped"] == {s: {"duplicate sequence in split": n} for s, n in
                                         (("train", 23), ("valid", 2), ("test", 3))}
    if task is F.ec_partial:
        y = labels_of(data, "train", "multilabel", 538)
        assert y.shape == (1152, 538) and (y.sum(1) >= 1).all()
    assert np.isfinite(len(data.protein_sequences()))
