"""Figures of one condition: class fractions, confidence, α per class, D–α, ensemble MSD, track lengths.

Each function draws into ``fig`` (a figure, or a sub-figure of a PDF page) or a
new figure when ``fig`` is None, and returns it with the table of the numbers
it plots (written next to the figure as CSV, so every bar can be checked). A
condition without the data a figure needs gets the figure with a sentence
saying so, never an error or an empty frame.
"""

from __future__ import annotations

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.cbook import boxplot_stats
from matplotlib.figure import FigureBase
from matplotlib.patches import Patch

from ..model.spec import CLASS_NAMES
from . import style
from .load import OK

#: Tracks drawn as points over each α box at most (the box holds them all); keeps
#: a 10,000-track run's figure light and readable.
MAX_STRIP_POINTS = 300
#: Above this many points a scatter is rasterised inside the SVG and PDF (a file of
#: thousands of vector dots is slow to open and no clearer).
RASTERISE_ABOVE = 2000


def fraction_table(row: pd.Series | None) -> pd.DataFrame:
    """Counts, shares and 95% intervals per class of one summary.csv row (all classified and confident only).

    Returns
    -------
    DataFrame, 8 rows (classes)
        ``class, n, frac, frac_lo, frac_hi, n_conf, conf_frac, conf_frac_lo, conf_frac_hi``;
        shares in [0, 1], exactly as in summary.csv.
    """
    columns = ["class", "n", "frac", "frac_lo", "frac_hi", "n_conf", "conf_frac", "conf_frac_lo", "conf_frac_hi"]
    if row is None:
        return pd.DataFrame({"class": list(CLASS_NAMES)}).reindex(columns=columns)
    return pd.DataFrame([
        {"class": c, "n": row.get(f"n_{c}"), "frac": row.get(f"frac_{c}"), "frac_lo": row.get(f"frac_{c}_lo"),
         "frac_hi": row.get(f"frac_{c}_hi"), "n_conf": row.get(f"n_conf_{c}"),
         "conf_frac": row.get(f"conf_frac_{c}"), "conf_frac_lo": row.get(f"conf_frac_{c}_lo"),
         "conf_frac_hi": row.get(f"conf_frac_{c}_hi")}
        for c in CLASS_NAMES
    ], columns=columns)


def _count(row: pd.Series | None, key: str) -> int:
    value = None if row is None else row.get(key)
    return int(value) if value is not None and np.isfinite(value) else 0


