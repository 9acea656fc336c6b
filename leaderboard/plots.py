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


def family_charts(board: Board, profile: str) -> bytes | None:
    """PNG of per-family grouped bar charts with CIs (None when nothing is measured)."""
    models = board.models(profile, "measured")
    fams = [f for f in board.families(profile) if board.task_ids(f, profile)]
    if not models or not fams:
        return None
    plt = _plt()
    counts = [len(board.task_ids(f, profile)) for f in fams]
    width_in = max(7.0, 0.28 * sum(counts) * max(2, len(models)) + 1.5)
    fig, axes = plt.subplots(1, len(fams), figsize=(width_in, 3.4), squeeze=False,
                             gridspec_kw={"width_ratios": counts}, layout="constrained")
    width = 0.8 / len(models)
    cmap = plt.get_cmap("tab10")
    reported_drawn = False
    for ax, fam in zip(axes[0], fams):
        tids = board.task_ids(fam, profile)
        x = np.arange(len(tids))
        for j, m in enumerate(models):
            means, lo, hi = [], [], []
            for t in tids:
                c = board.get(m, t, profile, "measured")
                st = c.stat() if c is not None and c.status == "ok" else None
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
                        ax.plot(i, c.stat().mean, "kx", ms=6, label=None if reported_drawn else "reported †")
                        reported_drawn = True
        ax.set_xlim(-0.6, len(tids) - 0.4)
        ax.set_xticks(x)
        ax.set_xticklabels([mpl_text(t) for t in tids], fontsize=7, rotation=35, ha="right")
        ax.set_title(mpl_text(fam), fontsize=9)
        ax.axhline(0, color="#888", lw=0.5)
        ax.tick_params(axis="y", labelsize=7)
    axes[0, 0].set_ylabel("main metric", fontsize=8)
    handles, labels = [], []
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    legend = fig.legend(handles, labels, fontsize=7, ncol=min(6, len(labels)), loc="outside upper center",
                        title="SMOKE PROFILE: synthetic data" if profile == "smoke" else None, title_fontsize=9)
    if profile == "smoke":
        legend.get_title().set_color("#d08000")
    return _png(fig)


def heatmap(board: Board, profile: str) -> bytes | None:
    """PNG of the task × model heat map of main metrics (None when nothing is measured)."""
    models = board.models(profile, "measured")
    tids = board.task_ids(profile=profile)
    if not models or not tids:
        return None
    vals = np.full((len(tids), len(models)), np.nan)
    for i, t in enumerate(tids):
        for j, m in enumerate(models):
            c = board.get(m, t, profile, "measured")
            st = c.stat() if c is not None and c.status == "ok" else None
            if st is not None:
                vals[i, j] = st.mean
    colour = np.full_like(vals, np.nan)
    for i, t in enumerate(tids):
        row = vals[i]
        if np.isfinite(row).any():
            lo, hi = np.nanmin(row), np.nanmax(row)
            scaled = (row - lo) / (hi - lo) if hi > lo else np.where(np.isfinite(row), 0.5, np.nan)
            colour[i] = scaled if board.tasks[t].higher_is_better else 1 - scaled
    plt = _plt()
    fig, ax = plt.subplots(figsize=(1.6 + 1.1 * len(models), 0.8 + 0.32 * len(tids)))
    cmap = plt.get_cmap("viridis").with_extremes(bad="#dddddd")
    ax.imshow(np.ma.masked_invalid(colour), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i in range(len(tids)):
        for j in range(len(models)):
            txt = "–" if not np.isfinite(vals[i, j]) else f"{vals[i, j]:.2f}"
            light = np.isfinite(colour[i, j]) and colour[i, j] < 0.6
            ax.text(j, i, txt, ha="center", va="center", fontsize=7, color="white" if light else "black")
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels([mpl_text(m) for m in models], rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(tids)))
    ax.set_yticklabels([mpl_text(f"{t} ({board.tasks[t].main_metric})") for t in tids], fontsize=8)
    ax.set_title(mpl_text(f"main metric per task ({profile} data; colour = min–max within task)"), fontsize=9)
    return _png(fig)
