"""Which figures a report holds, under which file names, and how each is saved.

:func:`plan_figures` lists every figure of a run (per condition, comparison,
gallery) as a :class:`FigureSpec` whose ``draw`` makes it, so that the HTML and
the PDF show the same figures and the file names are known before anything is
drawn (the report is written as one atomic group). File names are stable:
``<kind>_<condition-slug>`` per condition, ``comparison_*``, ``gallery_*``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure, FigureBase

from . import compare_figures, condition_figures, gallery, style
from .load import RunData, nested

#: Name prefixes of the figure files a report writes (older ones with these prefixes are removed).
FIGURE_PREFIXES = ("fractions_", "confidence_", "alpha_", "d_alpha_", "emsd_", "lengths_", "comparison_", "gallery_")
FIGURE_SUFFIXES = (".png", ".svg", ".csv")

Draw = Callable[[FigureBase | None], tuple[FigureBase, pd.DataFrame]]


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the report.

    Attributes
    ----------
    name : str
        File stem in ``figures/`` (``.png``, ``.svg``, ``.csv``).
    title : str
        Heading in the HTML.
    caption : str
        What it shows, in words, under it.
    section : str
        ``"condition"``, ``"comparison"`` or ``"gallery"``.
    condition : str or None
        Its condition (``section == "condition"``).
    height : float
        Height (in) at 7 in wide: the PDF packs figures onto A4 pages by it.
    draw : callable
        ``draw(fig=None) -> (figure, table)``: into a new figure, or into a PDF page's sub-figure.
    """

    name: str
    title: str
    caption: str
    section: str
    condition: str | None
    height: float
    draw: Draw


def _condition_specs(data: RunData, condition: str, slug: str) -> list[FigureSpec]:
    row = data.condition_summary(condition)
    results = data.condition_results(condition)
    min_conf = nested(data.run, "trust", "min_confidence")
    min_conf = float(min_conf) if isinstance(min_conf, int | float) else None
    return [
        FigureSpec(f"fractions_{slug}", "Class shares", (
            "Share of the classified tracks called each class (solid) and the same counting only confident "
            "tracks (hatched), with 95% Wilson intervals: they count how many tracks were seen, not how often "
            "the model is wrong. Numbers as in summary.csv."), "condition", condition, 3.4,
            lambda fig=None: condition_figures.fractions_figure(row, condition, fig)),
        FigureSpec(f"confidence_{slug}", "Confidence", (
            "Calibrated confidence (probability of the predicted class) of each classified track; uncertain tracks "
            "(confidence below the threshold, or too few points) hatched."), "condition", condition, 2.9,
            lambda fig=None: condition_figures.confidence_figure(results, condition, min_conf, fig)),
        FigureSpec(f"lengths_{slug}", "Track lengths and skipped tracks", (
            "Points per track, by status: 'ok' tracks were classified; any other status says why a track was "
            "skipped (see results.csv's message column)."), "condition", condition, 3.0,
            lambda fig=None: condition_figures.lengths_figure(results, condition, fig)),
        FigureSpec(f"alpha_{slug}", "MSD exponent α by class", (
            "α from each track's time-averaged MSD fit (MSD = 4 D t^α) by predicted class: box from the first "
            "to the third quartile, line at the median, whiskers to 1.5 IQR; points are tracks (at most "
            f"{condition_figures.MAX_STRIP_POINTS} per class drawn)."), "condition", condition, 3.2,
            lambda fig=None: condition_figures.alpha_figure(results, condition, fig)),
        FigureSpec(f"d_alpha_{slug}", "D against α", (
            "Generalised diffusion coefficient D (log scale) against α of each classified track, coloured by "
            "predicted class."), "condition", condition, 3.4,
            lambda fig=None: condition_figures.d_alpha_figure(results, condition, fig)),
        FigureSpec(f"emsd_{slug}", "Ensemble MSD", (
            "Mean squared displacement pooled over all tracks of the condition (all displacement pairs of each "
            "lag), log–log; the dashed line has slope 1 (Brownian motion)."), "condition", condition, 3.0,
            lambda fig=None: condition_figures.emsd_figure(data.emsd, condition, fig)),
    ]


def plan_figures(data: RunData) -> list[FigureSpec]:
    """Every figure of the report of ``data``, in report order."""
    slugs = style.unique_slugs(data.conditions)
    specs = [spec for c in data.conditions for spec in _condition_specs(data, c, slugs[c])]
    specs += [
        FigureSpec("comparison_fractions", "Class shares by condition, all classified tracks", (
            "One panel per class: its share in each condition (95% Wilson intervals); the last panel gives the "
            "number of classified tracks per condition."), "comparison", None, 6.4,
            lambda fig=None: compare_figures.comparison_figure(data.summary, data.conditions, False, fig)),
        FigureSpec("comparison_fractions_confident", "Class shares by condition, confident tracks only", (
            "As above, counting only tracks not flagged uncertain."), "comparison", None, 6.4,
            lambda fig=None: compare_figures.comparison_figure(data.summary, data.conditions, True, fig)),
        FigureSpec("comparison_emsd", "Ensemble MSD by condition", (
            "The ensemble MSD of every condition on one plot."), "comparison", None, 3.6,
            lambda fig=None: compare_figures.emsd_comparison_figure(data.emsd, data.conditions, fig)),
    ]

    @functools.cache
    def chosen() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        # tracks.csv and gradcam.csv are read once, for the gallery's tracks only, when first drawn.
        most, least = gallery.select_gallery(data.results)
        points = gallery.gallery_points(data.tracks_path, data.gradcam_path, pd.concat([most, least]))
        return most, least, points

    k = gallery.GALLERY_SIZE
    specs += [
        FigureSpec("gallery_most_confident", "Most confident tracks", (
            f"The {k} classified tracks of highest confidence in the run."), "gallery", None, 9.6,
            lambda fig=None: gallery.gallery_figure(chosen()[0], chosen()[2],
                                                    f"The {k} most confident tracks of the run", fig)),
        FigureSpec("gallery_least_confident", "Least confident tracks", (
            f"The {k} classified tracks of lowest confidence: what the model hesitates on."), "gallery", None, 9.6,
            lambda fig=None: gallery.gallery_figure(chosen()[1], chosen()[2],
                                                    f"The {k} least confident tracks of the run", fig)),
    ]
    return specs


def save_figure(figure: FigureBase, table: pd.DataFrame, png: str | os.PathLike, svg: str | os.PathLike,
                csv: str | os.PathLike) -> None:
    """Write ``figure`` as PNG (150 dpi) and SVG and ``table`` as CSV, to the paths given (temporaries)."""
    if isinstance(figure, Figure) and figure.get_layout_engine() is not None:
        # Lay out once and freeze: constrained layout would otherwise run again for each format (half the time).
        figure.draw_without_rendering()
        figure.set_layout_engine("none")
    figure.savefig(png, format="png", dpi=style.PNG_DPI, metadata={"Software": "ResAnDi"})
    # No date in the SVG: reports of the same run are then byte-identical apart from run.json's.
    figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": "ResAnDi"})
    table.to_csv(csv, index=False)
