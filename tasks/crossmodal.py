"""Family 3, cross-modal transformation (BioBridge): retrieve the tail nodes linked to a head node.

Tasks (BENCHMARKS.md rows 12–16), on PrimeKG (Chandak et al. 2023) with
BioBridge's protein sequences:

* ``prot2bp`` / ``prot2mf`` / ``prot2cc`` — protein → GO biological process /
  molecular function / cellular component (PrimeKG relations
  ``bioprocess_protein``, ``molfunc_protein``, ``cellcomp_protein``);
* ``prot2drug`` — protein → drug (``drug_protein``);
* ``disease2prot`` — disease → protein (``disease_protein``).

Real-data variants reachable offline: ``prot2{bp,mf,cc}-goa`` — human Swiss-Prot
proteins → GO terms from org.Hs.eg.db gene annotations (every evidence code
except IEA and ND, direct annotations, not propagated), GO text from go-basic.

**Split** (mimicking BioBridge): the head nodes of the task (those with ≥ 1
edge), sorted by id, 10% drawn as test with ``numpy.random.default_rng(42)``;
10% of the remaining heads drawn by the same generator as validation (used only
for the bridge's early stopping); the rest train. Every edge of a head goes
with its head, so test heads are never seen in training.

**Candidates**: every node of the tail type (PrimeKG ``nodes.csv``; for the
``-goa`` variants, every GO term of the aspect annotated to at least one
protein, or all terms of the aspect with ``--param candidates=all``).

**Node vectors**: proteins through the evaluated model (``emb.proteins``); text
nodes — GO terms (``name: definition``; PrimeKG GO nodes carry names only),
drugs (PrimeKG ``drug_features.csv`` ``description``, else the name; the
drug's own embedding source is this text, not its structure), diseases
(name + MONDO/UMLS/Orphanet definition from ``disease_features.csv``) —
through the evaluated model's text tower for zero-shot, and for the bridge
through the model's text tower if it has one, else the reference text encoder
all-MiniLM-L6-v2 (:mod:`protbench.evaluation.reference_text`, 128 tokens).

**Protocols**: ``bridge`` (default; :mod:`protbench.evaluation.bridge`) and
``zero-shot`` (cosine in a shared protein–text space, no training; needs a
model with TEXT + SHARED_SPACE). **Metrics**: filtered MRR (main), Hits@1/3/10,
pessimistic ties (:mod:`protbench.metrics.ranking`), on ``valid`` and ``test``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from protbench import ontology as O
from protbench.evaluation.bridge import BridgeConfig, fit_bridge
from protbench.evaluation.reference_text import reference_texts
from protbench.evaluation.retrieval import retrieval_scores
from protbench.formats import primekg as K
from protbench.interfaces import Embeddings, EvalOptions, model_capabilities
from protbench.metrics.ranking import filtered_ranks_row, summarize_ranks
from protbench.sequences import DropLog, clean_sequence
from protbench.smoke import class_sequence, rng_for
from protbench.spec import Capability, DataSource, Family, Record, SeedResult, TaskData, TaskSpec

from .go_data import EVIDENCE_NOTE, HUMAN_GO_SOURCES, load_human_go
from .similarity import smoke_go_files

METRICS = ("mrr", "hits@1", "hits@3", "hits@10")
PROTOCOLS = ("bridge", "zero-shot")
SPLIT_SEED = 42
HOLDOUT = 0.1
BIOBRIDGE_CITATION = ("Wang et al. 2024, BioBridge: Bridging Biomedical Foundation Models via Knowledge Graphs, "
                      "ICLR (arXiv 2310.03320); Chandak et al. 2023, Building a knowledge graph to enable "
                      "precision medicine, Scientific Data 10:67 (PrimeKG)")

# ---------------------------------------------------------------------------------------------
# upstream files
_DV = "https://dataverse.harvard.edu/api/access/datafile/"
_DV_PAGE = "https://dataverse.harvard.edu/dataset.xhtml?persistentId=doi:10.7910/DVN/IXA7BM"
_NO_HASH = "not reachable while this task was written (no network); no checksum could be taken"
KG = DataSource("kg.csv", _DV + "6180620", unverified=_NO_HASH,
                description="PrimeKG kg.csv (Harvard Dataverse file 6180620), ~8.1M directed edge rows",
                license="CC BY 4.0 (PrimeKG)")
NODES = DataSource("nodes.csv", _DV + "6180617", unverified=_NO_HASH,
                   description="PrimeKG nodes.csv (Harvard Dataverse file 6180617)", license="CC BY 4.0 (PrimeKG)")
DRUG_FEATURES = DataSource("drug_features.csv", _DV_PAGE, unverified=_NO_HASH + "; the direct datafile id is "
                           "not known here — download drug_features.csv from the dataset page",
                           description="PrimeKG drug_features.csv (drug descriptions)", license="CC BY 4.0 (PrimeKG)")
DISEASE_FEATURES = DataSource("disease_features.csv", _DV_PAGE, unverified=_NO_HASH + "; the direct datafile id "
                              "is not known here — download disease_features.csv from the dataset page",
                              description="PrimeKG disease_features.csv (disease definitions)",
                              license="CC BY 4.0 (PrimeKG)")
PROTEINS = DataSource("protein.csv", "https://media.githubusercontent.com/media/RyanWangZf/BioBridge/"
                      "refs/heads/main/data/Processed/protein.csv", unverified=_NO_HASH,
                      description="BioBridge processed protein nodes with sequences (data/Processed/protein.csv)",
                      license="MIT (BioBridge)")


# ---------------------------------------------------------------------------------------------
# splitting and record building

def holdout_split(head_ids: list[Any], seed: int = SPLIT_SEED, fraction: float = HOLDOUT) -> dict[str, list[Any]]:
    """BioBridge-style node holdout: ``fraction`` of the (sorted) heads → test, then of the rest → valid."""
    heads = sorted(head_ids)
    rng = np.random.default_rng(seed)
    test_idx = set(rng.choice(len(heads), size=int(fraction * len(heads)), replace=False).tolist())
    rest = [h for i, h in enumerate(heads) if i not in test_idx]
    valid_idx = set(rng.choice(len(rest), size=int(fraction * len(rest)), replace=False).tolist())
    return {"train": [h for i, h in enumerate(rest) if i not in valid_idx],
            "valid": [h for i, h in enumerate(rest) if i in valid_idx],
            "test": [heads[i] for i in sorted(test_idx)]}


def build_task_data(head_items: Mapping[Any, str], head_kind: str, links: Mapping[Any, set[Any]],
                    tail_items: Mapping[Any, str], tail_kind: str, stats: dict[str, Any]) -> TaskData:
    """Records per split (one per head; ``label`` = sorted candidate positions of its true tails).

    ``head_items``/``tail_items`` map node id → sequence (``protein``) or text (``text``);
    candidates are all of ``tail_items`` (sorted by id); heads without a usable tail are dropped.
    """
    tail_ids = sorted(tail_items)
    pos = {t: i for i, t in enumerate(tail_ids)}
    usable = {h: tuple(sorted(pos[t] for t in ts if t in pos)) for h, ts in links.items() if h in head_items}
    usable = {h: ts for h, ts in usable.items() if ts}
    splits = {}
    for split, ids in holdout_split(list(usable)).items():
        recs = []
        for h in ids:
            item = head_items[h]
            recs.append(Record(id=str(h), sequence=item if head_kind == "protein" else "",
                               text=item if head_kind == "text" else None, label=usable[h]))
        splits[split] = recs
    extra = {"tail_ids": [str(t) for t in tail_ids], "tail_items": [tail_items[t] for t in tail_ids],
             "head_kind": head_kind, "tail_kind": tail_kind}
    if tail_kind == "protein":
        extra["sequences"] = extra["tail_items"]
    stats = {**stats, "heads": len(usable), "candidates": len(tail_ids),
             "edges": sum(len(v) for v in usable.values())}
    return TaskData(splits=splits, extra=extra, stats=stats)


def _clean_proteins(seqs: Mapping[Any, str], log: DropLog, where: str) -> dict[Any, str]:
    out = {}
    for k, s in seqs.items():
        c = clean_sequence(s, "all", f"{where} {k}", log)
        if c is not None:
            out[k] = c
    return out


# ---------------------------------------------------------------------------------------------
# readers

def primekg_reader(head_type: str, tail_type: str, relation: str) -> Callable[[Mapping[str, Path]], TaskData]:
    """Reader of one PrimeKG relation (heads → tails) with BioBridge sequences and PrimeKG texts."""

    def read(files: Mapping[str, Path]) -> TaskData:
        log = DropLog()
        edges = K.read_edges(files[KG.filename], head_type, tail_type, {relation})
        if not edges.head:
            raise K.PrimeKGFormatError(f"{files[KG.filename]}: no {head_type} → {tail_type} edges with relation "
                                       f"{relation!r}; is this PrimeKG's kg.csv?")
        nodes = K.read_nodes(files[NODES.filename])
        seqs = _clean_proteins(K.read_protein_sequences(files[PROTEINS.filename]), log, PROTEINS.filename)
        items: dict[str, dict[int, str]] = {}
        for ntype in (head_type, tail_type):
            sub = nodes[nodes["node_type"] == ntype]
            names = {int(i): str(n) for i, n in zip(sub["node_index"], sub["node_name"])}
            if ntype == "gene/protein":
                items[ntype] = {i: seqs[i] for i in names if i in seqs}
                missing = len(names) - len(items[ntype])
                if missing:
                    log.drop("all", "protein node without a BioBridge sequence", f"{missing} nodes")
            elif ntype == "drug":
                desc = K.read_feature_texts(files[DRUG_FEATURES.filename], K.DRUG_TEXT_FIELDS)
                items[ntype] = {i: f"{n}: {desc[i]}" if i in desc else n for i, n in names.items()}
            elif ntype == "disease":
                desc = K.read_feature_texts(files[DISEASE_FEATURES.filename], K.DISEASE_TEXT_FIELDS)
                items[ntype] = {i: f"{n}: {desc[i]}" if i in desc else n for i, n in names.items()}
            else:   # GO nodes: PrimeKG has names only
                items[ntype] = names
        links: dict[int, set[int]] = {}
        for h, t in zip(edges.head, edges.tail):
            links.setdefault(h, set()).add(t)
        kind = {t: ("protein" if t == "gene/protein" else "text") for t in (head_type, tail_type)}
        return build_task_data(items[head_type], kind[head_type], links, items[tail_type], kind[tail_type],
                               {**log.to_dict(), "relations": edges.relations})

    return read


def goa_reader(aspect: str) -> Callable[[Mapping[str, Path]], TaskData]:
    """Reader of the real human protein → GO variant (annotated GO terms as candidates)."""

    def read(files: Mapping[str, Path]) -> TaskData:
        log = DropLog()
        human = load_human_go(files)
        ann = human.annotations[aspect]
        seqs = _clean_proteins({a: human.sequences[a] for a in ann}, log, "swissprot_go_201401_human.tsv.gz")
        terms = sorted({t for ts in ann.values() for t in ts})
        tails = {t: human.onto.terms[t].text() for t in terms}
        all_terms = {t: human.onto.terms[t].text() for t in human.onto.aspect_terms(aspect)}
        data = build_task_data(seqs, "protein", ann, tails, "text", {**log.to_dict(), "go": human.stats})
        data.extra["all_aspect_terms"] = all_terms
        return data

    return read


def popularity_baseline(positives: Mapping[str, list[np.ndarray]], n_candidates: int) -> dict[str, dict[str, float]]:
    """Model-free reference: every query ranks the candidates by their number of training heads (same filtered,
    pessimistic ranking), so a score near it means the model adds little beyond tail popularity."""
    counts = np.bincount(np.concatenate(positives["train"]), minlength=n_candidates).astype(np.float64) \
        if positives["train"] else np.zeros(n_candidates)
    out = {}
    for s in ("valid", "test"):
        ranks = [filtered_ranks_row(counts, p) for p in positives[s]]
        out[s] = summarize_ranks(np.concatenate(ranks)) if ranks else {}
    return out


# ---------------------------------------------------------------------------------------------
# the task

@dataclass
class CrossModalTask:
    """A head → tail retrieval task evaluated by the bridge or zero-shot protocol."""

    spec: TaskSpec
    read: Callable[[Mapping[str, Path]], TaskData]
    smoke: Callable[[Path], dict[str, Path]]

    def requirements(self, protocol: str | None) -> set[Capability]:
        if (protocol or self.spec.protocol) == "zero-shot":
            return {Capability.PROTEIN, Capability.TEXT, Capability.SHARED_SPACE}
        return {Capability.PROTEIN}

    def load(self, files: Mapping[str, Path]) -> TaskData:
        return self.read(files)

    def write_smoke(self, folder: Path) -> dict[str, Path]:
        return self.smoke(Path(folder))

    def evaluate(self, data: TaskData, emb: Embeddings, seed: int, options: EvalOptions) -> SeedResult:
        protocol = options.protocol or self.spec.protocol
        if protocol not in PROTOCOLS:
            raise ValueError(f"task {self.spec.id!r} has no protocol {protocol!r}; choose one of {PROTOCOLS}")
        tail_ids, tail_items = data.extra["tail_ids"], data.extra["tail_items"]
        if options.params.get("candidates") == "all" and "all_aspect_terms" in data.extra:
            known = dict(zip(tail_ids, tail_items))
            extra_terms = {k: v for k, v in data.extra["all_aspect_terms"].items() if k not in known}
            tail_ids = tail_ids + sorted(extra_terms)
            tail_items = tail_items + [extra_terms[k] for k in sorted(extra_terms)]
        has_text = Capability.TEXT in model_capabilities(emb.model) if emb.model is not None else False
        if protocol == "zero-shot" or has_text:
            text_view, text_source = emb, f"{emb.meta.name} text tower"
        else:
            text_view, text_source = reference_texts(emb), "reference all-MiniLM-L6-v2 (128 tokens)"

        def vectors(kind: str, items: list[str]) -> np.ndarray:
            return emb.proteins(items) if kind == "protein" else text_view.texts(items)

        def head_items(split: str) -> list[str]:
            recs = data.splits[split]
            return [r.sequence for r in recs] if data.extra["head_kind"] == "protein" else [r.text for r in recs]

        tails = vectors(data.extra["tail_kind"], tail_items)
        positives = {s: [np.asarray(r.label, dtype=np.int64) for r in data.splits[s]] for s in ("train", "valid", "test")}
        heads = {s: vectors(data.extra["head_kind"], head_items(s)) for s in ("valid", "test")}
        info: dict[str, Any] = {"protocol": protocol, "candidates": len(tail_ids), "text_vectors": text_source,
                                "queries": {s: int(sum(len(p) for p in positives[s])) for s in ("valid", "test")}}
        if protocol == "bridge":
            heads["train"] = vectors(data.extra["head_kind"], head_items("train"))
            cfg = (BridgeConfig.quick() if options.quick else BridgeConfig()).updated(options.params)
            pairs = np.array([(i, t) for i, p in enumerate(positives["train"]) for t in p], dtype=np.int64)
            fit = fit_bridge(heads["train"], pairs, tails, heads["valid"], positives["valid"], seed, cfg)
            heads = {s: fit.transform(heads[s]) for s in ("valid", "test")}
            info.update({"bridge": {**cfg.__dict__}, "best_epoch": fit.best_epoch, "history": fit.history,
                         "fit_seconds": round(fit.seconds, 2), "train_triples": len(pairs)})
        scores, ranks = {}, {}
        for s in ("valid", "test"):
            scores[s], ranks[s] = retrieval_scores(heads[s], tails, positives[s])
        info["popularity_baseline"] = popularity_baseline(positives, len(tail_ids))
        return SeedResult(scores=scores, info=info, predictions={"test": {"ranks": ranks["test"]}})


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
    CrossModalTask(_spec(tid, f"PrimeKG {what}: rank all {tail} nodes for held-out {head} nodes.", PRIMEKG_SOURCES,
                         head_type=head, tail_type=tail, relation=rel,
                         tail_text="GO: node name; drug: name + description; disease: name + definitions"),
                   primekg_reader(head, tail, rel), write_primekg_smoke)
    for tid, head, tail, rel, what in _PRIMEKG
] + [
    CrossModalTask(_spec(f"prot2{a}-goa", f"Human Swiss-Prot protein → GO {O.ASPECTS[a].replace('_', ' ')} term "
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
