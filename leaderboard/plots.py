"""Figures for the HTML report (matplotlib, Agg backend, PNG bytes).

* :func:`family_charts` — one panel per family: grouped bars of each task's main
  metric per measured model, error bars = the cell's bootstrap CI (or ± std
  over seeds when no CI is known); reported numbers drawn as black × markers.
* :func:`heatmap` — task × model main metric, coloured by the rank-free
  min–max scale of each task row (metrics differ in range), raw values written
  in the cells, grey where there is no result.

Labels from results are passed through :func:`mpl_text` so ``$`` cannot switch
matplotlib into mathtext.
"""
from __future__ import annotations

import io

import numpy as np

from .collect import Board


def mpl_text(s: object) -> str:
    return str(s).replace("\\", "\\\\").replace("$", r"\$")


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _measured(board: Board, model: str, task: str, profile: str):
    c = board.get(model, task, profile, "measured")
    return c.stat() if c is not None and c.status == "ok" else None


def family_charts(board: Board, profile: str) -> bytes | None:
    """PNG: one panel per family (stacked), a bar per model for every task that has results, error bars = the
    interval of the mean (or ± std over seeds); reported numbers as ×. None when nothing is measured."""
    models = board.models(profile, "measured")
    fams = []
    for f in board.families(profile):
        tids = [t for t in board.task_ids(f, profile) if any(_measured(board, m, t, profile) for m in models)]
        if tids:
            fams.append((f, tids))
    if not models or not fams:
        return None
    plt = _plt()
    widest = max(len(t) for _, t in fams)
    width_in = min(13.0, max(7.0, 1.0 + widest * (0.35 + 0.16 * len(models))))
    fig, axes = plt.subplots(len(fams), 1, figsize=(width_in, 2.9 * len(fams) + 0.9), squeeze=False,
                             layout="constrained")
    width = 0.8 / len(models)
    cmap = plt.get_cmap("tab10")
    reported_drawn = False
    for ax, (fam, tids) in zip(axes[:, 0], fams):
        x = np.arange(len(tids))
        for j, m in enumerate(models):
            means, lo, hi = [], [], []
            for t in tids:
                st = _measured(board, m, t, profile)
                if st is None:
                    means.append(np.nan)
                    lo.append(0.0)
                    hi.append(0.0)
                    continue
                means.append(st.mean)
                if st.ci is not None:
                    lo.append(max(0.0, st.mean - st.ci[0]))
                    hi.append(max(0.0, st.ci[1] - st.mean))
                else:
                    lo.append(st.std or 0.0)
                    hi.append(st.std or 0.0)
            ok = np.isfinite(means)
            ax.bar((x + (j - (len(models) - 1) / 2) * width)[ok], np.asarray(means)[ok], width,
                   yerr=[np.asarray(lo)[ok], np.asarray(hi)[ok]], capsize=2, label=mpl_text(m), color=cmap(j % 10))
        if profile == "real":
            for i, t in enumerate(tids):
                for m in board.models(profile, "reported"):
                    c = board.get(m, t, profile, "reported")
                    if c is not None and c.stat() is not None:
                        ax.plot(i, c.stat().mean, "kx", ms=7, label=None if reported_drawn else "reported †")
                        reported_drawn = True
        ax.set_xlim(-0.6, max(len(tids), 3) - 0.4)
        ax.set_xticks(x)
        ax.set_xticklabels([mpl_text(f"{t}\n({board.tasks[t].main_metric})") for t in tids], fontsize=8)
        ax.set_title(mpl_text(fam), fontsize=10, loc="left")
        ax.axhline(0, color="#888", lw=0.5)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", color="#ddd", lw=0.5)
    handles, labels = [], []
    for ax in axes[:, 0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    legend = fig.legend(handles, labels, fontsize=8, ncol=min(6, len(labels)), loc="outside upper center",
                        title="SMOKE PROFILE: synthetic data" if profile == "smoke" else None, title_fontsize=9)
    if profile == "smoke":
        legend.get_title().set_color("#d08000")
    return _png(fig)


# metrics on a fixed natural range (colour 0..1 across that range); others: one min-max over the whole map
FIXED_RANGE = {"accuracy": (0.0, 1.0), "fmax": (0.0, 1.0), "micro_aupr": (0.0, 1.0), "mrr": (0.0, 1.0),
               "hits@1": (0.0, 1.0), "hits@3": (0.0, 1.0), "hits@10": (0.0, 1.0), "micro_f1": (0.0, 1.0),
               "macro_f1": (0.0, 1.0), "spearman": (-1.0, 1.0), "spearman-manhattan": (-1.0, 1.0),
               "spearman-cosine": (-1.0, 1.0), "spearman-euclidean": (-1.0, 1.0)}


def heatmap(board: Board, profile: str) -> bytes | None:
    """PNG of the task × model heat map of main metrics, tasks with results only; colour on one fixed scale per
    metric (its natural range, e.g. 0–1 for accuracy, −1–1 for Spearman), so colours compare across tasks."""
    models = board.models(profile, "measured")
    tids = [t for t in board.task_ids(profile=profile) if any(_measured(board, m, t, profile) for m in models)]
    if not models or not tids:
        return None
    vals = np.full((len(tids), len(models)), np.nan)
    for i, t in enumerate(tids):
        for j, m in enumerate(models):
            st = _measured(board, m, t, profile)
            if st is not None:
                vals[i, j] = st.mean
    metric = [board.tasks[t].main_metric for t in tids]
    colour = np.full_like(vals, np.nan)
    for i, t in enumerate(tids):
        lo, hi = FIXED_RANGE.get(metric[i], (None, None))
        if lo is None:          # unbounded (MAE, RMSE): one range over every task of this metric
            same = vals[[k for k, mm in enumerate(metric) if mm == metric[i]]]
            lo, hi = (np.nanmin(same), np.nanmax(same)) if np.isfinite(same).any() else (0.0, 1.0)
        scaled = (vals[i] - lo) / (hi - lo) if hi > lo else np.where(np.isfinite(vals[i]), 0.5, np.nan)
        colour[i] = np.clip(scaled if board.tasks[t].higher_is_better else 1 - scaled, 0, 1)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(2.6 + 1.0 * len(models), 1.0 + 0.34 * len(tids)), layout="constrained")
    cmap = plt.get_cmap("viridis").with_extremes(bad="#eeeeee")
    ax.imshow(np.ma.masked_invalid(colour), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i in range(len(tids)):
        for j in range(len(models)):
            txt = "" if not np.isfinite(vals[i, j]) else f"{vals[i, j]:.3f}"
            light = np.isfinite(colour[i, j]) and colour[i, j] < 0.6
            ax.text(j, i, txt, ha="center", va="center", fontsize=7, color="white" if light else "black")
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels([mpl_text(m) for m in models], rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(tids)))
    ax.set_yticklabels([mpl_text(f"{t} ({board.tasks[t].main_metric})") for t in tids], fontsize=8)
    ax.set_title(mpl_text(f"main metric per task ({profile} data; colour: each metric on one fixed scale, "
                          f"brighter = better)"), fontsize=9)
    return _png(fig)
