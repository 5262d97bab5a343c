"""Figures across conditions: class shares side by side, and the ensemble MSDs on one plot.

The shares are small multiples, one panel per class in that class's colour with
one bar per condition, so the question a comparison asks ("does the drug change
the SubFBM share?") is answered by bars next to each one another; a ninth panel
gives n per condition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import FigureBase

from ..model.spec import CLASS_NAMES
from . import style

#: Characters of a condition name on an axis (the full name is in the tables).
LABEL_CHARS = 14


def comparison_table(summary: pd.DataFrame, conditions: list[str], confident: bool = False) -> pd.DataFrame:
    """Long table of the shares per condition and class, from summary.csv's condition rows.

    Returns
    -------
    DataFrame
        ``condition, class, n, n_total, frac, frac_lo, frac_hi``: ``n`` tracks called the class out of
        ``n_total`` classified (or confident, with ``confident``) tracks; shares in [0, 1] as in summary.csv.
    """
    prefix, count, total = ("conf_frac", "n_conf_", "n_confident") if confident else ("frac", "n_", "n_classified")
    rows = []
    for condition in conditions:
        match = summary[(summary["level"] == "condition") & (summary["condition"] == condition)]
        row = match.iloc[0] if len(match) else pd.Series(dtype=float)
        for c in CLASS_NAMES:
            rows.append({"condition": condition, "class": c, "n": row.get(f"{count}{c}", np.nan),
                         "n_total": row.get(total, np.nan), "frac": row.get(f"{prefix}_{c}", np.nan),
                         "frac_lo": row.get(f"{prefix}_{c}_lo", np.nan),
                         "frac_hi": row.get(f"{prefix}_{c}_hi", np.nan)})
    return pd.DataFrame(rows, columns=["condition", "class", "n", "n_total", "frac", "frac_lo", "frac_hi"])


def comparison_figure(summary: pd.DataFrame, conditions: list[str], confident: bool = False,
                      fig: FigureBase | None = None) -> tuple[FigureBase, pd.DataFrame]:
    """Share of each class per condition (%, 95% intervals), one panel per class, and n per condition.

    Parameters
    ----------
    summary : DataFrame
        summary.csv.
    conditions : list of str
        Conditions in the order to draw them.
    confident : bool
        Count only confident tracks (the ``conf_frac_*`` columns).

    Returns
    -------
    (Figure, DataFrame)
        The figure and :func:`comparison_table`.
    """
    fig = style.target(fig, style.FIGURE_WIDTH, 6.4)
    table = comparison_table(summary, conditions, confident)
    what = "confident tracks only" if confident else "all classified tracks"
    fig.suptitle(f"Class shares by condition, {what} (bars ± 95% interval)", fontsize=style.FONT_TITLE)
    if table["n_total"].fillna(0).sum() == 0:
        noun = "confident" if confident else "classified"
        style.say(fig.subplots(), f"No {noun} tracks in any condition: no shares to compare.")
        return fig, table
    axes = fig.subplots(3, 3, sharex=True).ravel()
    x = np.arange(len(conditions))
    labels = [style.shorten(c, LABEL_CHARS) for c in conditions]
    for ax in axes:
        style.style_axes(ax)
        ax.set_xticks(x, labels, rotation=40, ha="right", fontsize=style.FONT_SMALL)
        ax.set_xlim(-0.6, max(len(conditions), 1) - 0.4)
    for ax, c in zip(axes, CLASS_NAMES):
        part = table[table["class"] == c]
        share, lo, hi = (part[k].to_numpy(dtype=float) * 100 for k in ("frac", "frac_lo", "frac_hi"))
        ax.bar(x, np.nan_to_num(share), width=0.7, color=style.CLASS_COLORS[c], edgecolor="#303030", linewidth=0.5)
        ax.errorbar(x, share, yerr=[np.clip(share - lo, 0, None), np.clip(hi - share, 0, None)], fmt="none",
                    ecolor="black", elinewidth=0.8, capsize=2)
        ax.set_title(c, fontsize=style.FONT, color="black")
        ax.set_ylim(0, max(np.nanmax(np.append(hi, 1.0)) * 1.1, 1.0))
    for ax in axes[[0, 3, 6]]:
        ax.set_ylabel("share (%)", fontsize=style.FONT)
    n_ax = axes[8]
    totals = table.drop_duplicates("condition")["n_total"].to_numpy(dtype=float)
    bars = n_ax.bar(x, np.nan_to_num(totals), width=0.7, color=style.CONFIDENT_COLOR)
    n_ax.bar_label(bars, [f"{int(t)}" if np.isfinite(t) else "–" for t in totals], padding=1,
                   fontsize=style.FONT_SMALL)
    n_ax.set_ylim(0, max(np.nanmax(np.append(totals, 1.0)) * 1.25, 1.0))
    n_ax.set_title("n " + ("confident" if confident else "classified") + " (tracks)", fontsize=style.FONT)
    n_ax.set_ylabel("tracks", fontsize=style.FONT)
    return fig, table


def emsd_comparison_figure(emsd: pd.DataFrame | None, conditions: list[str],
                           fig: FigureBase | None = None) -> tuple[FigureBase, pd.DataFrame]:
    """The ensemble MSD of every condition on one log–log plot (those in the most common units).

    Returns
    -------
    (Figure, DataFrame)
        The rows of emsd.csv drawn.
    """
    fig = style.target(fig, style.FIGURE_WIDTH, 3.6)
    ax = fig.subplots()
    style.style_axes(ax)
    ax.set_title("Ensemble MSD by condition", fontsize=style.FONT_TITLE)
    rows = pd.DataFrame(columns=["condition"]) if emsd is None else emsd[(emsd["lag_time"] > 0) & (emsd["msd"] > 0)]
    if rows.empty:
        style.say(ax, "No ensemble MSD recorded (emsd.csv missing, or no track long enough).")
        return fig, rows
    units = (rows["time_unit"].astype(str) + "|" + rows["msd_unit"].astype(str))
    main = units.value_counts().index[0]
    shown = rows[units == main]
    left_out = sorted(set(rows["condition"]) - set(shown["condition"]))
    time_unit, msd_unit = main.split("|")
    # Condition colours from a sequential map, so they are never mistaken for class colours.
    present = [c for c in conditions if c in set(shown["condition"])]
    colours = colormaps["viridis"](np.linspace(0.0, 0.85, max(len(present), 1)))
    markers = "osD^vP*X"
    for i, condition in enumerate(present):
        part = shown[shown["condition"] == condition]
        ax.loglog(part["lag_time"], part["msd"], marker=markers[i % len(markers)], markersize=3.5, linewidth=1,
                  color=colours[i], label=style.shorten(condition, 30))
    ax.set_xlabel(f"lag time ({style.time_label(time_unit)})", fontsize=style.FONT)
    ax.set_ylabel(f"MSD ({style.tex_unit(msd_unit)})", fontsize=style.FONT)
    ax.legend(fontsize=style.FONT_SMALL, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5),
              title="condition", title_fontsize=style.FONT_SMALL)
    if left_out:
        ax.set_title("Ensemble MSD by condition (in other units, not shown: "
                     + style.shorten(", ".join(left_out), 50) + ")", fontsize=style.FONT_TITLE)
    return fig, shown