def fractions_figure(row: pd.Series | None, condition: str,
                     fig: FigureBase | None = None) -> tuple[FigureBase, pd.DataFrame]:
    """Bars of the share of each class (%), all classified tracks and confident ones side by side.

    Parameters
    ----------
    row : Series or None
        The condition's row of summary.csv (None: no row, said in the figure).
    condition : str
    fig : Figure or SubFigure, optional

    Returns
    -------
    (Figure, DataFrame)
        The figure and :func:`fraction_table` of ``row``. Error bars: 95% Wilson intervals.
    """
    fig = style.target(fig, style.FIGURE_WIDTH, 3.4)
    table = fraction_table(row)
    ax = fig.subplots()
    style.style_axes(ax)
    n_all, n_conf = _count(row, "n_classified"), _count(row, "n_confident")
    ax.set_title(f"{condition}: class shares (n = {n_all} classified, {n_conf} confident)", fontsize=style.FONT_TITLE)
    if n_all == 0:
        style.say(ax, "No classified tracks in this condition: no shares to show.")
        return fig, table
    x = np.arange(len(CLASS_NAMES))
    colors = [style.CLASS_COLORS[c] for c in CLASS_NAMES]
    for offset, prefix, hatch, alpha in ((-0.2, "frac", "", 1.0), (0.2, "conf_frac", style.CONFIDENT_HATCH, 0.55)):
        share = table[prefix].to_numpy(dtype=float) * 100
        lo = table[f"{prefix}_lo"].to_numpy(dtype=float) * 100
        hi = table[f"{prefix}_hi"].to_numpy(dtype=float) * 100
        if not np.isfinite(share).any():
            continue  # no confident track: the legend says n = 0
        ax.bar(x + offset, np.nan_to_num(share), width=0.38, color=colors, alpha=alpha, hatch=hatch,
               edgecolor="#303030", linewidth=0.5)
        ax.errorbar(x + offset, share, yerr=[np.clip(share - lo, 0, None), np.clip(hi - share, 0, None)],
                    fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
    ax.set_xticks(x, CLASS_NAMES, rotation=30, ha="right", fontsize=style.FONT)
    ax.set_ylabel("share of tracks (%)", fontsize=style.FONT)
    ax.set_ylim(0, None)
    ax.legend(handles=[
        Patch(facecolor="#808080", edgecolor="#303030", label=f"all classified (n = {n_all})"),
        Patch(facecolor="#d0d0d0", edgecolor="#303030", hatch=style.CONFIDENT_HATCH,
              label=f"confident only (n = {n_conf})"),
    ], fontsize=style.FONT_SMALL, frameon=False, loc="upper right", title="bars ± 95% interval",
        title_fontsize=style.FONT_SMALL)
    return fig, table


def confidence_figure(results: pd.DataFrame, condition: str, min_confidence: float | None = None,
                      fig: FigureBase | None = None) -> tuple[FigureBase, pd.DataFrame]:
    """Histogram of the calibrated confidence of classified tracks, stacked confident / uncertain.

    Parameters
    ----------
    results : DataFrame
        The condition's rows of results.csv (``status``, ``confidence`` in [0, 1], ``uncertain``).
    min_confidence : float, optional
        The trust rule's threshold, drawn as a line when known.

    Returns
    -------
    (Figure, DataFrame)
        Table ``bin_lo, bin_hi, n_confident, n_uncertain`` (20 bins of 0.05).
    """
    fig = style.target(fig, style.FIGURE_WIDTH, 2.9)
    ok = results[results["status"] == OK]
    conf = ok["confidence"].to_numpy(dtype=float)
    uncertain = ok["uncertain"].to_numpy(dtype=bool)
    edges = np.linspace(0.0, 1.0, 21)
    n_sure, _ = np.histogram(conf[~uncertain & np.isfinite(conf)], edges)
    n_unsure, _ = np.histogram(conf[uncertain & np.isfinite(conf)], edges)
    table = pd.DataFrame({"bin_lo": edges[:-1], "bin_hi": edges[1:], "n_confident": n_sure, "n_uncertain": n_unsure})
    ax = fig.subplots()
    style.style_axes(ax)
    ax.set_title(f"{condition}: confidence of the {len(ok)} classified tracks "
                 f"({int(uncertain.sum())} uncertain)", fontsize=style.FONT_TITLE)
    if len(ok) == 0:
        style.say(ax, "No classified tracks in this condition.")
        return fig, table
    width = np.diff(edges)
    ax.bar(edges[:-1], n_sure, width=width, align="edge", color=style.CONFIDENT_COLOR, edgecolor="white",
           linewidth=0.5, label="confident")
    ax.bar(edges[:-1], n_unsure, width=width, align="edge", bottom=n_sure, color=style.UNCERTAIN_COLOR,
           edgecolor="white", linewidth=0.5, hatch="///", label="uncertain (low confidence or short)")
    if min_confidence is not None and np.isfinite(min_confidence):
        ax.axvline(min_confidence, color="black", linestyle="--", linewidth=1)
        ax.annotate(f"uncertain below {min_confidence:g}", (min_confidence, 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -3), textcoords="offset points", va="top", fontsize=style.FONT_SMALL)
    ax.set_xlim(0, 1)
    ax.set_xlabel("calibrated confidence: probability of the predicted class (0–1)", fontsize=style.FONT)
    ax.set_ylabel("tracks", fontsize=style.FONT)
    ax.legend(fontsize=style.FONT_SMALL, frameon=False, loc="upper left")
    return fig, table


def alpha_figure(results: pd.DataFrame, condition: str,
                 fig: FigureBase | None = None) -> tuple[FigureBase, pd.DataFrame]:
    """Box plot (with the tracks as points) of the MSD exponent α of the tracks called each class.

    Returns
    -------
    (Figure, DataFrame)
        Per class: ``class, n, whisker_lo, q1, median, q3, whisker_hi`` (α, dimensionless;
        whiskers at 1.5 IQR, matplotlib's rule).
    """
    fig = style.target(fig, style.FIGURE_WIDTH, 3.2)
    ok = results[(results["status"] == OK)]
    ax = fig.subplots()
    style.style_axes(ax)
    rows, values = [], []
    for c in CLASS_NAMES:
        alpha = ok.loc[ok["predicted_class"] == c, "alpha_msd"].to_numpy(dtype=float)
        alpha = alpha[np.isfinite(alpha)]
        values.append(alpha)
        stats = boxplot_stats(alpha)[0] if len(alpha) else {}
        rows.append({"class": c, "n": len(alpha), "whisker_lo": stats.get("whislo", np.nan),
                     "q1": stats.get("q1", np.nan), "median": stats.get("med", np.nan), "q3": stats.get("q3", np.nan),
                     "whisker_hi": stats.get("whishi", np.nan)})
    table = pd.DataFrame(rows)
    n = int(table["n"].sum())
    ax.set_title(f"{condition}: MSD exponent α by predicted class (n = {n} tracks with an MSD fit)",
                 fontsize=style.FONT_TITLE)
    if n == 0:
        style.say(ax, "No classified track with an MSD fit in this condition.")
        return fig, table
    x = np.arange(1, len(CLASS_NAMES) + 1)
    present = [i for i, v in enumerate(values) if len(v)]
    boxes = ax.boxplot([values[i] for i in present], positions=x[present], widths=0.55, showfliers=False,
                       patch_artist=True, medianprops={"color": "black"})
    for patch, i in zip(boxes["boxes"], present):
        patch.set(facecolor=style.CLASS_COLORS[CLASS_NAMES[i]], alpha=0.45)
    rng = np.random.default_rng(0)  # the same jitter every time: reports of one run are identical
    for i in present:
        shown = values[i] if len(values[i]) <= MAX_STRIP_POINTS else rng.choice(values[i], MAX_STRIP_POINTS, False)
        ax.scatter(x[i] + rng.uniform(-0.18, 0.18, len(shown)), shown, s=7, color=style.CLASS_COLORS[CLASS_NAMES[i]],
                   edgecolors="#303030", linewidths=0.3, zorder=3)
    ax.axhline(1.0, color="#606060", linestyle=":", linewidth=1)
    ax.annotate("α = 1 (Brownian)", (1, 1), xycoords=("axes fraction", "data"), xytext=(-2, 2),
                textcoords="offset points", ha="right", va="bottom", fontsize=style.FONT_SMALL, color="#606060")
    ax.set_xticks(x, [f"{c}\nn = {len(v)}" for c, v in zip(CLASS_NAMES, values)], fontsize=style.FONT_SMALL)
    ax.set_xlim(0.4, len(CLASS_NAMES) + 0.6)
    ax.set_ylabel("α (MSD fit, dimensionless)", fontsize=style.FONT)
    return fig, table


def _share(fraction: float) -> str:
    """``"95%"``, and small shares with a decimal (``"0.1%"``), so that a few tracks do not read as none."""
    return f"{100 * fraction:.0f}%" if fraction >= 0.01 or fraction == 0 else f"{max(100 * fraction, 0.1):.1f}%"


def _main_unit(units: pd.Series) -> str:
    """The most common non-empty unit of a column ("" when none)."""
    counts = units[units.astype(str) != ""].value_counts()
    return str(counts.index[0]) if len(counts) else ""


def d_alpha_figure(results: pd.DataFrame, condition: str,
                   fig: FigureBase | None = None) -> tuple[FigureBase, pd.DataFrame]:
    """Scatter of D (log axis) against α of classified tracks, coloured by predicted class.

    Tracks whose D is in another unit than the condition's most common one
    (µm²/s^α and px²/frame^α mixed) are left out and counted in the title.

    Returns
    -------
    (Figure, DataFrame)
        One row per track drawn: ``file, track_id, predicted_class, alpha_msd, D_msd, D_msd_unit, uncertain``.
    """
    fig = style.target(fig, style.FIGURE_WIDTH, 3.4)
    ok = results[results["status"] == OK]
    unit = _main_unit(ok["D_msd_unit"])
    fitted = ok[np.isfinite(ok["alpha_msd"].to_numpy(dtype=float)) & (ok["D_msd"].to_numpy(dtype=float) > 0)]
    shown = fitted[fitted["D_msd_unit"] == unit]
    table = shown[["file", "track_id", "predicted_class", "alpha_msd", "D_msd", "D_msd_unit", "uncertain"]]
    ax = fig.subplots()
    style.style_axes(ax)
    other = len(fitted) - len(shown)
    ax.set_title(f"{condition}: D against α (n = {len(shown)} tracks"
                 + (f"; {other} in other units not shown)" if other else ")"), fontsize=style.FONT_TITLE)
    if shown.empty:
        style.say(ax, "No classified track with an MSD fit in this condition.")
        return fig, table
    for c in CLASS_NAMES:
        part = shown[shown["predicted_class"] == c]
        if len(part):
            ax.scatter(part["alpha_msd"], part["D_msd"], s=9, color=style.CLASS_COLORS[c], edgecolors="#303030",
                       linewidths=0.25, alpha=0.8, label=f"{c} ({len(part)})",
                       rasterized=len(shown) > RASTERISE_ABOVE)
    ax.set_yscale("log")
    ax.axvline(1.0, color="#606060", linestyle=":", linewidth=1)
    ax.set_xlabel("α (MSD fit, dimensionless)", fontsize=style.FONT)
    ax.set_ylabel(f"D ({style.tex_unit(unit)})" if unit else "D (unit not recorded)", fontsize=style.FONT)
    ax.legend(fontsize=style.FONT_SMALL, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5),
              title="predicted class (n)", title_fontsize=style.FONT_SMALL, markerscale=1.5)
    return fig, table


