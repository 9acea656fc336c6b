"""Read result folders into a :class:`Board`: one :class:`Cell` per model × task × profile × kind.

A cell holds the scores of one split (``test`` by default) as :class:`Stat`
(mean and sample std over seeds, the seed count, a confidence interval when
known). Measured and reported numbers are separate cells (``kind``), and so
are real-data and smoke-profile results (``profile``): nothing downstream can
average across them by accident.

Several files for the same key (say, two result folders with different seeds)
are merged seed-wise when they describe the same test data; otherwise the
newest wins and the board records a note. Unreadable or invalid files never
stop the collection: each is **skipped** and named in :attr:`Board.problems` (``leaderboard`` and
``compare`` print them as warnings; ``--strict`` exits 1). That covers every crafted or damaged file
:func:`protbench.results.read_result` refuses: special files (FIFOs, devices, folders named ``*.json``),
non-UTF-8 bytes, JSON that does not parse or nests too deeply, ``NaN``/``Infinity`` and overflowing
numbers, integers of more than 19 digits, and schema violations (e.g. a ``ci`` that is not ``[low, high]``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from protbench import results as R

FAMILY_ORDER = ("function", "mutation", "cross-modal", "similarity", "ppi")
# the 22 benchmarks in the order of docs/BENCHMARKS.md / the paper; other tasks follow by id
TASK_ORDER = ("subloc", "binloc", "ec", "go-bp", "go-mf", "go-cc", "beta-lactamase", "aav", "thermostability",
              "fluorescence", "stability", "prot2bp", "prot2mf", "prot2cc", "prot2drug", "disease2prot",
              "simsem-mf", "simsem-bp", "simsem-cc", "shs27k", "shs148k", "string")
STATUS_RANK = {"ok": 0, "failed": 1, "skipped": 2}
CI_OF_MEAN = "mean over seeds"     # the marker protbench.stages.summarize writes beside such an interval
# seeds of the published PEER / ProtCLIP evaluations; protocols without randomness need one
PUBLISHED_SEEDS = 3
SEEDLESS_PROTOCOLS = frozenset({"zero-shot", "semsim", "alignment-knn"})
RANDOM_INIT = "random-init"


@dataclass(frozen=True)
class Stat:
    """One metric of one cell: mean and sample std over ``n`` seeds, ``ci`` = (low, high) when known."""

    mean: float | None
    std: float | None = None
    n: int = 0
    ci: tuple[float, float] | None = None


@dataclass
class TaskInfo:
    """What the board knows about a task (from result files or the task registry)."""

    id: str
    family: str
    main_metric: str
    metrics: tuple[str, ...] = ()
    variant: str = "full"
    higher_is_better: bool = True
    registered: bool = False
    builtin: bool = True         # a task of protbench itself (False: a plugin task, kept out of the paper's aggregates)
    published_seeds: int = PUBLISHED_SEEDS
    protocol: str = ""           # the task's default protocol (from the registry; "" when unknown)


@dataclass
class Cell:
    """All results for one model × task × profile × kind, reduced to one split."""

    model: str
    task: str
    profile: str                 # "real" | "smoke"
    kind: str                    # "measured" | "reported"
    status: str                  # "ok" | "failed" | "skipped"
    family: str
    main_metric: str
    higher_is_better: bool = True
    variant: str = "full"
    stats: dict[str, Stat] = field(default_factory=dict)           # metric -> Stat on the split
    seeds: dict[str, dict[str, float | None]] = field(default_factory=dict)  # seed -> metric -> value
    message: str = ""            # error (failed) or reason (skipped)
    source: dict[str, Any] = field(default_factory=dict)           # provenance of reported numbers
    files: list[Path] = field(default_factory=list)
    predictions: list[Path] = field(default_factory=list)          # sidecar .npz files
    dataset: str | None = None   # dataset fingerprint
    protocol: str = ""           # evaluation protocol name (probe, finetune, ...)
    created: str = ""
    notes: list[str] = field(default_factory=list)
    limit: int | None = None     # --limit of the run (records per split), None for full data
    weights: Any = None          # identity weights provenance ("random-init", {"file", "sha256"}) when recorded
    preset: str | None = None    # non-default protocol preset
    params: dict[str, Any] = field(default_factory=dict)   # protocol settings changed on the command line
    identity: dict[str, Any] = field(default_factory=dict)
    trained_here: str | None = None   # weights trained by `protbench pretrain` (steps, device), not published ones

    @property
    def random_init(self) -> bool:
        return self.weights == RANDOM_INIT or self.model.endswith("@" + RANDOM_INIT)

    def caveats(self, published_seeds: int = PUBLISHED_SEEDS, default_protocol: str = "") -> list[str]:
        """Why this measured result is not comparable with the published setting ([] when it is): limited
        data, fewer seeds than published, random weights, a protocol other than the task's default
        (``default_protocol``, "" = unknown), a non-default protocol preset or settings."""
        if self.kind != "measured" or self.status != "ok":
            return []
        out = []
        if default_protocol and self.protocol and self.protocol != default_protocol:
            out.append(f"protocol {self.protocol!r}, not the task's default {default_protocol!r}")
        if self.limit is not None:
            out.append(f"--limit {self.limit} (not the full data)")
        need = 1 if self.protocol in SEEDLESS_PROTOCOLS else published_seeds
        n = len(self.seeds)
        if n < need:
            out.append(f"{n} of {need} published seeds")
        if self.random_init:
            out.append("random-init weights")
        if self.trained_here:
            out.append(f"weights trained here ({self.trained_here}), not the published model's")
        if self.preset:
            out.append(f"protocol preset {self.preset!r}")
        if self.params:
            out.append(f"protocol settings changed ({settings_text(self.params)})")
        return out

    @property
    def published_preset(self) -> str:
        """For a reported cell: the protbench preset that runs the publication's protocol ("" = none does)."""
        return str(self.source.get("preset") or "")

    def same_protocol(self, reported: "Cell") -> bool:
        """Whether this measured cell ran the protocol of ``reported``'s publication (its preset, no setting
        changed on top), so that measured − reported is a difference of models, not of protocols."""
        return bool(reported.published_preset) and (self.preset or "") == reported.published_preset \
            and not self.params

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.model, self.task, self.profile, self.kind)

    def stat(self, metric: str | None = None) -> Stat | None:
        """The statistic of ``metric`` (default: the task's main metric), or None when absent."""
        s = self.stats.get(metric or self.main_metric)
        return s if s is not None and s.mean is not None else None


