"""PPI family: smoke data — small deterministic files in the exact upstream formats, with planted signal."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from protbench.formats import gnn_ppi
from protbench.formats.gnn_ppi import MODES, Action
from protbench.smoke import GROUPS, random_sequence, rng_for


def write_ppi_smoke(actions_file: str, sequences_file: str, name: str, n_proteins: int = 80, degree: int = 8):
    """Smoke files in the exact GNN-PPI formats with a planted, learnable signal.

    Every protein gets a hidden group ``g`` (0–3) and a sequence biased toward residue group
    ``GROUPS[g]``; pairs link mostly within or between neighbouring groups, and a pair's modes
    are a fixed function of its two groups (plus 5 % noise), written as 1–2 action rows per mode
    in random orientation (as STRING lists both directions).
    """

    def write(folder: Path) -> dict[str, Path]:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        rng = rng_for("smoke", name)
        ids = [f"9606.ENSP{int(v):011d}" for v in rng.choice(10 ** 9, size=n_proteins, replace=False)]
        group = rng.integers(0, 4, size=n_proteins)
        seqs = {pid: random_sequence(rng, int(rng.integers(40, 120)), bias=GROUPS[int(g)], strength=0.5)
                for pid, g in zip(ids, group)}
        table = {(a, b): sorted({(a + b) % 7, (2 * min(a, b) + 1) % 7} | ({6} if a == b else set()))
                 for a in range(4) for b in range(4)}
        pairs: set[tuple[int, int]] = set()
        for i in range(n_proteins):
            for _ in range(degree // 2):
                near = np.flatnonzero(np.abs(group - group[i]) <= (0 if rng.random() < 0.6 else 1))
                j = int(rng.choice(near))
                if j != i:
                    pairs.add((min(i, j), max(i, j)))
        rows: list[Action] = []
        for i, j in sorted(pairs):
            modes = list(table[(int(group[i]), int(group[j]))])
            if rng.random() < 0.05:
                modes.append(int(rng.integers(0, 7)))
            for m in sorted(set(modes)):
                for _ in range(int(rng.integers(1, 3))):
                    a, b = (ids[i], ids[j]) if rng.random() < 0.5 else (ids[j], ids[i])
                    directional = "t" if MODES[m] in ("activation", "inhibition", "catalysis", "ptmod") else "f"
                    rows.append(Action(a, b, MODES[m], MODES[m] if directional == "t" else "", directional,
                                       "t" if rng.random() < 0.5 else "f", int(rng.integers(150, 1000))))
        order = rng.permutation(len(rows))
        gnn_ppi.write_actions(folder / actions_file, [rows[k] for k in order])
        gnn_ppi.write_sequence_dictionary(folder / sequences_file, seqs)
        return {actions_file: folder / actions_file, sequences_file: folder / sequences_file}

    return write
