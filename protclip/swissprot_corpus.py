"""The real Swiss-Prot + GO corpora of the bounded CPU pretraining runs (``results/pretraining/``).

1. ``protbench protanno build-go --max-terms 4`` on the mirror's non-human 60k and human Swiss-Prot+GO tables
   (GO term names as the property texts; mapping in :mod:`protbench.protclip.data`);
2. train: the first 1,000 (``--train-size``) non-human records of a ``numpy.random.default_rng(1)``
   permutation, skipping its records 1,500–1,595, which are the 96 validation records; retrieval: 500 human
   proteins (``default_rng(0)`` permutation) whose sequence is not in the non-human table.
3. ``--exclude-eval TASKS`` (``eval`` = :data:`protbench.protclip.leakage.EVAL_TASKS`, or a comma list): first
   remove from the permutation every non-human record whose sequence is an exact copy of a sequence of those
   tasks (any split; :func:`protbench.leakage.normalise` d), then apply step 2 to what remains — without it the
   files are the ones the 8M runs used, record for record. Relatives (≥ 50 % identity) stay; the pretraining
   leakage check reports them. ``corpus.json`` records the tasks, the excluded ids and any task whose data was
   not available (so not excluded).

``python -m protbench.protclip.swissprot_corpus --out DIR [--mirror ../shared/data] [--exclude-eval eval]``
writes ``train{N}.jsonl``, ``valid96.jsonl``, ``human_heldout500_t4.jsonl`` and ``corpus.json`` into ``DIR``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from protbench.store import atomic_write_bytes

from .data import read_protanno, write_protanno

TABLES = (("nonhuman_t4", "swissprot_go_201401_nonhuman_sample60k.tsv.gz"),
          ("human_t4", "swissprot_go_201401_human.tsv.gz"))


def excluded_records(records: list, evaluation: dict[str, dict[str, list[str]]]) -> dict[int, list[str]]:
    """``{record index: ["task/split", ...]}`` for records whose sequence is an exact copy of an evaluation one."""
    from protbench.leakage import normalise

    where: dict[str, list[str]] = {}
    for task, by_split in evaluation.items():
        for split, seqs in by_split.items():
            for s in seqs:
                places = where.setdefault(normalise(s), [])
                if f"{task}/{split}" not in places:
                    places.append(f"{task}/{split}")
    return {i: where[normalise(r.seq)] for i, r in enumerate(records) if normalise(r.seq) in where}


def build(mirror: Path, out: Path, train_size: int = 1000, exclude_eval: str | None = None,
          evaluation: dict[str, dict[str, list[str]]] | None = None) -> dict[str, Path]:
    """Build the corpus files from the data mirror; returns their paths.

    ``exclude_eval``: task ids (see the module docstring) whose sequences no training or validation record may
    copy; ``evaluation`` (``{task: {split: sequences}}``) replaces loading them from the registry (tests)."""
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
    manifest: dict = {"train_size": train_size, "exclude_eval": None}
    if exclude_eval:
        from .leakage import resolve_tasks, task_sequences

        tasks = resolve_tasks(exclude_eval)
        unavailable: dict[str, str] = {}
        if evaluation is None:
            evaluation, unavailable = task_sequences(tasks)
        drop = excluded_records(nonhuman, evaluation)
        p = np.array([i for i in p if int(i) not in drop], dtype=np.int64)
        manifest.update(exclude_eval=tasks, unavailable=unavailable, excluded=len(drop),
                        excluded_records={nonhuman[i].extra.get("id", str(i)): drop[i] for i in sorted(drop)})
    train = np.concatenate([p[:1500], p[1596:]])[:train_size]
    if len(train) < train_size:
        raise ValueError(f"--train-size {train_size}: the non-human table has only {len(train)} records besides "
                         "the 96 validation records")
    write_protanno([nonhuman[i] for i in train], files["train"])
    write_protanno([nonhuman[i] for i in p[1500:1596]], files["valid"])
    files["manifest"] = out / "corpus.json"         # written last and atomically: its presence marks a whole corpus
    atomic_write_bytes(files["manifest"], (json.dumps(manifest, indent=1) + "\n").encode())
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--mirror", type=Path, default=Path(os.environ.get("PROTBENCH_MIRROR", "../shared/data")))
    ap.add_argument("--train-size", type=int, default=1000, help="training records (default 1000)")
    ap.add_argument("--exclude-eval", metavar="TASKS",
                    help="drop records that copy a sequence of these tasks ('eval' or a comma list)")
    args = ap.parse_args(argv)
    for name, path in build(args.mirror, args.out, args.train_size, args.exclude_eval).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
