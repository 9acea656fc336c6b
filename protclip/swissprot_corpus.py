"""The real Swiss-Prot + GO corpora of the bounded CPU pretraining runs (``results/pretraining/``).

1. ``protbench protanno build-go --max-terms 4`` on the mirror's non-human 60k and human Swiss-Prot+GO tables
   (GO term names as the property texts; mapping in :mod:`protbench.protclip.data`);
2. train: the first 1,000 (``--train-size``) non-human records of a ``numpy.random.default_rng(1)``
   permutation, skipping its records 1,500–1,595, which are the 96 validation records; retrieval: 500 human proteins (``default_rng(0)`` permutation) whose sequence is not in
   the non-human table.

``python -m protbench.protclip.swissprot_corpus --out DIR [--mirror ../shared/data]`` writes
``train{N}.jsonl``, ``valid96.jsonl`` and ``human_heldout500_t4.jsonl`` into ``DIR``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from .data import read_protanno, write_protanno

TABLES = (("nonhuman_t4", "swissprot_go_201401_nonhuman_sample60k.tsv.gz"),
          ("human_t4", "swissprot_go_201401_human.tsv.gz"))


def build(mirror: Path, out: Path, train_size: int = 1000) -> dict[str, Path]:
    """Build the three corpus files from the data mirror; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    for name, table in TABLES:
        subprocess.run([sys.executable, "-m", "protbench.cli", "protanno", "build-go",
                        "--table", str(mirror / "uniprot_go" / table), "--obo", str(mirror / "go" / "go-basic.obo.gz"),
                        "--counts", str(mirror / "go" / "frequency_counts_uniprot.json"), "--max-terms", "4",
                        "--out", str(out / f"{name}.jsonl")], check=True, stdout=subprocess.DEVNULL)
    nonhuman = read_protanno(out / "nonhuman_t4.jsonl")
    human = read_protanno(out / "human_t4.jsonl")
    seen = {r.seq for r in nonhuman}
    perm = np.random.default_rng(0).permutation(len(human))
    files = {"retrieval": out / "human_heldout500_t4.jsonl", "train": out / f"train{train_size}.jsonl",
             "valid": out / "valid96.jsonl"}
    write_protanno([human[i] for i in perm if human[i].seq not in seen][:500], files["retrieval"])
    p = np.random.default_rng(1).permutation(len(nonhuman))
    train = np.concatenate([p[:1500], p[1596:]])[:train_size]
    if len(train) < train_size:
        raise ValueError(f"--train-size {train_size}: the non-human table has only {len(train)} records besides "
                         "the 96 validation records")
    write_protanno([nonhuman[i] for i in train], files["train"])
    write_protanno([nonhuman[i] for i in p[1500:1596]], files["valid"])
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--mirror", type=Path, default=Path(os.environ.get("PROTBENCH_MIRROR", "../shared/data")))
    ap.add_argument("--train-size", type=int, default=1000, help="training records (default 1000)")
    args = ap.parse_args(argv)
    for name, path in build(args.mirror, args.out, args.train_size).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
