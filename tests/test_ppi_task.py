"""PPI tasks end to end on smoke data in the exact GNN-PPI formats, the offline message, and real SHS27k."""
import json
from pathlib import Path

import numpy as np
import pytest

from protbench.cache import EmbeddingCache
from protbench.embed import CachedEmbeddings
from protbench.fetch import Fetcher, Files, MissingFilesError
from protbench.formats import gnn_ppi
from protbench.stages import evaluate_seed, limit_splits
from protbench.metrics.ppi import micro_f1
from protbench.models.features import FeatureModel
from protbench.tasks import ppi

TASKS = {t.spec.id: t for t in ppi.TASKS}
QUICK = {"max_epochs": 25, "patience": 8}


def _emb(tmp_path):
    return CachedEmbeddings(FeatureModel("aac"), EmbeddingCache(tmp_path / "emb"))


def _smoke(task, tmp_path):
    files = task.write_smoke(tmp_path / task.spec.id)
    return task.load(Files(files, tmp_path)), files


def test_task_ids_protocols_and_sources():
    assert {"shs27k", "shs27k-dfs", "shs27k-random", "shs148k", "string", "string-random"} <= set(TASKS)
    for t in ppi.TASKS:
        assert t.spec.protocols == ("ppi-gnn", "pair-mlp", "ppi-gnn-finetune") and t.spec.main_metric == "micro_f1"
        assert t.spec.parameters["split"] == t.split_method
        for s in t.spec.sources:   # a checksum, or the stated reason why none is known
            assert s.md5 or s.sha256 or s.git_blob or "Baidu" in s.unverified
    assert TASKS["shs27k"].split_method == "bfs"
    assert [s.filename for s in TASKS["string"].spec.sources] == [
        "9606.protein.actions.all_connected.txt", "protein.STRING_all_connected.sequences.dictionary.tsv"]


@pytest.mark.parametrize("tid", ["shs27k", "shs148k", "string"])
def test_smoke_files_are_in_upstream_format(tid, tmp_path):
    task = TASKS[tid]
    data, files = _smoke(task, tmp_path)
    assert set(files) == {s.filename for s in task.spec.sources}
    header = Path(files[task.spec.sources[0].filename]).read_text().splitlines()[0]
    assert header.split("\t") == list(gnn_ppi.ACTIONS_HEADER)
    seqs = gnn_ppi.read_sequence_dictionary(files[task.spec.sources[1].filename])
    sizes = data.split_sizes()
    assert sizes["proteins"] == len(seqs) and sizes["pairs"] > 3 * sizes["proteins"]
    labels = data.extra["labels"]
    assert labels.shape == (sizes["pairs"], 7) and labels.sum(axis=1).min() >= 1
    again, _ = _smoke(task, tmp_path / "again")
    assert again.fingerprint() == data.fingerprint()          # deterministic


def test_gnn_and_pair_mlp_learn_the_planted_signal_and_save_the_split(tmp_path):
    task = TASKS["shs27k-random"]
    data, _ = _smoke(task, tmp_path)
    emb = _emb(tmp_path)
    from protbench.store import ResultStore

    store = ResultStore(tmp_path / "results", "aac")
    folder, rel = store.artefact_dir(task.spec.id)
    res = {}
    for protocol in ("ppi-gnn", "pair-mlp"):
        from protbench.protocols import get
        from protbench.protocols.context import Artefacts, ProtocolContext
        from protbench.protocols.params import resolve

        ctx = ProtocolContext(task, data, 0, resolve(protocol, QUICK, quick=True), emb=emb,
                              artefacts=Artefacts(folder, rel))
        res[protocol] = get(protocol).run(ctx)
    info = res["ppi-gnn"].info
    split_file = tmp_path / "results" / "aac" / info["split"]["file"]
    assert split_file.is_file() and info["split"]["file"] == ".splits/shs27k-random/random-seed0.json"
    import hashlib
    assert hashlib.sha256(split_file.read_bytes()).hexdigest() == info["split"]["sha256"]
    # trivial reference: every type predicted from its training prevalence (> 0.5 or not)
    labels, test = data.extra["labels"], json.loads(split_file.read_text())["test"]
    train = sorted(set(range(len(labels))) - set(test))
    prior = np.tile(labels[train].mean(axis=0), (len(test), 1))
    trivial = micro_f1(labels[test], prior)
    for protocol, r in res.items():
        assert r.scores["test"]["micro_f1"] > trivial + 0.1, (protocol, r.scores, trivial)
        assert r.predictions["test"]["y_score"].shape == (len(test), 7)
    shares = info["split"]["test_seen"]
    assert shares["both"] + shares["one"] + shares["none"] == pytest.approx(1.0)
    assert sum(v["n"] for v in info["test_subsets"].values()) == len(test)


def test_rerun_from_saved_split_is_exact(tmp_path):
    task = TASKS["shs27k"]
    data, _ = _smoke(task, tmp_path)
    emb = _emb(tmp_path)
    first = evaluate_seed(task, data, emb, 1, quick=True, params=dict(QUICK), artefacts=tmp_path / "w")
    path = Path(first.info["split"]["file"])
    assert path.parent == tmp_path / "w"
    again = evaluate_seed(task, data, emb, 1, quick=True, artefacts=tmp_path / "w2", params={
        **QUICK, "split_file": str(path), "split_sha256": first.info["split"]["sha256"]})
    assert again.scores == first.scores
    assert again.info["split"]["sizes"] == first.info["split"]["sizes"]
    other = evaluate_seed(task, data, emb, 1, quick=True, params={**QUICK, "split_seed": 7})
    assert other.info["split"]["seed"] == 7 and other.info["split"]["sha256"] != first.info["split"]["sha256"]


