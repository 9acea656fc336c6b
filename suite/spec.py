"""Typed metadata for tasks and models, and the records that flow between stages.

Everything here is plain data (frozen dataclasses): a task's :class:`TaskSpec`
says what it measures and where its files come from; a model's :class:`ModelMeta`
says what it embeds and how (the fields that key the embedding cache).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping


class Family(str, Enum):
    """The five benchmark families of ProtCLIP (docs/BENCHMARKS.md)."""

    FUNCTION = "function"
    MUTATION = "mutation"
    CROSS_MODAL = "cross-modal"
    SIMILARITY = "similarity"
    PPI = "ppi"


class Capability(str, Enum):
    """What a task needs from a model; a model lacking one is skipped with a reason."""

    PROTEIN = "protein"            # pooled protein vectors: embed_proteins
    TEXT = "text"                  # pooled text vectors: embed_texts
    RESIDUE = "residue"            # per-residue vectors: embed_residues
    SHARED_SPACE = "shared_space"  # protein and text vectors live in one space (zero-shot)
    FINETUNE = "finetune"          # a trainable torch encoder: trainable_encoder()


@dataclass(frozen=True)
class DataSource:
    """One upstream file a task needs.

    ``filename`` is the canonical upstream file name; the fetcher looks for it
    under that name in the cache and in mirror folders. Give ``md5``, ``sha256`` and/or
    ``git_blob`` (hex); every hash given, and ``size`` when given, is verified on every use.
    ``git_blob`` is the id git gives the file's bytes — the SHA-1 of ``b"blob <size>\0" + bytes``
    — which anyone can read from the upstream repository (``git ls-tree``) without the file: use it
    where an upstream lives in a git repository and publishes no other checksum. Where no hash
    could be obtained, say why in ``unverified`` instead of inventing one: such a file is used
    unchecked, and its loader should record the hashes of the bytes it actually read.
    Every copy is also sniffed for its content ``kind`` (inferred from the file name when not given:
    an HTML page, a Git LFS pointer or a tab-separated file under a ``.csv`` name is refused).
    """

    filename: str
    url: str
    md5: str | None = None
    sha256: str | None = None
    size: int | None = None          # bytes, when known; a copy of another size is refused
    git_blob: str | None = None      # git's blob id of the file (SHA-1 of "blob <size>\0" + bytes)
    description: str = ""
    license: str = ""
    unverified: str = ""             # why no hash is given (only when none could be obtained)
    kind: str = ""                   # content kind: csv, tsv, text, json, gzip, zip, binary ("" = from the name)
    dataverse: str = ""              # a Dataverse dataset DOI holding this file (by its original name): resolved
                                     # online to the file's id, md5 and size from the dataset listing

    def __post_init__(self) -> None:
        if not (self.md5 or self.sha256 or self.git_blob or self.unverified):
            raise ValueError(f"DataSource {self.filename!r}: give md5, sha256 or git_blob so the file can be verified "
                             f"(or, if no hash can be obtained, the reason in `unverified`)")


@dataclass(frozen=True)
class TaskSpec:
    """Declarative description of one benchmark.

    ``splits`` maps split name to the expected number of records after parsing
    and cleaning (None where upstream does not fix it); a load that disagrees
    fails, so a change in upstream data is caught. ``variant`` says what data
    the task runs on: ``"full"`` (the benchmark as published) or a named partial
    variant (e.g. ``"partial: valid/test only"``) that must never pass as full.
    """

    id: str
    family: Family
    description: str
    main_metric: str
    metrics: tuple[str, ...]
    protocol: str                      # default evaluation protocol, e.g. "probe"
    sources: tuple[DataSource, ...] = ()
    splits: Mapping[str, int | None] = field(default_factory=dict)
    citation: str = ""
    license: str = ""
    requires: frozenset[Capability] = frozenset()   # beyond what the protocol needs (rarely any)
    protocols: tuple[str, ...] = ()    # every protocol the task supports (default first)
    label_space: str = ""              # e.g. "2 classes", "regression", "538 multi-label"
    variant: str = "full"
    parameters: Mapping[str, Any] = field(default_factory=dict)  # choices recorded with results
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        if self.main_metric not in self.metrics:
            raise ValueError(f"task {self.id!r}: main metric {self.main_metric!r} is not among metrics {self.metrics}")
        object.__setattr__(self, "family", Family(self.family))
        object.__setattr__(self, "requires", frozenset(Capability(c) for c in self.requires))
        if not self.protocols:
            object.__setattr__(self, "protocols", (self.protocol,))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (used in result files and `protbench show`)."""
        d = dataclasses.asdict(self)
        d["family"] = self.family.value
        d["requires"] = sorted(c.value for c in self.requires)
        d["splits"] = dict(self.splits)
        d["parameters"] = dict(self.parameters)
        return d