@dataclass
class Board:
    """Every cell found, plus task metadata, problems (unreadable files) and merge notes."""

    cells: dict[tuple[str, str, str, str], Cell] = field(default_factory=dict)
    tasks: dict[str, TaskInfo] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    split: str = "test"
    overlap: dict[str, dict[str, Any]] = field(default_factory=dict)       # task -> dataset.stats.overlap
    overlap_limited: dict[str, int] = field(default_factory=dict)          # task -> --limit of that result
    leakage: dict[str, dict[str, Any]] = field(default_factory=dict)       # task -> dataset.stats.leakage

    def caveats(self, cell: Cell) -> list[str]:
        info = self.tasks.get(cell.task)
        return cell.caveats(info.published_seeds if info else PUBLISHED_SEEDS, info.protocol if info else "")

    def comparable(self, cell: Cell | None) -> bool:
        """A measured ok cell whose identity matches the published setting (see :meth:`Cell.caveats`)."""
        return cell is not None and cell.status == "ok" and not self.caveats(cell)

    def get(self, model: str, task: str, profile: str, kind: str = "measured") -> Cell | None:
        return self.cells.get((model, task, profile, kind))

    def models(self, profile: str, kind: str | None = None) -> list[str]:
        """Model names with at least one cell of this profile (and kind), sorted."""
        return sorted({c.model for c in self.cells.values()
                       if c.profile == profile and (kind is None or c.kind == kind)})

    def profiles(self) -> list[str]:
        return [p for p in ("real", "smoke") if any(c.profile == p for c in self.cells.values())]

    def task_ids(self, family: str | None = None, profile: str | None = None, core_only: bool = False) -> list[str]:
        """Task ids in paper order (family, then benchmark order, then id).

        ``profile``: only registered tasks and tasks with a result of that
        profile; ``core_only``: only built-in tasks that are not derived from
        another (see :func:`is_derived`), the set family means and MRR are
        taken over (plugin tasks never change the paper's aggregates).
        """
        fam_order = {f: i for i, f in enumerate(FAMILY_ORDER)}
        task_order = {t: i for i, t in enumerate(TASK_ORDER)}
        with_cells = {c.task for c in self.cells.values() if profile is None or c.profile == profile}
        ids = [t for t, info in self.tasks.items()
               if (family is None or info.family == family) and (info.registered or t in with_cells)
               and not (core_only and (is_derived(t, info.variant) or not info.builtin))]
        return sorted(ids, key=lambda t: (fam_order.get(self.tasks[t].family, len(fam_order)), self.tasks[t].family,
                                          _base_order(t, task_order), t))

    def families(self, profile: str | None = None) -> list[str]:
        seen = {self.tasks[t].family for t in self.task_ids(profile=profile)}
        return [f for f in FAMILY_ORDER if f in seen] + sorted(seen - set(FAMILY_ORDER))