def test_unknown_parameters_and_protocols_are_refused(tmp_path):
    from protbench.protocols.params import ParamError

    data, _ = _smoke(TASKS["shs27k"], tmp_path)
    with pytest.raises(ParamError, match="(?s)ppi-gnn has no field 'split'.*split_seed: int \\| None = 0"):
        evaluate_seed(TASKS["shs27k"], data, _emb(tmp_path), 0, params={"split": "dfs"})
    with pytest.raises(ValueError, match="no protocol 'probe'"):
        evaluate_seed(TASKS["shs27k"], data, _emb(tmp_path), 0, "probe")


def test_limit_keeps_the_pairs_among_the_kept_proteins(tmp_path):
    task = TASKS["shs27k-random"]
    data, _ = _smoke(task, tmp_path)
    small = limit_splits(data, 50)
    res = evaluate_seed(task, small, _emb(tmp_path), 0, quick=True, params={"max_epochs": 3})
    kept = {r.id for r in small.splits["proteins"]}
    want = sum(a in kept and b in kept for a, b in (p.split("__") for p in data.extra["pair_ids"]))
    assert res.info["nodes"] == 50 and res.info["pairs"] == want < data.split_sizes()["pairs"]


@pytest.mark.realdata
def test_offline_real_loader_names_the_missing_file(mirror, tmp_path):
    fetcher = Fetcher(cache_dir=tmp_path / "cache", mirrors=[mirror], offline=True)
    with pytest.raises(MissingFilesError) as err:
        fetcher.fetch_all(TASKS["shs148k"].spec.sources)
    msg = str(err.value)
    assert "protein.actions.SHS148k.STRING.txt" in msg and \
        "GNN_PPI/cd1843ebec574577aacdd65b38e3a49c545f3541/data/protein.actions.SHS148k.STRING.txt" in msg
    assert "git blob 244a49e9f76f9f916d49ca8841532d3a45165397" in msg
    assert "protein.SHS148k.sequences.dictionary.tsv" not in msg      # that one is in the mirror
    with pytest.raises(MissingFilesError, match="9606.protein.actions.all_connected.txt"):
        fetcher.fetch_all(TASKS["string"].spec.sources)


@pytest.mark.realdata
def test_real_shs27k_loads_with_declared_sizes(mirror, tmp_path):
    task = TASKS["shs27k"]
    fetcher = Fetcher(cache_dir=tmp_path / "cache", mirrors=[mirror], offline=True)
    data = task.load(Files(fetcher.fetch_all(task.spec.sources), tmp_path))
    assert data.split_sizes() == dict(task.spec.splits)
    assert data.stats["action_rows"] == 63408 and not data.stats["dropped"]
    assert data.stats["files_sha256"]["protein.actions.SHS27k.STRING.txt"] == task.spec.sources[0].sha256


def test_gnn_ppi_preset_and_fixed_split(tmp_path):
    """--preset gnn-ppi: no valid split, every pair in the graph, epoch chosen on test (recorded); the default split
    is fixed (split_seed 0) so model seeds share it."""
    from protbench.protocols.params import resolve

    cfg = resolve("ppi-gnn", preset_name="gnn-ppi")
    assert (cfg.valid_fraction, cfg.graph, cfg.select_on, cfg.aggregation, cfg.hidden, cfg.max_epochs) == \
        (0.0, "all", "test", "sum", 512, 300)
    assert (cfg.input_dim, cfg.standardize, cfg.split_seed) == (256, False, None)   # fc1 to 256, raw, split per seed
    plm = resolve("ppi-gnn", preset_name="plm-ppi")
    assert plm == cfg                           # OntoProtein/KeAP: GNN-PPI's training on frozen embeddings
    task = TASKS["shs27k-random"]
    data, _ = _smoke(task, tmp_path)
    emb = _emb(tmp_path)
    res = evaluate_seed(task, data, emb, 1, preset="gnn-ppi", params={"max_epochs": 5, "hidden": 32})
    assert set(res.scores) == {"test"} and res.info["selected_on"] == "test" and res.info["graph_edges"] == "all"
    assert res.info["split"]["seed"] == 1
    if res.info["fit"]["best_epoch"] != res.info["fit"]["epochs_run"]:    # GNN-PPI's other checkpoint, same run
        assert res.info["test_last_epoch"]["epoch"] == 5
    a = evaluate_seed(task, data, emb, 1, quick=True, params={"max_epochs": 3})
    b = evaluate_seed(task, data, emb, 2, quick=True, params={"max_epochs": 3})
    assert a.info["split"]["sha256"] == b.info["split"]["sha256"]            # one split for every model seed
    c = evaluate_seed(task, data, emb, 2, quick=True, params={"max_epochs": 3, "split_seed": "none"})
    assert c.info["split"]["seed"] == 2
