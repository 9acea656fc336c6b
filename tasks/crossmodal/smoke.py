"""Cross-modal family: smoke data — small deterministic files in the exact upstream formats, with planted signal."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from protbench.formats import primekg as K
from protbench.smoke import class_sequence, rng_for

from ..go_data import smoke_go_files

# ---------------------------------------------------------------------------------------------
# smoke data: 6 planted families; a protein links to tails of its own family

FAMILY_WORDS = ("kinase", "transporter", "protease", "receptor", "chaperone", "nuclease")
PRIMEKG_FILES = ("kg.csv", "nodes.csv", "drug_features.csv", "disease_features.csv", "protein.csv")


def write_primekg_smoke(folder: Path) -> dict[str, Path]:
    """A tiny PrimeKG (+ BioBridge protein.csv) with planted family structure, all five files."""
    rng = rng_for("smoke", "primekg")
    nodes: list[dict[str, Any]] = []

    def add(ntype: str, name: str, source: str) -> int:
        idx = len(nodes)
        nodes.append({"node_index": idx, "node_id": str(1000 + idx), "node_type": ntype, "node_name": name,
                      "node_source": source})
        return idx

    proteins, fam_of = [], {}
    for i in range(150):
        f = int(rng.integers(0, 6))
        p = add("gene/protein", f"GENE{i}", "NCBI")
        proteins.append(p)
        fam_of[p] = f
    tails_by_type: dict[str, dict[int, list[int]]] = {}
    for ntype, label in (("biological_process", "process"), ("molecular_function", "activity"),
                         ("cellular_component", "complex"), ("drug", "inhibitor"), ("disease", "syndrome")):
        tails_by_type[ntype] = {}
        for f in range(6):
            n = 8 if ntype == "disease" else 4      # diseases are heads (disease2prot): more of them
            tails_by_type[ntype][f] = [add(ntype, f"{FAMILY_WORDS[f]} {label} {j}", "GO" if "_" in ntype else
                                           ("DrugBank" if ntype == "drug" else "MONDO")) for j in range(n)]
    rows = []
    rel = {"biological_process": "bioprocess_protein", "molecular_function": "molfunc_protein",
           "cellular_component": "cellcomp_protein", "drug": "drug_protein", "disease": "disease_protein"}

    def edge(x: int, y: int, relation: str) -> None:
        for a, b in ((x, y), (y, x)):    # PrimeKG lists both directions
            na, nb = nodes[a], nodes[b]
            rows.append({"relation": relation, "display_relation": relation.split("_")[0],
                         "x_index": a, "x_id": na["node_id"], "x_type": na["node_type"], "x_name": na["node_name"],
                         "x_source": na["node_source"], "y_index": b, "y_id": nb["node_id"],
                         "y_type": nb["node_type"], "y_name": nb["node_name"], "y_source": nb["node_source"]})

    for p in proteins:
        for ntype, by_f in tails_by_type.items():
            if ntype == "disease":
                continue
            for t in rng.choice(by_f[fam_of[p]], size=int(rng.integers(1, 3)), replace=False):
                edge(p, int(t), rel[ntype])
    for f, diseases in tails_by_type["disease"].items():
        members = [p for p in proteins if fam_of[p] == f]
        for d in diseases:
            for p in rng.choice(members, size=min(3, len(members)), replace=False):
                edge(d, int(p), rel["disease"])
    out = {"kg.csv": K.write_kg(folder / "kg.csv", rows), "nodes.csv": K.write_nodes(folder / "nodes.csv", nodes)}
    out["protein.csv"] = K.write_proteins(folder / "protein.csv", [
        {**nodes[p], "sequence": class_sequence(rng, fam_of[p], 50, 120, strength=0.5)} for p in proteins])
    drugs = [d for ds in tails_by_type["drug"].values() for d in ds]
    out["drug_features.csv"] = K.write_features(folder / "drug_features.csv", [
        {"node_index": d, "description": f"A small molecule that inhibits {nodes[d]['node_name'].split()[0]} "
                                         f"proteins.", "half_life": ""} for d in drugs], ["description", "half_life"])
    diseases = [d for ds in tails_by_type["disease"].values() for d in ds]
    out["disease_features.csv"] = K.write_features(folder / "disease_features.csv", [
        {"node_index": d, "mondo_name": nodes[d]["node_name"],
         "mondo_definition": f"A disorder caused by defects of {nodes[d]['node_name'].split()[0]} proteins.",
         "umls_description": ""} for d in diseases], ["mondo_name", "mondo_definition", "umls_description"])
    return out


def _goa_smoke(aspect: str) -> Callable[[Path], dict[str, Path]]:
    def write(folder: Path) -> dict[str, Path]:
        return smoke_go_files(folder, aspect, n=150)[0]

    return write