@dataclass(frozen=True)
class ModelMeta:
    """What a model is and how it embeds; the embedding cache is keyed on these fields.

    ``fingerprint`` must change whenever the model's outputs can change (weights,
    config, code version of a featuriser). ``max_length`` is in residues (without
    special tokens). ``training_data`` lists datasets the weights saw, for
    leakage checks. ``token_budget``: padded tokens per embedding batch the model prefers when a run gives
    none (a recurrent model gains from more rows per step); None: the engine's default.
    """

    name: str
    fingerprint: str
    dim: int
    max_length: int
    capabilities: frozenset[Capability] = frozenset({Capability.PROTEIN})
    layer: str = "last"
    pooling: str = "mean"
    text_dim: int | None = None
    revision: str = ""
    training_data: tuple[str, ...] = ()
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    token_budget: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "capabilities", frozenset(Capability(c) for c in self.capabilities))

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["capabilities"] = sorted(c.value for c in self.capabilities)
        d["parameters"] = dict(self.parameters)
        return d


@dataclass
class Record:
    """One example: a protein (and optionally a text) with its label.

    ``label`` is an int class index, a float target, or a tuple of int class
    indices (multi-label), depending on the task.
    """

    id: str
    sequence: str
    label: Any = None
    text: str | None = None


@dataclass
class TaskData:
    """What a task's loader returns: records per split, plus task-specific extras.

    ``stats`` records what cleaning did (e.g. ``{"dropped": {"train": {"invalid residue": 3}}}``);
    ``extra`` carries anything else the evaluation needs (label names, a graph, candidate texts...).
    """

    splits: dict[str, list[Record]]
    extra: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    def split_sizes(self) -> dict[str, int]:
        return {name: len(recs) for name, recs in self.splits.items()}

    def protein_sequences(self) -> list[str]:
        """Distinct sequences over all splits plus ``extra["sequences"]``, first-seen order.

        Records with an empty sequence (text-only queries, e.g. diseases in ``disease2prot``) are skipped.
        """
        seen: dict[str, None] = {}
        for recs in self.splits.values():
            for r in recs:
                if r.sequence:
                    seen.setdefault(r.sequence, None)
        for s in self.extra.get("sequences", ()):
            seen.setdefault(s, None)
        return list(seen)

    def fingerprint(self) -> str:
        """sha256 over the canonical processed records (ids, sequences, labels, texts) of every split."""
        h = hashlib.sha256()
        for name in sorted(self.splits):
            h.update(f"#split {name}\n".encode())
            for r in self.splits[name]:
                label = _canonical(r.label)
                h.update(json.dumps([r.id, r.sequence, label, r.text], separators=(",", ":")).encode())
                h.update(b"\n")
        return h.hexdigest()


def subset_extra(extra: dict[str, Any], split: str, keep: Any, n: int) -> dict[str, Any]:
    """``extra`` after keeping only records ``keep`` (sorted indices) of ``split`` (of ``n`` records).

    A task whose extras are indexed by record position declares how under ``extra["record_indexed"]``,
    ``{extra_key: layout}``:

    * ``"square"`` — ``extra[extra_key][split]`` is an ``(n, n)`` matrix over the split's records
      (rows and columns are subset);
    * ``"pairs:<split>"`` — ``extra[extra_key]`` maps names to ``(m, 2)`` record-index pairs into
      ``<split>`` (indices remapped; pairs touching a removed record are dropped).
    Extras not declared are passed through unchanged.
    """
    import numpy as np

    layouts = extra.get("record_indexed") or {}
    if not layouts:
        return extra
    keep = np.asarray(keep, dtype=np.int64)
    out = dict(extra)
    for key, layout in layouts.items():
        if key not in extra:
            continue
        if layout == "square":
            mats = dict(extra[key])
            if split in mats:
                m = np.asarray(mats[split])
                if m.shape != (n, n):
                    raise ValueError(f"extra[{key!r}][{split!r}] has shape {m.shape}, expected ({n}, {n})")
                mats[split] = m[np.ix_(keep, keep)]
            out[key] = mats
        elif layout == f"pairs:{split}":
            remap = np.full(n, -1, dtype=np.int64)
            remap[keep] = np.arange(len(keep))
            sub = {}
            for name, pairs in extra[key].items():
                p = remap[np.asarray(pairs, dtype=np.int64).reshape(-1, 2)]
                sub[name] = p[(p >= 0).all(axis=1)]
            out[key] = sub
        elif not str(layout).startswith("pairs:"):
            raise ValueError(f"unknown record_indexed layout {layout!r} for extra {key!r}")
    return out


def _canonical(x: Any) -> Any:
    if hasattr(x, "tolist"):
        x = x.tolist()
    if isinstance(x, (tuple, list)):
        return [_canonical(v) for v in x]
    if isinstance(x, float):
        return float(repr(x)) if x == x else "nan"
    return x


@dataclass
class SeedResult:
    """One seed's evaluation: ``scores[split][metric] = value``.

    ``ci[split][metric] = (low, high)`` holds bootstrap intervals where computed;
    ``predictions[split]`` optionally holds arrays (``y_true``, ``y_score``) kept
    in a sidecar file for paired tests; ``info`` holds protocol details
    (chosen hyper-parameters, epochs, ...).
    """

    scores: dict[str, dict[str, float]]
    ci: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    predictions: dict[str, dict[str, Any]] | None = None
    info: dict[str, Any] = field(default_factory=dict)