def settings_text(params: dict[str, Any]) -> str:
    """Protocol settings changed on the command line as ``k=v, ...`` (nested keys dotted, sorted)."""
    return ", ".join(f"{k}={v}" for k, v in sorted(_flat(params).items()))


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def is_derived(task: str, variant: str = "full") -> bool:
    """True for a variant of a benchmark: a non-full ``variant`` (partial data, other ground truth) or an id
    ``<benchmark>-…`` of one of the 22 (e.g. ``shs27k-dfs``, ``simsem-mf-human``, ``prot2bp-goa``)."""
    if variant != "full":
        return True
    return task not in TASK_ORDER and any(task.startswith(t + "-") for t in TASK_ORDER)


def _base_order(task: str, order: dict[str, int]) -> int:
    """Position of a task (or of the benchmark a partial variant ``<id>-…`` derives from)."""
    if task in order:
        return order[task]
    prefix = max((t for t in order if task.startswith(t + "-")), key=len, default=None)
    return order[prefix] if prefix else len(order)


def result_files(root: Path) -> Iterator[Path]:
    """Result JSONs under ``root`` (see :func:`protbench.results.result_files`)."""
    return R.result_files(root)


def _stats_from_summary(summary: dict[str, Any], split: str) -> dict[str, Stat]:
    out = {}
    for metric, s in summary.get(split, {}).items():
        # only an interval computed for the mean over seeds sits beside the mean (older results copied
        # seed 0's interval there; it is ignored and recomputed from predictions when they exist)
        ci = s.get("ci") if s.get("ci_of") == CI_OF_MEAN else None
        out[metric] = Stat(mean=s.get("mean"), std=s.get("std"), n=int(s.get("n", 0)),
                           ci=(float(ci[0]), float(ci[1])) if ci and len(ci) == 2 and None not in ci else None)
    return out


def _cell_from_result(path: Path, res: dict[str, Any], split: str) -> Cell:
    task = res["task"]
    kind = res["kind"]
    cell = Cell(
        model=res["model"]["name"], task=task["id"], profile=res.get("profile", "real"), kind=kind,
        status=res["status"], family=task["family"], main_metric=task["main_metric"],
        higher_is_better=bool(task.get("higher_is_better", True)), variant=task.get("variant", "full") or "full",
        message=res.get("error") or res.get("reason") or "", source=dict(res.get("source", {})),
        files=[path], dataset=(res.get("dataset") or {}).get("fingerprint"), created=res.get("created", ""),
        protocol=str((res.get("protocol") or {}).get("name", "")),
    )
    proto = res.get("protocol") or {}
    ident = res.get("identity") or {}
    cell.identity = dict(ident)
    cell.limit = (res.get("dataset") or {}).get("limit", ident.get("limit"))
    cell.weights = ident.get("weights")
    if cell.weights is None and str((res.get("model") or {}).get("revision", "")).startswith(RANDOM_INIT):
        cell.weights = RANDOM_INIT     # a model built without weights (e.g. esm2-tiny): its numbers are random-init
    training = ((res.get("model") or {}).get("parameters") or {}).get("training")
    if isinstance(training, dict) and training.get("by"):
        cell.trained_here = (f"{training['by']}: {training.get('steps', '?')} steps on "
                             f"{training.get('device', '?')}")
    cell.preset = proto.get("preset") or (ident.get("protocol") or {}).get("preset")
    cell.params = dict(proto.get("params") or {})
    if res["status"] == "ok":
        cell.stats = _stats_from_summary(res.get("summary", {}), split)
        for seed, sres in (res.get("seeds") or {}).items():
            cell.seeds[seed] = dict(sres.get("scores", {}).get(split, {}))
        pred = res.get("predictions_file")
        if pred and (path.parent / pred).is_file():
            cell.predictions.append(path.parent / pred)
    return cell


