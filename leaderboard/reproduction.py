"""Measured against published, and what a protocol's choices are worth: two leaderboard appendices.

**Reproductions.** Every published number (``kind: reported``) whose model and task also have a measured
real-data cell gives one row: Δ = measured mean − published mean, and a verdict. The verdict is
``within 2σ`` when |Δ| ≤ 2 σ, σ being the published std over the paper's runs, and ``outside 2σ`` otherwise;
it is given only where the measured cell ran the publication's protocol (the reported file's ``source.preset``
equals the measured cell's preset, and no setting was changed on top of it) and the paper gives its spread.
Other rows say why there is no verdict.

**PPI protocol readings.** A ``ppi-gnn`` / ``ppi-gnn-finetune`` result also records, from the same runs, the
held-out scores at the last epoch (``info.test_last_epoch``) and split by whether a test pair's proteins occur
in non-test pairs (``info.test_subsets``: both / one / none = GNN-PPI's BS / ES / NS). Per cell: the score at
the selected epoch, at the last epoch, their paired difference over seeds with a 95 % t interval, and the
BS/ES/NS scores at the selected epoch.

**Protocol choices.** The same model and tasks run twice, once under a publication's protocol and once with one
of its choices changed (a validation split choosing the epoch, a message-passing graph of training pairs only),
on the same seeds — so the same held-out pairs, since a split's test pairs are drawn before its validation
pairs. Per task: both means and the paired difference over the seeds both ran (95 % t interval). The last-epoch
reading of the reference runs is the first choice, from the same runs.
"""
from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field

from .collect import Board, Cell, Stat, settings_text

SUBSETS = (("both", "BS"), ("one", "ES"), ("none", "NS"))


@dataclass(frozen=True)
class Reproduction:
    """One measured cell beside the published number of the same model, task and metric."""

    model: str
    task: str
    metric: str
    measured: Stat
    published: Stat
    measured_preset: str | None
    published_preset: str
    measured_params: dict = field(default_factory=dict)    # settings changed on top of the measured preset

    @property
    def delta(self) -> float:
        return self.measured.mean - self.published.mean

    @property
    def sigmas(self) -> float | None:
        """|Δ| in units of the published std (None without a published spread)."""
        std = self.published.std
        return abs(self.delta) / std if std else None

    @property
    def verdict(self) -> str:
        if not self.published_preset:
            return "other protocol (no protbench preset runs the paper's)"
        if (self.measured_preset or "") != self.published_preset:
            ran = f"preset {self.measured_preset!r}" if self.measured_preset else "the default protocol"
            return f"other protocol (measured with {ran}, paper's is preset {self.published_preset!r})"
        if self.measured_params:
            return (f"other protocol (preset {self.published_preset!r} with settings changed: "
                    f"{settings_text(self.measured_params)})")
        if self.sigmas is None:
            return "no published spread"
        return "within 2σ" if self.sigmas <= 2 else "outside 2σ"


def reproductions(board: Board) -> list[Reproduction]:
    """Every reported real-data cell that has a measured counterpart, in task order."""
    order = {t: i for i, t in enumerate(board.task_ids())}
    out = []
    for (model, task, profile, kind), rep in board.cells.items():
        meas = board.get(model, task, profile, "measured")
        if kind != "reported" or profile != "real" or meas is None or meas.status != "ok" or rep.status != "ok":
            continue
        for metric in sorted(rep.stats):
            if rep.stat(metric) is not None and meas.stat(metric) is not None:
                out.append(Reproduction(model, task, metric, meas.stat(metric), rep.stat(metric), meas.preset,
                                        rep.published_preset, dict(meas.params)))
    return sorted(out, key=lambda r: (r.model, order.get(r.task, len(order)), r.task, r.metric))


# -- PPI protocol readings ----------------------------------------------------------------------------------
@dataclass
class PpiReading:
    """Per-seed scores of one PPI cell read two ways: at the selected epoch and at the last epoch."""

    model: str
    task: str
    metric: str
    selected_on: str                                   # "test" (GNN-PPI) or "valid"
    graph: str                                         # "all" (GCA) or "train" (GCT)
    seeds: list[str] = field(default_factory=list)     # seed ids, in the order of the lists below
    selected: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)
    subsets: dict[str, list[float]] = field(default_factory=dict)     # both/one/none -> per-seed scores
    subset_sizes: dict[str, list[int]] = field(default_factory=dict)  # both/one/none -> test pairs per seed


