"""The gallery: the most and least confident classified tracks, drawn with their Grad-CAM scores.

Looking at a handful of trajectories is how a biophysicist checks that an
answer is plausible; the least confident ones show what the model hesitates
on. Each track is drawn as its x–y path, every step coloured by the Grad-CAM
score of the predicted class (mean of its two points; red: evidence for the
class, blue: against, white: none, on a scale centred at 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.colors import CenteredNorm
from matplotlib.figure import FigureBase

from ..model.spec import CLASS_NAMES
from . import style
from .load import OK

#: Tracks in each half of the gallery (most confident, least confident).
GALLERY_SIZE = 6
#: Rows read at a time from tracks.csv and gradcam.csv (they hold every point of every track).
CHUNK_ROWS = 500_000


def select_gallery(results: pd.DataFrame, k: int = GALLERY_SIZE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``k`` most confident classified tracks and the ``k`` least confident other ones.

    Ties are broken by file and track id, so a report of the same run shows the same tracks.

    Returns
    -------
    most, least : DataFrame
        Rows of results.csv; ``most`` by falling confidence, ``least`` by rising confidence.
    """
    ok = results[(results["status"] == OK) & np.isfinite(results["confidence"].to_numpy(dtype=float))]
    ranked = ok.assign(_tid=ok["track_id"].astype(str)).sort_values(
        ["confidence", "file", "_tid"], ascending=[False, True, True], kind="mergesort").drop(columns="_tid")
    most = ranked.head(k)
    least = ranked.iloc[len(most):].tail(k).iloc[::-1]
    return most, least


def _keys(frame: pd.DataFrame) -> pd.Index:
    return pd.MultiIndex.from_arrays([frame["file"].astype(str), frame["track_id"].astype(str)])


