"""Published numbers, kept as result files with ``"kind": "reported"`` and their provenance.

The numbers below are those listed in ``docs/BENCHMARKS.md`` ("Reported numbers
known so far"), which were transcribed from secondary copies of the papers'
tables; every file says so in its ``source`` (paper, table, protocol,
transcription), and the leaderboard marks them † and never averages them with
measured numbers. ``protbench leaderboard`` reads them from
``results/reported/<model>/<task>.json``; :func:`write_reported` regenerates
those files from :data:`REPORTED` (a test checks they agree).

Metric names follow ``protbench.metrics``: ``fmax``, ``micro_aupr``, ``mrr``, ``micro_f1`` (a fraction; papers
print percent). A reported number with a published spread (``stds``) and the protbench ``preset`` that runs the
publication's protocol gets a within-2σ verdict in the leaderboard's reproduction appendix.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protbench import results as R
from protbench.store import ResultStore

PROTCLIP = "Zhou et al. 2025, ProtCLIP: Function-Informed Protein Multi-Modal Learning, AAAI 2025 (arXiv 2412.20014)"
PROTST = "Xu et al. 2023, ProtST: Multi-Modality Learning of Protein Sequences and Biomedical Texts, ICML 2023 " \
         "(arXiv 2301.12040)"
BIOBRIDGE = "Wang et al. 2023, BioBridge: Bridging Biomedical Foundation Models via Knowledge Graphs (arXiv 2310.03320)"
TRANSCRIPTION = ("transcribed into docs/BENCHMARKS.md from a secondary copy of the table; check against the paper "
                 "before citing")
GNN_PPI = ("Lv et al. 2021, Learning Unknown from Correlations: Graph Neural Network for Inter-novel-protein "
           "Interaction Prediction, IJCAI 2021 (arXiv 2105.06709)")
GNN_PPI_TABLE = ("micro-F1 (%) by split, mean ± std where given: the benchmark figure of the GNN-PPI README "
                 "(lvguofeng/GNN_PPI @ cd1843ebec57, images/benchmark.png)")
GNN_PPI_TRANSCRIPTION = ("transcribed into protbench issue 27 and docs/reproducing-published.md §4 from the README "
                         "figure; SHS148k and STRING without their spread; check against the figure before citing")
FUNCTION_TASKS = {"ec": "function", "go-bp": "function", "go-mf": "function", "go-cc": "function"}
CROSSMODAL_TASKS = {t: "cross-modal" for t in ("prot2bp", "prot2mf", "prot2cc", "prot2drug", "disease2prot")}
PPI_TASKS = {f"{graph}{split}": "ppi" for graph in ("shs27k", "shs148k", "string") for split in ("", "-dfs", "-random")}
MAIN_METRIC = {**{t: "fmax" for t in FUNCTION_TASKS}, **{t: "mrr" for t in CROSSMODAL_TASKS},
               **{t: "micro_f1" for t in PPI_TASKS}}
FAMILY = {**FUNCTION_TASKS, **CROSSMODAL_TASKS, **PPI_TASKS}


@dataclass(frozen=True)
class Reported:
    model: str
    task: str
    scores: dict[str, float]        # metric -> value on the test split
    paper: str
    table: str
    protocol: str
    model_paper: str = ""           # the model's own paper, when the number is quoted from another one
    stds: dict[str, float] = field(default_factory=dict)   # metric -> published std over the paper's runs
    preset: str = ""                # the protbench preset that runs the publication's protocol ("" if none)
    transcription: str = TRANSCRIPTION


REPORTED: tuple[Reported, ...] = (
    *(Reported("protclip", t, {"micro_aupr": aupr, "fmax": fmax}, PROTCLIP,
               "protein function annotation (AUPR / Fmax on EC and GO-BP/MF/CC)",
               "the paper's downstream protocol for function annotation (ProtST setting); not re-run here")
      for t, aupr, fmax in (("ec", 0.906, 0.908), ("go-bp", 0.567, 0.574), ("go-mf", 0.696, 0.691),
                            ("go-cc", 0.582, 0.541))),
    *(Reported(model, t, {"mrr": v}, PROTCLIP, "cross-modal transformation (MRR)",
               "BioBridge bridge protocol on PrimeKG (BioBridge split); not re-run here",
               model_paper="" if model == "protclip" else BIOBRIDGE)
      for t, ours, bb in (("prot2bp", 0.224, 0.136), ("prot2mf", 0.475, 0.326), ("prot2cc", 0.414, 0.319),
                          ("prot2drug", 0.409, 0.172), ("disease2prot", 0.161, 0.084))
      for model, v in (("protclip", ours), ("biobridge", bb))),
    *(Reported(model, t, {"fmax": v}, PROTST, "function annotation (Fmax on EC and GO-BP/MF/CC)",
               "the ProtST paper's downstream protocol; not re-run here")
      for model, values in (("protst-esm2-650m", (0.878, 0.482, 0.668, 0.487)),
                            ("esm2-650m", (0.874, 0.472, 0.662, 0.472)))
      for t, v in zip(("ec", "go-bp", "go-mf", "go-cc"), values)),
    # GNN-PPI's own model (BFS is the tasks' default split; published in percent)
    *(Reported("gnn-ppi", t, {"micro_f1": mean}, GNN_PPI, GNN_PPI_TABLE,
               "GNN-PPI's encoder and GIN trained end to end, held-out pairs in the message-passing graph (GCA) and "
               "the only evaluation set; reproduced by protbench run --model gnn-ppi --preset gnn-ppi",
               stds={"micro_f1": std} if std is not None else {}, preset="gnn-ppi",
               transcription=GNN_PPI_TRANSCRIPTION)
      for t, mean, std in (("shs27k-random", 0.8791, 0.0039), ("shs27k", 0.6381, 0.0179),
                           ("shs27k-dfs", 0.7472, 0.0526), ("shs148k-random", 0.9226, None),
                           ("shs148k", 0.7137, None), ("shs148k-dfs", 0.8267, None),
                           ("string-random", 0.9543, None), ("string", 0.7837, None), ("string-dfs", 0.9107, None))),
)


def result_of(rep: Reported) -> dict[str, Any]:
    """The result JSON (schema version :data:`protbench.results.SCHEMA_VERSION`) of one reported cell."""
    source = {"paper": rep.paper, "table": rep.table, "protocol": rep.protocol, "split": "test",
              "transcription": rep.transcription}
    if rep.model_paper:
        source["model_paper"] = rep.model_paper
    if rep.preset:
        source["preset"] = rep.preset
    return {
        "schema_version": R.SCHEMA_VERSION, "kind": "reported", "status": "ok", "profile": "real",
        "task": {"id": rep.task, "family": FAMILY[rep.task], "main_metric": MAIN_METRIC[rep.task],
                 "metrics": sorted(rep.scores), "variant": "full", "higher_is_better": True},
        "model": {"name": rep.model},
        "summary": {"test": {m: {"mean": v, "n": 1, **({"std": rep.stds[m]} if m in rep.stds else {})}
                             for m, v in rep.scores.items()}},
        "source": source,
        "created": "2026-11-25T00:00:00+00:00",
    }


def write_reported(root: Path) -> list[Path]:
    """Write every reported cell under ``root/reported/<model>/<task>.json``."""
    return [ResultStore(root, r.model, kind="reported").write_result(r.task, result_of(r)) for r in REPORTED]