def emsd_figure(emsd: pd.DataFrame | None, condition: str,
                fig: FigureBase | None = None) -> tuple[FigureBase, pd.DataFrame]:
    """Ensemble MSD of the condition against lag time, log–log, with an α = 1 guide.

    Returns
    -------
    (Figure, DataFrame)
        The condition's rows of emsd.csv (lag time in ``time_unit``, MSD in ``msd_unit``).
    """
    fig = style.target(fig, style.FIGURE_WIDTH, 3.0)
    ax = fig.subplots()
    style.style_axes(ax)
    rows = pd.DataFrame() if emsd is None else emsd[emsd["condition"] == condition]
    rows = rows[(rows["lag_time"] > 0) & (rows["msd"] > 0)] if len(rows) else rows
    if rows.empty:
        ax.set_title(f"{condition}: ensemble MSD", fontsize=style.FONT_TITLE)
        style.say(ax, "No ensemble MSD recorded for this condition (emsd.csv missing, or no track long enough)."
                  if emsd is None or len(rows) == 0 else "No ensemble MSD.")
        return fig, rows
    time_unit, msd_unit = str(rows["time_unit"].iloc[0]), str(rows["msd_unit"].iloc[0])
    n_tracks = int(np.nanmax(rows["n_tracks"])) if rows["n_tracks"].notna().any() else 0
    n_files = int(np.nanmax(rows["n_files"])) if rows["n_files"].notna().any() else 0
    other = rows["n_files_other_units"].max()
    ax.set_title(f"{condition}: ensemble MSD ({n_tracks} tracks, {n_files} files"
                 + (f"; {int(other)} files in other units left out)" if other and other > 0 else ")"),
                 fontsize=style.FONT_TITLE)
    t, msd = rows["lag_time"].to_numpy(dtype=float), rows["msd"].to_numpy(dtype=float)
    ax.loglog(t, msd, "o-", color=style.CONFIDENT_COLOR, markersize=3.5, linewidth=1, label="ensemble MSD")
    ax.loglog(t, msd[0] * t / t[0], "--", color="#909090", linewidth=1, label="slope α = 1 (Brownian)")
    ax.set_xlabel(f"lag time ({style.time_label(time_unit)})", fontsize=style.FONT)
    ax.set_ylabel(f"MSD ({style.tex_unit(msd_unit)})", fontsize=style.FONT)
    ax.legend(fontsize=style.FONT_SMALL, frameon=False, loc="upper left")
    return fig, rows


