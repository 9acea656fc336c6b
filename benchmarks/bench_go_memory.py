"""Peak memory of the GO-heavy stages: similarity ground truth + scoring on 500 proteins, retrieval over all GO terms.

Each stage runs in a fresh subprocess and reports its peak RSS (``resource.getrusage``, includes the Python +
numpy + data baseline), the RSS before the stage's core step, and the tracemalloc peak of the core step alone
(numpy buffers are traced). Stages:

* ``go-truth``: BMA-Lin matrix of the 500 best-annotated human proteins for an aspect (real mirror data);
* ``semsim``: Spearman of the three embedding similarities for 500 proteins × ``--dim`` (random vectors,
  the size of ESM-2 650M by default) against that matrix;
* ``retrieval``: filtered cosine ranks of ``--queries`` queries against **every** GO term of the aspect
  (``--candidates``, 384-d MiniLM-sized vectors, random), 3 true tails per query.

Run: ``PROTBENCH_MIRROR=../shared/data python benchmarks/bench_go_memory.py [--aspect bp]``.
On a shared machine timings are inflated by contention; memory numbers are not.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def human_go(aspect: str):
    from protbench.tasks.go_data import HUMAN_GO_SOURCES, load_human_go

    mirror = Path(os.environ.get("PROTBENCH_MIRROR", "../shared/data"))
    files = {s.filename: next(mirror.rglob(s.filename)) for s in HUMAN_GO_SOURCES}
    return load_human_go(files)


def stage(name: str, aspect: str, dim: int, queries: int) -> dict:
    import numpy as np

    from protbench import ontology as O

    out: dict = {"stage": name, "aspect": aspect}
    if name in ("go-truth", "semsim"):
        human = human_go(aspect)
        ann = human.annotations[aspect]
        ic = O.information_content(human.onto, O.annotation_counts(human.onto, ann), aspect)
        top = sorted(ann, key=lambda a: (-len(ann[a]), a))[:500]
        sets = [ann[a] for a in top]
        out["distinct_terms"] = len(set().union(*sets))
        if name == "semsim":
            s = O.bma_matrix(human.onto, sets, ic)
            from protbench.protocols.algorithms.semsim import semsim_scores

            x = np.random.default_rng(0).normal(size=(500, dim)).astype(np.float32)
            out["rss_before_mb"] = rss_mb()
            tracemalloc.start()
            t = time.perf_counter()
            out["scores"] = semsim_scores(s, x)
        else:
            out["rss_before_mb"] = rss_mb()
            tracemalloc.start()
            t = time.perf_counter()
            s = O.bma_matrix(human.onto, sets, ic)
        out["seconds"] = round(time.perf_counter() - t, 2)
    else:
        human = human_go(aspect)
        n_cand = len(human.onto.aspect_terms(aspect))
        from protbench.protocols.algorithms.retrieval import retrieval_scores

        rng = np.random.default_rng(0)
        cand = rng.normal(size=(n_cand, 384)).astype(np.float32)
        q = rng.normal(size=(queries, 384)).astype(np.float32)
        pos = [rng.choice(n_cand, size=3, replace=False) for _ in range(queries)]
        out["candidates"] = n_cand
        out["rss_before_mb"] = rss_mb()
        tracemalloc.start()
        t = time.perf_counter()
        out["scores"] = retrieval_scores(q, cand, pos)[0]
        out["seconds"] = round(time.perf_counter() - t, 2)
    out["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2 ** 20, 1)
    tracemalloc.stop()
    out["peak_rss_mb"] = round(rss_mb(), 1)
    out["rss_before_mb"] = round(out["rss_before_mb"], 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--aspect", default="bp", choices=("mf", "bp", "cc"))
    ap.add_argument("--dim", type=int, default=1280)
    ap.add_argument("--queries", type=int, default=1500)
    ap.add_argument("--stage", default=None)
    args = ap.parse_args()
    if args.stage:
        print(json.dumps(stage(args.stage, args.aspect, args.dim, args.queries)))
        return
    for name in ("go-truth", "semsim", "retrieval"):
        res = subprocess.run([sys.executable, __file__, "--stage", name, "--aspect", args.aspect, "--dim",
                              str(args.dim), "--queries", str(args.queries)], capture_output=True, text=True,
                             check=True)
        print(res.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