def ppi_readings(board: Board) -> list[PpiReading]:
    """The PPI cells whose seeds recorded last-epoch scores (real data), in model and task order."""
    out = []
    order = {t: i for i, t in enumerate(board.task_ids())}
    cells = sorted((c for c in board.cells.values() if c.kind == "measured" and c.profile == "real"
                    and c.status == "ok" and c.family == "ppi"),
                   key=lambda c: (c.model, order.get(c.task, len(order)), c.task))
    for cell in cells:
        reading = _reading(cell)
        if reading is not None and reading.last:
            out.append(reading)
    return out


def _reading(cell: Cell) -> PpiReading | None:
    metric = cell.main_metric
    reading = None
    for path in cell.files:
        try:
            seeds = json.loads(path.read_text()).get("seeds") or {}
        except (OSError, ValueError):
            continue
        for seed_id, seed in sorted(seeds.items(), key=lambda kv: (len(kv[0]), kv[0])):   # "2" before "10"
            info, score = seed.get("info") or {}, (seed.get("scores") or {}).get("test", {}).get(metric)
            last = (info.get("test_last_epoch") or {}).get(metric)
            fit = info.get("fit") or {}
            if last is None and fit.get("best_epoch") is not None and fit.get("best_epoch") == fit.get("epochs_run"):
                last = score           # the last epoch was the one selected: the run kept no second state
            if score is None or last is None:
                continue
            if reading is None:
                reading = PpiReading(cell.model, cell.task, metric, str(info.get("selected_on", "")),
                                     str(info.get("graph_edges", "")))
            reading.seeds.append(str(seed_id))
            reading.selected.append(float(score))
            reading.last.append(float(last))
            for name, _ in SUBSETS:
                sub = (info.get("test_subsets") or {}).get(name) or {}
                reading.subset_sizes.setdefault(name, []).append(int(sub.get("n", 0)))
                if sub.get(metric) is not None:
                    reading.subsets.setdefault(name, []).append(float(sub[metric]))
    return reading


def mean_std(values: list[float]) -> tuple[float, float | None]:
    """Mean and sample std (None for one value)."""
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else None


def paired_interval(a: list[float], b: list[float], level: float = 0.95) -> tuple[float, float, float] | None:
    """Mean of ``b − a`` over paired seeds and its two-sided ``level`` t interval (None for fewer than 2)."""
    from scipy import stats

    d = [y - x for x, y in zip(a, b)]
    if len(d) < 2:
        return None
    mean, std = mean_std(d)
    half = stats.t.ppf(0.5 + level / 2, len(d) - 1) * std / math.sqrt(len(d))
    return mean, mean - half, mean + half


# -- protocol choices -----------------------------------------------------------------------------------------
LAST_EPOCH = "epoch: the last one, not the one the test pairs chose (same runs)"


@dataclass(frozen=True)
class ProtocolEffect:
    """One choice of a protocol changed, on one model and task: per-seed test scores, paired by seed."""

    choice: str
    model: str
    task: str
    metric: str
    seeds: tuple[str, ...]
    reference: tuple[float, ...]
    changed: tuple[float, ...]

    @property
    def difference(self) -> tuple[float, float, float] | None:
        """Mean of changed − reference over the paired seeds, with its 95 % t interval (None below 2 seeds)."""
        return paired_interval(list(self.reference), list(self.changed))


def protocol_effects(reference: Board, changed: dict[str, Board]) -> list[ProtocolEffect]:
    """The reference runs' last-epoch reading, then each ``changed[choice]`` board against the reference, for
    every PPI cell both hold (same model and task), on the seeds both ran; in model and task order."""
    ref = {(r.model, r.task): r for r in ppi_readings(reference)}
    out = [ProtocolEffect(LAST_EPOCH, r.model, r.task, r.metric, tuple(r.seeds), tuple(r.selected), tuple(r.last))
           for r in ref.values()]
    for choice, board in changed.items():
        for r in ppi_readings(board):
            base = ref.get((r.model, r.task))
            if base is None or base.metric != r.metric:
                continue
            mine = dict(zip(r.seeds, r.selected))
            seeds = [s for s in base.seeds if s in mine]
            theirs = dict(zip(base.seeds, base.selected))
            out.append(ProtocolEffect(choice, r.model, r.task, r.metric, tuple(seeds),
                                      tuple(theirs[s] for s in seeds), tuple(mine[s] for s in seeds)))
    order = {t: i for i, t in enumerate(reference.task_ids())}
    return sorted(out, key=lambda e: (e.model, order.get(e.task, len(order)), e.task))