def lengths_figure(results: pd.DataFrame, condition: str,
                   fig: FigureBase | None = None) -> tuple[FigureBase, pd.DataFrame]:
    """Histogram of points per track (log axis), stacked by status, and the count of each status.

    Returns
    -------
    (Figure, DataFrame)
        Per status: ``status, n_tracks, share, min_points, median_points, max_points, message``
        (``message``: the most common reason given for that status).
    """
    fig = style.target(fig, style.FIGURE_WIDTH, 3.0)
    axes = fig.subplots(1, 2, width_ratios=[3, 2])
    for ax in axes:
        style.style_axes(ax)
    statuses = sorted(results["status"].unique(), key=lambda s: (s != OK, s))
    rows = []
    for s in statuses:
        part = results[results["status"] == s]
        n_points = part["n_points"].to_numpy(dtype=float)
        messages = part["message"][part["message"] != ""].value_counts()
        rows.append({"status": s, "n_tracks": len(part), "share": len(part) / len(results),
                     "min_points": np.nanmin(n_points) if np.isfinite(n_points).any() else np.nan,
                     "median_points": np.nanmedian(n_points) if np.isfinite(n_points).any() else np.nan,
                     "max_points": np.nanmax(n_points) if np.isfinite(n_points).any() else np.nan,
                     "message": messages.index[0] if len(messages) else ""})
    table = pd.DataFrame(rows, columns=["status", "n_tracks", "share", "min_points", "median_points", "max_points",
                                        "message"])
    fig.suptitle(f"{condition}: track lengths ({len(results)} tracks)", fontsize=style.FONT_TITLE)
    points = results["n_points"].to_numpy(dtype=float)
    if not (np.isfinite(points) & (points > 0)).any():
        style.say(axes[0], "No tracks in this condition.")
        style.say(axes[1], "")
        return fig, table
    low, high = np.nanmin(points[points > 0]), np.nanmax(points)
    edges = np.geomspace(low, max(high, low * 1.5) * 1.0001, 25)
    colours = {s: style.STATUS_COLORS[i % len(style.STATUS_COLORS)] for i, s in enumerate(statuses)}
    hatches = {s: style.STATUS_HATCHES[i % len(style.STATUS_HATCHES)] for i, s in enumerate(statuses)}
    stacked = [results.loc[results["status"] == s, "n_points"].to_numpy(dtype=float) for s in statuses]
    axes[0].hist(stacked, bins=edges, stacked=True, color=[colours[s] for s in statuses],
                 edgecolor="#303030", linewidth=0.4, label=statuses)
    for container, s in zip(axes[0].containers, statuses):
        for patch in container:
            patch.set_hatch(hatches[s])
    axes[0].set_xscale("log")
    # Plain numbers on the log axis ("30", "100"), and no minor labels that collide.
    axes[0].xaxis.set_major_locator(mticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    axes[0].xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axes[0].xaxis.set_minor_formatter(mticker.NullFormatter())
    axes[0].set_xlabel("points per track (frames, log scale)", fontsize=style.FONT)
    axes[0].set_ylabel("tracks", fontsize=style.FONT)
    axes[0].legend(fontsize=style.FONT_SMALL, frameon=False, title="status", title_fontsize=style.FONT_SMALL)
    y = np.arange(len(statuses))
    bars = axes[1].barh(y, table["n_tracks"], color=[colours[s] for s in statuses], edgecolor="#303030",
                        linewidth=0.5)
    for bar, s in zip(bars, statuses):
        bar.set_hatch(hatches[s])
    axes[1].bar_label(bars, [f"{n:,} ({_share(f)})" for n, f in zip(table["n_tracks"], table["share"])],
                      padding=2, fontsize=style.FONT_SMALL)
    axes[1].set_yticks(y, [style.shorten(s, 16) for s in statuses], fontsize=style.FONT_SMALL)
    axes[1].invert_yaxis()
    axes[1].set_xlabel("tracks", fontsize=style.FONT)
    axes[1].set_xlim(0, table["n_tracks"].max() * 1.45)
    axes[1].set_title("classified (ok) or why skipped", fontsize=style.FONT)
    return fig, table
