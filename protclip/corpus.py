"""A built-in synthetic protein–text corpus in ProtAnno JSON-lines format, with planted, learnable links.

Every record is ``{"seq": ..., "text": "PROTEIN NAME: … FUNCTION: … SUBCELLULAR
LOCATION: … SIMILARITY: …", "id": ..., "family": ..., "location": ...,
"activities": [...]}``; the texts are functions of planted sequence features,
so a protein–text model can learn them (nothing here is real biology):

* **family** (PROTEIN NAME, SIMILARITY): the composition is biased toward one of
  the residue groups of :data:`protbench.smoke.GROUPS` (class ``f`` prefers
  group ``f``, as in the smoke classification tasks);
* **activities** (FUNCTION): 0–3 of :data:`ACTIVITIES`, each planted as the
  3-residue motif the smoke multi-label tasks use for label ``k``;
* **location** (SUBCELLULAR LOCATION): an N-terminal segment — a hydrophobic
  stretch (membrane), a positively charged signal-like start (secreted), a
  K/R-rich nuclear localisation signal (nucleus), or none (cytoplasm).

About 15% of records lack FUNCTION or SIMILARITY, so property coverage varies as
in ProtAnno. Generation is deterministic for a given ``seed``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from protbench.sequences import STANDARD
from protbench.smoke import GROUPS, random_sequence, rng_for

FAMILIES = ("aliphatic", "acidic", "basic", "hydroxyl", "aromatic", "glycine-proline", "amide", "sulfur")
ACTIVITIES = ("ATP binding", "zinc ion binding", "hydrolase activity", "DNA binding", "kinase activity",
              "oxidoreductase activity", "transmembrane transport", "RNA binding", "protease activity",
              "GTPase activity", "methyltransferase activity", "heme binding")
LOCATIONS = ("Cytoplasm", "Cell membrane; multi-pass membrane protein", "Secreted", "Nucleus")


def activity_motif(k: int) -> str:
    """The motif planted for activity ``k`` (the smoke multi-label motif of label ``k``)."""
    return "".join(STANDARD[(k * 7 + j * 3) % 20] for j in range(3))


def location_segment(rng: np.random.Generator, location: int) -> str:
    """The N-terminal segment planted for a location index ('' for the cytoplasm)."""
    if location == 1:
        return "".join(rng.choice(list("AILMFVW"), size=16))
    if location == 2:
        return "M" + "".join(rng.choice(list("KR"), size=2)) + "".join(rng.choice(list("LAV"), size=10)) + "ASA"
    if location == 3:
        return "P" + "".join(rng.choice(list("KR"), size=5)) + "V"
    return ""


def record(rng: np.random.Generator, i: int, min_len: int = 40, max_len: int = 110) -> dict:
    family = int(rng.integers(len(FAMILIES)))
    location = int(rng.integers(len(LOCATIONS)))
    n_act = int(rng.integers(0, 4))
    activities = sorted(int(a) for a in rng.choice(len(ACTIVITIES), size=n_act, replace=False))
    body = list(random_sequence(rng, int(rng.integers(min_len, max_len + 1)), GROUPS[family], 0.35))
    slots = rng.choice(np.arange(0, len(body) - 3, 4), size=len(activities), replace=False)
    for k, pos in zip(activities, slots):          # non-overlapping, so every motif survives
        body[pos:pos + 3] = activity_motif(k)
    seq = location_segment(rng, location) + "".join(body)
    name = f"Synthetic {FAMILIES[family]} protein {chr(ord('A') + family)}{1 + i % 9}"
    func = ("; ".join(ACTIVITIES[k] for k in activities) + ".") if activities else "No known activity."
    parts = [f"PROTEIN NAME: {name}."]
    drop = rng.random()
    if drop >= 0.08:
        parts.append(f"FUNCTION: {func}")
    parts.append(f"SUBCELLULAR LOCATION: {LOCATIONS[location]}.")
    if drop < 0.08 or drop >= 0.15:
        parts.append(f"SIMILARITY: Belongs to the synthetic {FAMILIES[family]} family.")
    return {"seq": seq, "text": " ".join(parts), "id": f"SYN{i:05d}", "family": FAMILIES[family],
            "location": LOCATIONS[location], "activities": [ACTIVITIES[k] for k in activities]}


def synthetic_records(n: int, seed: int = 0) -> list[dict]:
    rng = rng_for("protanno-synthetic", seed)
    return [record(rng, i) for i in range(n)]


def write_corpus(folder: Path, n_train: int = 1500, n_valid: int = 100, seed: int = 0) -> dict[str, Path]:
    """Write ``train.jsonl`` and ``valid.jsonl`` (disjoint records) into ``folder``."""
    import json

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    recs = synthetic_records(n_train + n_valid, seed)
    out = {}
    for name, part in (("train", recs[:n_train]), ("valid", recs[n_train:])):
        path = folder / f"{name}.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for r in part:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        out[name] = path
    return out