def read_points(path: Path | None, selected: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The rows of tracks.csv or gradcam.csv belonging to the ``selected`` tracks (empty when ``path`` is None).

    Read in chunks and filtered as it goes: the files hold every point of the run.
    """
    if path is None or selected.empty:
        return pd.DataFrame(columns=columns)
    wanted = _keys(selected)
    header = pd.read_csv(path, nrows=0).columns
    usecols = [c for c in columns if c in header]
    parts = []
    for chunk in pd.read_csv(path, usecols=usecols, dtype={"file": str, "track_id": str}, chunksize=CHUNK_ROWS,
                             keep_default_na=False, na_values={c: ["", "nan", "NaN"] for c in usecols
                                                               if c not in ("file", "track_id")}):
        parts.append(chunk[_keys(chunk).isin(wanted)])
    table = pd.concat(parts) if parts else pd.DataFrame(columns=usecols)
    return table.reindex(columns=columns)


def gallery_points(tracks_path: Path | None, gradcam_path: Path | None, selected: pd.DataFrame) -> pd.DataFrame:
    """Points of the selected tracks: ``file, track_id, frame, x, y, position_unit, score`` (score NaN if none)."""
    points = read_points(tracks_path, selected, ["file", "track_id", "frame", "x", "y", "position_unit"])
    scores = read_points(gradcam_path, selected, ["file", "track_id", "frame", "score"])
    points = points.astype({"file": str, "track_id": str})
    scores = scores.astype({"file": str, "track_id": str})
    points["frame"] = pd.to_numeric(points["frame"], errors="coerce")
    scores["frame"] = pd.to_numeric(scores["frame"], errors="coerce")
    return points.merge(scores.drop_duplicates(["file", "track_id", "frame"]), on=["file", "track_id", "frame"],
                        how="left").sort_values(["file", "track_id", "frame"], kind="mergesort")


def top_classes(row: pd.Series, k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` classes of highest probability of one results.csv row, as (name, probability)."""
    probs = [(c, float(row.get(f"prob_{c}", np.nan))) for c in CLASS_NAMES]
    probs = [p for p in probs if np.isfinite(p[1])]
    return sorted(probs, key=lambda p: -p[1])[:k]


def gallery_table(selected: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """What each panel shows: the track, its answer, its top-3 classes and the range of its Grad-CAM scores."""
    rows = []
    for _, row in selected.iterrows():
        mine = points[(points["file"] == str(row["file"])) & (points["track_id"] == str(row["track_id"]))]
        score = mine["score"].to_numpy(dtype=float) if len(mine) else np.array([])
        top = top_classes(row)
        rows.append({"file": row["file"], "condition": row["condition"], "track_id": row["track_id"],
                     "n_points": row["n_points"], "predicted_class": row["predicted_class"],
                     "confidence": row["confidence"], "uncertain": bool(row["uncertain"]),
                     **{f"top{i + 1}": f"{c} {p:.3f}" for i, (c, p) in enumerate(top)},
                     "points_drawn": len(mine),
                     "gradcam_min": np.nanmin(score) if np.isfinite(score).any() else np.nan,
                     "gradcam_max": np.nanmax(score) if np.isfinite(score).any() else np.nan})
    return pd.DataFrame(rows, columns=["file", "condition", "track_id", "n_points", "predicted_class", "confidence",
                                       "uncertain", "top1", "top2", "top3", "points_drawn", "gradcam_min",
                                       "gradcam_max"])


def _draw_track(fig: FigureBase, ax, row: pd.Series, mine: pd.DataFrame) -> None:
    style.style_axes(ax)
    ax.tick_params(labelsize=style.FONT_SMALL)
    file_name = Path(str(row["file"])).name
    reason = str(row.get("uncertain_reason", "") or "")
    flag = style.shorten(f"uncertain: {reason}" if reason else "uncertain", 34) if bool(row["uncertain"]) \
        else "confident"
    top = ", ".join(f"{c} {p:.2f}" for c, p in top_classes(row))
    ax.set_title(f"{style.shorten(row['condition'], 16)} · {style.shorten(file_name, 24)} · "
                 f"track {style.shorten(row['track_id'], 10)}\n"
                 f"{row['predicted_class']} {float(row['confidence']):.2f} ({flag})\ntop 3: {top}",
                 fontsize=style.FONT_SMALL, loc="left")
    xy = mine[["x", "y"]].to_numpy(dtype=float)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) < 2:
        style.say(ax, "trajectory not recorded in tracks.csv")
        return
    unit = str(mine["position_unit"].dropna().iloc[0]) if mine["position_unit"].notna().any() else "unit?"
    score = mine["score"].to_numpy(dtype=float)[: len(xy)]
    segments = np.stack([xy[:-1], xy[1:]], axis=1)
    if np.isfinite(score).any():
        step = (score[:-1] + score[1:]) / 2
        half = float(np.nanmax(np.abs(step))) or 1.0
        lines = LineCollection(segments, cmap=style.GRADCAM_CMAP, norm=CenteredNorm(0.0, half), linewidths=1.4)
        lines.set_array(np.ma.masked_invalid(step))
        ax.add_collection(lines)
        bar = fig.colorbar(lines, ax=ax, shrink=0.85, pad=0.02)
        bar.set_label("Grad-CAM score", fontsize=style.FONT_SMALL)
        bar.ax.tick_params(labelsize=style.FONT_SMALL)
    else:
        ax.add_collection(LineCollection(segments, colors="#808080", linewidths=1.2))
        ax.text(0.02, 0.02, "no Grad-CAM recorded", transform=ax.transAxes, fontsize=style.FONT_SMALL)
    ax.plot(*xy[0], "o", color="black", markersize=4, markerfacecolor="white", zorder=3)
    ax.plot(*xy[-1], "s", color="black", markersize=3.5, zorder=3)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.set_xlabel(f"x ({unit})", fontsize=style.FONT_SMALL)
    ax.set_ylabel(f"y ({unit})", fontsize=style.FONT_SMALL)


def gallery_figure(selected: pd.DataFrame, points: pd.DataFrame, title: str,
                   fig: FigureBase | None = None) -> tuple[FigureBase, pd.DataFrame]:
    """Up to 6 tracks in a 3 x 2 grid, each coloured by its Grad-CAM score.

    Parameters
    ----------
    selected : DataFrame
        Rows of results.csv to draw (see :func:`select_gallery`).
    points : DataFrame
        :func:`gallery_points` of them (positions in ``position_unit``: µm or px).
    title : str

    Returns
    -------
    (Figure, DataFrame)
        The figure and :func:`gallery_table`.
    """
    fig = style.target(fig, style.FIGURE_WIDTH, 9.6)
    table = gallery_table(selected, points)
    fig.suptitle(f"{title}\n(○ start, ■ end; steps coloured by Grad-CAM score of the predicted class: "
                 "red for it, blue against)", fontsize=style.FONT)
    if selected.empty:
        ax = fig.subplots()
        ax.set_axis_off()
        style.say(ax, "No classified tracks in this run: nothing to show.")
        return fig, table
    axes = fig.subplots(3, 2).ravel()
    for ax, (_, row) in zip(axes, selected.iterrows()):
        mine = points[(points["file"] == str(row["file"])) & (points["track_id"] == str(row["track_id"]))]
        _draw_track(fig, ax, row, mine)
    for ax in axes[len(selected):]:
        ax.set_axis_off()
    return fig, table
