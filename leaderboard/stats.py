"""Bootstrap statistics over test items from prediction sidecars.

A runner that keeps predictions writes ``<model>/<task>.predictions.npz``
(:meth:`protbench.store.ResultStore.write_predictions`) with arrays ``<split>.y_true`` and
``<split>.y_score`` per seed; axis 0 indexes test items (proteins, queries,
pairs). From these:

* :func:`bootstrap_distribution` resamples items with replacement ``n_boot``
  times (one index matrix per test set, derived from the test set's identity,
  so two models on the same items see the same resamples; tasks that draw a
  split per seed resample each seed's own test set) and evaluates the metric on
  each resample, averaged over the cell's seeds;
* :func:`percentile_ci` turns that into a (1 − α) percentile interval;
* :func:`paired_test` compares a model with a reference on the same items:
  δ* = metric(model) − metric(reference) per resample (sign flipped for
  lower-is-better metrics, so δ > 0 always means "better"); the two-sided
  p-value is ``(1 + 2·min(#δ* ≤ 0, #δ* ≥ 0)) / (n_boot + 1)`` capped at 1.

Metrics come from :data:`protbench.metrics.METRICS`; Fmax, micro-AUPR and Spearman are served per resample
from one sort of each seed's test set (:mod:`protbench.metrics.resampled`, bit for bit the direct values), the
others are recomputed on every resample. Large cells get fewer
resamples: ``n_boot`` is cut so that a cell scores at most ``budget_s`` ×
:data:`SCORES_PER_S` prediction elements (the ``y_score`` entries of all its
seeds, once per resample; never below ``min_boot``). The cut depends on the
cell's size only, not on a clock, so intervals and p-values are the same on a
busy and an idle machine (it was timed before, and a loaded machine changed
them). The count used is returned with every result.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

from protbench.store import load_arrays

from .collect import Board, Cell, Stat

# nominal scoring rate that turns a seconds budget into a resample count (a constant, never measured, so the
# count is reproducible): 1,000 resamples of a 3-seed cell fit up to ~67,000 scores per seed in the default 5 s
SCORES_PER_S = 4e7


@dataclass(frozen=True)
class Distribution:
    """Bootstrap values of one metric for one cell (NaNs from degenerate resamples removed later)."""

    values: np.ndarray          # (n_boot,)
    n_items: int
    point: float                # metric on the full test set, mean over seeds
    key: frozenset              # identities of the test sets (see :func:`test_set_id`)


@dataclass(frozen=True)
class Paired:
    """Paired bootstrap of a model against the reference on the same items (δ > 0: model better)."""

    delta: float
    p: float
    ci: tuple[float, float]
    n_items: int
    n_boot: int


def metric_fn(metric: str) -> Callable[[np.ndarray, np.ndarray], float] | None:
    from protbench.metrics import METRICS

    return METRICS.get(metric)


def lower_is_better(metric: str) -> bool:
    from protbench.metrics import LOWER_IS_BETTER

    return metric in LOWER_IS_BETTER


def load_seed_predictions(cell: Cell, split: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{seed: (y_true, y_score)}`` for ``split`` from the cell's sidecar files (later files win)."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for path in cell.predictions:
        try:
            preds = load_arrays(path)
        except (OSError, ValueError, KeyError):
            continue
        for seed, arrays in preds.items():
            t, s = arrays.get(f"{split}.y_true"), arrays.get(f"{split}.y_score")
            if t is not None and s is not None and np.ndim(t) >= 1 and np.ndim(s) >= 1 and len(t) == len(s) > 1:
                out[seed] = (t, s)
    return out


def resample_indices(n_items: int, n_boot: int, seed: int = 0) -> np.ndarray:
    """(n_boot, n_items) indices drawn with replacement; the same for the same arguments."""
    rng = np.random.default_rng([seed, n_items])
    return rng.integers(0, n_items, size=(n_boot, n_items))


def _safe(fn, *args) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            v = float(fn(*args))
        except Exception:   # a metric undefined on a degenerate resample, or arrays it cannot take
            return float("nan")
    return v if np.isfinite(v) else float("nan")


def _resampler(fn, y_true, y_score) -> Callable[[np.ndarray], float] | None:
    """``idx -> fn(y_true[idx], y_score[idx])`` from one sort of the test set, or None (no such path for
    ``fn``, or arrays it cannot take: the direct call then gives NaN per resample, as before)."""
    from protbench.metrics.resampled import resampler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return resampler(fn, y_true, y_score)
        except Exception:
            return None


def _mean(values: list[float]) -> float:
    v = [x for x in values if np.isfinite(x)]
    return float(np.mean(v)) if v else float("nan")


def test_set_id(y_true: np.ndarray) -> str:
    """Identity of a test set: sha256 over the dtype, shape and bytes of its ``y_true``."""
    a = np.ascontiguousarray(y_true)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()


def bootstrap_distribution(cell: Cell, metric: str, split: str = "test", n_boot: int = 1000, seed: int = 0,
                           budget_s: float = 5.0, min_boot: int = 100) -> Distribution | None:
    """Resampled metric values for ``cell`` (None without usable predictions or a known metric).

    Seeds are grouped by test set (seeds of a task with a fixed split share one;
    a task that draws its split per seed has one per seed). Each test set gets
    its own index matrix, derived from its identity, so any two models scored on
    the same test sets see the same resamples; a resample's value is the mean
    over the cell's seeds. ``budget_s`` caps the resamples by the cell's size (module docstring).
    """
    fn = metric_fn(metric)
    preds = load_seed_predictions(cell, split)
    if fn is None or not preds:
        return None
    seeds = sorted(preds)
    sets = {s: test_set_id(preds[s][0]) for s in seeds}
    idx = {}
    for s in seeds:
        sid = sets[s]
        if sid not in idx:
            idx[sid] = resample_indices(len(preds[s][0]), n_boot, seed + int(sid[:8], 16))
    point = _mean([_safe(fn, *preds[s]) for s in seeds])
    scores = sum(int(np.size(preds[s][1])) for s in seeds)
    limit = int(min(n_boot, max(min_boot, budget_s * SCORES_PER_S // max(scores, 1))))
    fast = {s: _resampler(fn, *preds[s]) for s in seeds}
    values = np.full(limit, np.nan)
    for b in range(limit):
        vals = []
        for s in seeds:
            i = idx[sets[s]][b]
            one = fast[s]
            vals.append(_safe(one, i) if one is not None else _safe(fn, preds[s][0][i], preds[s][1][i]))
        values[b] = _mean(vals)
    n_items = sum(len(preds[next(s for s in seeds if sets[s] == sid)][0]) for sid in idx)
    return Distribution(values=values, n_items=n_items, point=point, key=frozenset(idx))


def percentile_ci(values: np.ndarray, alpha: float = 0.05) -> tuple[float, float] | None:
    v = values[np.isfinite(values)]
    if v.size < 10:
        return None
    lo, hi = np.quantile(v, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def paired_test(model: Distribution, reference: Distribution, higher_is_better: bool = True) -> Paired | None:
    """Paired bootstrap test; None when the two cells were not scored on the same items."""
    if model.key != reference.key or model.n_items != reference.n_items:
        return None
    n = min(model.values.size, reference.values.size)
    sign = 1.0 if higher_is_better else -1.0
    d = sign * (model.values[:n] - reference.values[:n])
    d = d[np.isfinite(d)]
    if d.size < 10:
        return None
    below, above = int(np.sum(d <= 0)), int(np.sum(d >= 0))
    p = min(1.0, (1 + 2 * min(below, above)) / (d.size + 1))
    lo, hi = np.quantile(d, [0.025, 0.975])
    return Paired(delta=sign * (model.point - reference.point), p=float(p), ci=(float(lo), float(hi)),
                  n_items=model.n_items, n_boot=int(d.size))


@dataclass
class Analysis:
    """Statistics attached to a board: paired tests against ``reference`` keyed by (model, task, profile)."""

    reference: str | None
    alpha: float
    tests: dict[tuple[str, str, str], Paired]
    notes: list[str]


def analyse(board: Board, reference: str | None = None, n_boot: int = 1000, alpha: float = 0.05,
            budget_s: float = 5.0, seed: int = 0) -> Analysis:
    """Fill missing main-metric CIs from prediction sidecars and run paired tests against ``reference``.

    Cells whose result already carries a CI keep it. Only measured cells are
    touched; reported numbers have no predictions.
    """
    dists: dict[tuple[str, str, str, str], Distribution] = {}
    notes: list[str] = []
    for key, cell in board.cells.items():
        if cell.kind != "measured" or cell.status != "ok" or not cell.predictions:
            continue
        metric = cell.main_metric
        dist = bootstrap_distribution(cell, metric, board.split, n_boot=n_boot, seed=seed, budget_s=budget_s)
        if dist is None:
            continue
        dists[key] = dist
        st = cell.stats.get(metric)
        if st is not None and st.ci is None:
            ci = percentile_ci(dist.values, alpha)
            if ci is not None:
                cell.stats[metric] = Stat(mean=st.mean, std=st.std, n=st.n, ci=ci)
                if dist.values.size < n_boot:
                    notes.append(f"{cell.model} × {cell.task}: {dist.values.size} bootstrap resamples "
                                 f"(budget {budget_s:g} s at a nominal {SCORES_PER_S:g} scores/s)")
    tests: dict[tuple[str, str, str], Paired] = {}
    if reference:
        for (model, task, profile, kind), dist in dists.items():
            if model == reference:
                continue
            ref = dists.get((reference, task, profile, kind))
            if ref is None:
                continue
            cell = board.cells[(model, task, profile, kind)]
            res = paired_test(dist, ref, higher_is_better=not lower_is_better(cell.main_metric))
            if res is None:
                notes.append(f"{model} × {task} ({profile}): not paired with {reference} "
                             f"(different test items)")
            else:
                tests[(model, task, profile)] = res
    return Analysis(reference=reference, alpha=alpha, tests=tests, notes=notes)
