"""Cross-modal family: the upstream sources (URLs, checksums) and the task specifications."""
from __future__ import annotations

from typing import Any

from protbench import ontology as O
from protbench.spec import (
    DataSource,
    Family,
    TaskSpec,
)

from ..go_data import EVIDENCE_NOTE, HUMAN_GO_SOURCES
from ..kinds import Task
from .readers import SPLIT_SEED, goa_reader, primekg_reader
from .smoke import _goa_smoke, write_primekg_smoke
from .sources import DISEASE_FEATURES, DRUG_FEATURES, KG, NODES, PROTEINS

METRICS = ("mrr", "hits@1", "hits@3", "hits@10")
PROTOCOLS = ("bridge", "zero-shot")
BIOBRIDGE_CITATION = ("Wang et al. 2024, BioBridge: Bridging Biomedical Foundation Models via Knowledge Graphs, "
                      "ICLR (arXiv 2310.03320); Chandak et al. 2023, Building a knowledge graph to enable "
                      "precision medicine, Scientific Data 10:67 (PrimeKG)")


# ---------------------------------------------------------------------------------------------



# ---------------------------------------------------------------------------------------------

def _spec(tid: str, description: str, sources: tuple[DataSource, ...], variant: str = "full",
          **parameters: Any) -> TaskSpec:
    return TaskSpec(
        id=tid, family=Family.CROSS_MODAL, description=description, main_metric="mrr", metrics=METRICS,
        protocol="bridge", protocols=PROTOCOLS, sources=sources, splits={"train": None, "valid": None, "test": None},
        citation=BIOBRIDGE_CITATION, license="CC BY 4.0 (PrimeKG); MIT (BioBridge)",
        label_space="ranking over all candidate tail nodes", variant=variant,
        parameters={"split": f"BioBridge-style: 10% of head nodes → test, then 10% of the rest → valid, "
                             f"numpy default_rng({SPLIT_SEED})",
                    "ranking": "filtered (other true tails removed), pessimistic ties",
                    "bridge": "frozen embeddings, residual MLP conditioned on (head type, relation, tail type), "
                              "InfoNCE τ=0.07 with false negatives masked, ≤12 rounds of 50 steps (batch 512), "
                              "early stopping on valid MRR",
                    **parameters})
PRIMEKG_SOURCES = (KG, NODES, DRUG_FEATURES, DISEASE_FEATURES, PROTEINS)
_PRIMEKG = [
    ("prot2bp", "gene/protein", "biological_process", "bioprocess_protein", "protein → GO biological process"),
    ("prot2mf", "gene/protein", "molecular_function", "molfunc_protein", "protein → GO molecular function"),
    ("prot2cc", "gene/protein", "cellular_component", "cellcomp_protein", "protein → GO cellular component"),
    ("prot2drug", "gene/protein", "drug", "drug_protein", "protein → drug (drug description text)"),
    ("disease2prot", "disease", "gene/protein", "disease_protein", "disease (definition text) → protein"),
]
TASKS = [
    Task(_spec(tid, f"PrimeKG {what}: rank all {tail} nodes for held-out {head} nodes.", PRIMEKG_SOURCES,
                         head_type=head, tail_type=tail, relation=rel,
                         tail_text="GO: node name; drug: name + description; disease: name + definitions"),
                   primekg_reader(head, tail, rel), write_primekg_smoke)
    for tid, head, tail, rel, what in _PRIMEKG
] + [
    Task(_spec(f"prot2{a}-goa", f"Human Swiss-Prot protein → GO {O.ASPECTS[a].replace('_', ' ')} term "
                                          f"(org.Hs.eg.db annotations; GO name + definition as text).",
                         HUMAN_GO_SOURCES,
                         variant="real-data variant: org.Hs.eg.db annotations instead of PrimeKG (same protocol)",
                         annotations=EVIDENCE_NOTE.split(";")[0] + "; direct annotations (not propagated)",
                         candidates="GO terms of the aspect annotated to ≥1 protein (--param candidates=all: "
                                    "every term of the aspect)",
                         tail_text="GO term 'name: definition' from go-basic 2021-12-15"),
                   goa_reader(a), _goa_smoke(a))
    for a in ("bp", "mf", "cc")
]
