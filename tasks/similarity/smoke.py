"""Similarity family: smoke data — PROBE-format matrices and human GO files with planted protein families."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from protbench.formats import go_annotations as G
from protbench.formats import probe_sim
from protbench.smoke import rng_for

from ..go_data import SWISSPROT_HUMAN, smoke_go_files, smoke_proteins


def probe_smoke(aspect: str):
    def write(folder: Path) -> dict[str, Path]:
        return _smoke_probe(Path(folder), aspect)

    return write


def computed_smoke(aspect: str):
    def write(folder: Path) -> dict[str, Path]:
        return smoke_go_files(Path(folder), aspect)[0]

    return write


def _smoke_probe(folder: Path, aspect: str) -> dict[str, Path]:
    accs, seqs, fam = smoke_proteins(aspect, 60)
    rng = rng_for("smoke", "simsem-probe", aspect)
    base = np.where(fam[:, None] == fam[None, :], 0.75, 0.2) + rng.uniform(0, 0.2, size=(60, 60))
    s = np.triu(base, 1)
    s = s + s.T + np.eye(60)
    out = {}
    order = list(range(60))
    for n in (500, 200):
        k = 60 if n == 500 else 30
        name = probe_sim.matrix_filename(aspect, n)
        out[name] = probe_sim.write_matrix(folder / name, [accs[i] for i in order[:k]], s[:k, :k])
    iu = np.stack(np.triu_indices(60, 1), 1)
    pairs = iu[rng.choice(len(iu), size=400, replace=False)]
    name = probe_sim.sparse_filename(aspect)
    out[name] = probe_sim.write_sparse_pairs(folder / name, pairs)
    entries = [G.SwissProtEntry(a, q, {}) for a, q in zip(accs, seqs)]
    out[SWISSPROT_HUMAN.filename] = G.write_swissprot_go(folder / SWISSPROT_HUMAN.filename, entries)
    return out
