"""Similarity family: smoke data — PROBE-format matrices and human GO files with planted protein families."""
from __future__ import annotations

import tempfile
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
    """PROBE's layout: both matrices inside ``datasets.zip`` (``preprocess/``), the Sparse rows as a loose
    ``.npy`` (one ``i == j`` row, as PROBE's MF file has), the Swiss-Prot table of the mirror."""
    accs, seqs, fam = smoke_proteins(aspect, 60)
    rng = rng_for("smoke", "simsem-probe", aspect)
    base = np.where(fam[:, None] == fam[None, :], 0.75, 0.2) + rng.uniform(0, 0.2, size=(60, 60))
    s = np.round(np.triu(base, 1), 3)
    s = s + s.T + np.eye(60)
    matrices = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, k in ((500, 57), (200, 30)):   # PROBE's "500" matrices hold 495-497 proteins
            name = probe_sim.matrix_filename(aspect, n)
            matrices[name] = probe_sim.write_matrix(Path(tmp) / name, accs[:k], s[:k, :k])
        out = {probe_sim.ARCHIVE: probe_sim.write_archive(folder / probe_sim.ARCHIVE, matrices, {})}
    iu = np.stack(np.triu_indices(57, 1), 1)
    pairs = np.concatenate([[[3, 3]], iu[rng.choice(len(iu), size=400, replace=False)]])
    name = probe_sim.sparse_filename(aspect)
    out[name] = probe_sim.write_sparse_pairs(folder / name, pairs)
    entries = [G.SwissProtEntry(a, q, {}) for a, q in zip(accs, seqs)]
    out[SWISSPROT_HUMAN.filename] = G.write_swissprot_go(folder / SWISSPROT_HUMAN.filename, entries)
    return out
