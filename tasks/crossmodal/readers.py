"""Cross-modal family: readers of the upstream files into records (every dropped record counted)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
from protbench.formats import primekg as K
from protbench.sequences import DropLog, clean_sequence
from protbench.spec import (
    Record,
    TaskData,
)

from ..go_data import load_human_go
from .sources import DISEASE_FEATURES, DRUG_FEATURES, KG, NODES, PROTEINS

SPLIT_SEED = 42
HOLDOUT = 0.1


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
