"""benchmarks/stage_profile.py: embed counts from the result, else from the run log's own embed lines."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

spec = importlib.util.spec_from_file_location("stage_profile", Path(__file__).resolve().parents[1] / "benchmarks"
                                              / "stage_profile.py")
SP = importlib.util.module_from_spec(spec)
spec.loader.exec_module(SP)

LOG = """+ protbench run --model unirep --tasks binloc subloc-partial --seeds 0 1 2
[unirep] binloc ...
  [binloc] embed: 8,624 distinct sequences, 2,160 embedded, 6,464 from cache, 10.0 s
+ protbench run --model unirep --tasks binloc --profile smoke
  [binloc] embed: 300 distinct sequences, 300 embedded, 0 from cache, 0.1 s
+ protbench run --model unirep --random-init --tasks binloc --seeds 0 1 2
  [binloc] embed: 8,624 distinct sequences, 8,624 embedded, 0 from cache, 99.0 s
+ protbench run --model unirep --tasks binloc --seeds 0 1 2
  [binloc] embed: 8,624 distinct sequences, 6,464 embedded, 2,160 from cache, 50.0 s
"""


def _result(root: Path, model: str, task: str, embedding: dict) -> None:
    (root / model).mkdir(parents=True, exist_ok=True)
    (root / model / f"{task}.json").write_text(json.dumps(
        {"embedding": embedding, "environment": {"git": "abc", "torch_threads": 2},
         "timings_s": {"embed": 50.04, "evaluate": 3.0}}))


def test_counts_from_the_result_else_from_the_last_real_run_in_the_log(tmp_path):
    log = tmp_path / "run.log"
    log.write_text(LOG)
    counts = SP.counts_from_log(log)
    assert counts[("unirep", "binloc")] == {"sequences": 8624, "embedded": 6464, "from_cache": 2160}   # last, not smoke
    assert counts[("unirep@random-init", "binloc")]["embedded"] == 8624
    _result(tmp_path / "r", "unirep", "binloc", {"forward_batches": 3})                           # older: no counts
    _result(tmp_path / "r", "aac", "binloc", {"sequences": 5, "embedded": 0, "from_cache": 5})
    rows = {r["model"]: r for r in SP.profile(tmp_path / "r", log)}
    assert rows["unirep"]["embed_counts"]["embedded"] == 6464 and rows["unirep"]["counts_from"] == "log"
    assert rows["aac"]["embed_counts"] == {"sequences": 5, "embedded": 0, "from_cache": 5}
    assert rows["aac"]["counts_from"] == "result" and rows["aac"]["timings_s"]["embed"] == 50.0