def _merge(old: Cell, new: Cell, board: Board) -> Cell:
    """Combine two cells of the same key (see the module docstring for the rule)."""
    where = f"{new.model} × {new.task} ({new.profile}, {new.kind})"
    if STATUS_RANK[new.status] != STATUS_RANK[old.status]:
        keep, drop = (new, old) if STATUS_RANK[new.status] < STATUS_RANK[old.status] else (old, new)
        board.notes.append(f"{where}: kept the {keep.status} result {keep.files[0]}, ignored the "
                           f"{drop.status} result {drop.files[0]}")
        return keep
    newer, older = (new, old) if new.created >= old.created else (old, new)
    setting = ("limit", "weights", "preset", "params")
    if new.status != "ok" or new.kind == "reported" or not (new.seeds and old.seeds) or new.dataset != old.dataset \
            or new.protocol != old.protocol or any(getattr(new, a) != getattr(old, a) for a in setting):
        why = ("different test data" if new.dataset != old.dataset else
               f"different protocols ({older.protocol or '?'} vs {newer.protocol or '?'})"
               if new.protocol != old.protocol else
               "different " + ", ".join(a for a in setting if getattr(new, a) != getattr(old, a))
               if any(getattr(new, a) != getattr(old, a) for a in setting)
               else "results that cannot be merged seed-wise")
        board.notes.append(f"{where}: {why}; kept the newest {newer.files[0]}, ignored {older.files[0]}")
        return newer
    seeds = dict(older.seeds)
    clash = sorted(s for s in newer.seeds if s in seeds and seeds[s] != newer.seeds[s])
    if clash:
        board.notes.append(f"{where}: seeds {clash} differ between {older.files} and {newer.files[0]}; "
                           f"kept the newest")
    seeds.update(newer.seeds)
    merged = Cell(**{**newer.__dict__, "seeds": seeds, "files": older.files + newer.files,
                     "predictions": older.predictions + newer.predictions})
    summary = R.summarize({s: {"scores": {"x": v}} for s, v in seeds.items()}).get("x", {})
    merged.stats = {m: Stat(mean=d["mean"], std=d["std"], n=d["n"]) for m, d in summary.items()}
    return merged


def collect(roots: Iterable[Path] | Path, split: str = "test", registry: Any = None,
            tasks: Iterable[str] | None = None) -> Board:
    """Read every result under ``roots`` into a :class:`Board` of ``split`` scores.

    ``registry`` (a :class:`protbench.registry.Registries`) adds the registered
    tasks, so tasks without any result still appear (as missing) in tables;
    ``tasks`` keeps only these task ids (results and registered tasks alike).
    """
    keep = set(tasks) if tasks is not None else None
    roots = [Path(roots)] if isinstance(roots, (str, Path)) else [Path(r) for r in roots]
    board = Board(split=split)
    for root in roots:
        if not root.exists():
            board.problems.append(f"{root}: results folder does not exist")
            continue
        for path in result_files(root):
            try:
                res = R.read_result(path)
                try:
                    cell = _cell_from_result(path, res, split)
                except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
                    raise R.ResultError(f"{path}: not a readable result ({type(exc).__name__}: {exc})") from None
            except R.ResultError as exc:     # named and skipped (see the module docstring)
                board.problems.append(str(exc))
                continue
            if keep is not None and cell.task not in keep:
                continue
            elsewhere = res.get("seeds_run_elsewhere") if res.get("status") == "ok" else None
            if isinstance(elsewhere, dict) and elsewhere:     # a killed run resumed on another machine or revision
                board.notes.append(f"{path}: seeds {', '.join(sorted(elsewhere))} ran at another revision or on "
                                   f"another numeric platform than the rest of the result (seeds_run_elsewhere)")
            old = board.cells.get(cell.key)
            board.cells[cell.key] = cell if old is None else _merge(old, cell, board)
            t = res["task"]
            info = board.tasks.get(cell.task)
            if info is None or (not info.registered and cell.kind == "measured"):
                board.tasks[cell.task] = TaskInfo(
                    id=cell.task, family=cell.family, main_metric=cell.main_metric,
                    metrics=tuple(t.get("metrics") or ()), variant=cell.variant,
                    higher_is_better=cell.higher_is_better,
                    builtin=cell.task in TASK_ORDER or is_derived(cell.task, cell.variant))
            stats = (res.get("dataset") or {}).get("stats") or {}
            if stats.get("leakage") and cell.kind == "measured" and cell.limit is None:
                board.leakage.setdefault(cell.task, stats["leakage"])
            overlap = stats.get("overlap")
            if overlap and cell.kind == "measured" and (cell.task not in board.overlap or (
                    cell.limit is None and cell.task in board.overlap_limited)):
                board.overlap[cell.task] = overlap
                board.overlap_limited.pop(cell.task, None)
                if cell.limit is not None:
                    board.overlap_limited[cell.task] = cell.limit
    if registry is not None:
        for tid in registry.tasks:
            if keep is not None and tid not in keep:
                continue
            spec = registry.tasks.get(tid).spec
            origin = getattr(registry.tasks, "origins", {}).get(tid, "built-in")
            board.tasks[tid] = TaskInfo(id=tid, family=spec.family.value, main_metric=spec.main_metric,
                                        metrics=tuple(spec.metrics), variant=spec.variant,
                                        higher_is_better=spec.higher_is_better, registered=True,
                                        builtin=str(origin).startswith("built-in"),
                                        published_seeds=int(getattr(spec, "published_seeds", None)
                                                            or PUBLISHED_SEEDS),
                                        protocol=spec.protocol)
    return board
