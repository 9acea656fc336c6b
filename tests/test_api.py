"""The Python API: run → DataFrame, a model object instead of a name, load_results/load_task/list_*."""
from __future__ import annotations

import numpy as np

import protbench
from protbench import ModelMeta


def test_run_returns_a_dataframe_and_reuses_results(tmp_path):
    df = protbench.run("aac", tasks=["beta-lactamase"], profile="smoke", seeds=[0, 1], output_dir=tmp_path / "r",
                       cache_dir=tmp_path / "c")
    test = df[(df.split == "test") & (df.metric == "spearman")]
    assert len(test) == 1 and test.n_seeds.iloc[0] == 2 and test["mean"].iloc[0] > 0.5
    assert test.identity.iloc[0] and test.status.iloc[0] == "ok"
    again = protbench.run("aac", tasks=["beta-lactamase"], profile="smoke", seeds=[0, 1],
                          output_dir=tmp_path / "r", cache_dir=tmp_path / "c")
    assert again["mean"].tolist() == df["mean"].tolist()


class Hydrophobic:
    meta = ModelMeta(name="hydro", fingerprint="hydro-v1", dim=2, max_length=10_000)

    def embed_proteins(self, seqs):
        return np.array([[len(s), sum(s.count(a) for a in "AILMFVW") / max(len(s), 1)] for s in seqs], np.float32)


def test_run_accepts_a_model_object_and_load_results_reads_every_file(tmp_path):
    df = protbench.run(Hydrophobic(), tasks=["binloc", "prot2cc"], profile="smoke", output_dir=tmp_path / "r",
                       cache_dir=tmp_path / "c")
    assert set(df.model) == {"hydro"} and set(df.task) == {"binloc", "prot2cc"}
    all_rows = protbench.load_results(tmp_path / "r")
    assert len(all_rows) == len(df)


def test_load_task_and_listings(tmp_path):
    splits, stats = protbench.load_task("beta-lactamase", profile="smoke", cache_dir=tmp_path / "c")
    assert list(splits["train"].columns) == ["id", "sequence", "label", "text"] and len(splits["train"]) == 160
    assert stats["input_format"] == "peer-lmdb"
    tasks = protbench.list_tasks()
    assert "beta-lactamase" in set(tasks.task) and {"probe", "finetune"} <= set(
        tasks.set_index("task").loc["beta-lactamase", "protocols"])
    models = protbench.list_models()
    assert models.set_index("model").loc["align-knn", "protocol"] == "alignment-knn"


def test_committed_results_load():
    from pathlib import Path

    df = protbench.load_results(Path(__file__).resolve().parents[1] / "results")
    assert len(df) > 100 and {"measured", "reported"} <= set(df.kind)
