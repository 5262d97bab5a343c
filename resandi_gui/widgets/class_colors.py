"""The app's fixed colours: one per diffusion class, and the Grad-CAM colour maps.

Every view that shows a class uses :func:`class_color`, so a class keeps its
colour across the table, the overview, the probability chart and exported
figures. The eight colours are Paul Tol's "muted" qualitative scheme, designed to
stay distinguishable with the common colour-vision deficiencies and readable on a
white background. They are assigned by family so the overview reads at a glance:
subdiffusive classes in blues and greens, superdiffusive in reds and purples,
Brownian motion in olive.

Grad-CAM scores use a diverging blue-grey-red map (ColorBrewer's RdBu, also
colour-blind safe) whose centre is a light grey rather than white: a score near
zero must still show the trajectory on the white plot background. ReLU scores
use the map's positive half, so a given positive score has the same colour in
both modes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextOption

from resandi_core.model.spec import CLASS_NAMES

#: Hex colour of each class, in :data:`CLASS_NAMES` order (Paul Tol, "muted").
CLASS_HEX: dict[str, str] = {
    "SubATTM": "#332288",  # indigo
    "SubCTRW": "#88CCEE",  # cyan
    "SubFBM": "#44AA99",  # teal
    "SubSBM": "#117733",  # green
    "SupFBM": "#CC6677",  # rose
    "SupLW": "#882255",  # wine
    "SupSBM": "#AA4499",  # purple
    "BM": "#999933",  # olive
}
#: Tracks without a class (too short, NaN positions, ...).
UNCLASSIFIED_HEX = "#BBBBBB"
#: Outline of the selected track and the highlighted bar.
HIGHLIGHT_HEX = "#000000"
#: Start and end markers of a trajectory; told apart by shape and label too,
#: never by colour alone.
START_HEX = "#117733"
END_HEX = "#CC3311"

# RdBu (ColorBrewer) with a light-grey centre, from negative to positive.
_DIVERGING_STOPS = np.array([0.0, 0.2, 0.5, 0.8, 1.0])
_DIVERGING_COLORS = np.array(
    [
        [33, 102, 172],
        [103, 169, 207],
        [200, 200, 200],
        [239, 138, 98],
        [178, 24, 43],
    ],
    dtype=np.ubyte,
)

assert tuple(CLASS_HEX) == tuple(CLASS_NAMES), "one colour per class, in label order"


def class_color(name: str) -> QColor:
    """The colour of class ``name``; grey for an empty or unknown name (not classified)."""
    return QColor(CLASS_HEX.get(name, UNCLASSIFIED_HEX))


def class_colors() -> list[QColor]:
    """The 8 class colours in :data:`CLASS_NAMES` (label) order."""
    return [QColor(CLASS_HEX[name]) for name in CLASS_NAMES]


def class_tick_label(name: str) -> str:
    """A class name as an axis tick: ``"SubATTM"`` → ``"Sub\\nATTM"``.

    Two short lines fit eight classes side by side on a plot ~320 px wide (the
    probability chart) or ~450 px (the confusion matrix); names without the
    ``Sub``/``Sup`` prefix (``"BM"``) stay on one line.
    """
    for prefix in ("Sub", "Sup"):
        if name.startswith(prefix) and len(name) > len(prefix):
            return f"{prefix}\n{name[len(prefix):]}"
    return name


def gradcam_colormap(relu: bool) -> pg.ColorMap:
    """The colour map of Grad-CAM scores on [0, 1] (mapped through :func:`gradcam_levels`).

    Parameters
    ----------
    relu : bool
        False: signed scores, diverging map, 0.5 is a score of 0.
        True: non-negative scores, the diverging map's positive half, 0 is a score of 0.
    """
    if relu:
        stops = (_DIVERGING_STOPS[2:] - 0.5) * 2.0
        return pg.ColorMap(stops, _DIVERGING_COLORS[2:], name="gradcam-relu")
    return pg.ColorMap(_DIVERGING_STOPS, _DIVERGING_COLORS, name="gradcam-signed")


def gradcam_levels(scores: np.ndarray, relu: bool, percentile: float = 100.0) -> tuple[float, float]:
    """Colour range of Grad-CAM scores: symmetric around 0 when signed, from 0 with ReLU.

    Parameters
    ----------
    scores : ndarray, shape (n,)
        Scores (dimensionless); NaN ignored.
    relu : bool
    percentile : float
        Percentile of ``|scores|`` used as the range's end; below 100 keeps a few
        outliers from washing out every other track (the overview uses 99).

    Returns
    -------
    (low, high) : tuple of float
        ``(-m, m)`` when signed, ``(0, m)`` with ReLU; ``m`` is never 0.
    """
    finite = np.abs(np.asarray(scores, dtype=np.float64))
    if finite.size > 200_000 and percentile < 100:
        # A colour range needs no exact percentile; a regular subsample of 10⁵ is
        # within a hair of it and 20x faster on the 2.6 M points of 5,000 tracks.
        finite = finite[:: finite.size // 100_000]
    finite = finite[np.isfinite(finite)]
    magnitude = float(np.percentile(finite, percentile)) if finite.size else 0.0
    if not magnitude > 0:
        magnitude = 1.0  # all-zero scores: any non-empty range draws them at the centre colour
    return (0.0, magnitude) if relu else (-magnitude, magnitude)


#: Axis lines, tick labels and titles on the white plot background.
TEXT_HEX = "#333333"


def style_plot(plot: pg.PlotItem) -> None:
    """Dark axes and text for a plot on a white background.

    pyqtgraph's default foreground is a light grey made for black backgrounds; on
    white it is hard to read (and prints badly).
    """
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(TEXT_HEX))
        axis.setTextPen(pg.mkPen(TEXT_HEX))
        axis.label.setDefaultTextColor(QColor(TEXT_HEX))
    plot.titleLabel.opts["color"] = TEXT_HEX
    _shrinkable_title(plot)


def _shrinkable_title(plot: pg.PlotItem) -> None:
    """Wrap a long plot title onto more lines instead of widening the plot.

    pyqtgraph makes a title's text width the plot's minimum width, so a long track
    title ("track 6: SubCTRW (p = 0.16), uncertain; ...") widened the window past
    1280 px and pushed the colour bar off screen. Here the title's minimum width is
    0 and each new title wraps, centred, at the width the plot has when it is set
    (a later resize keeps that wrap until the next title); the full title is the tooltip.

    Only Python-level methods are replaced (``updateMin``, ``setTitle``): overriding
    Qt's ``resizeEvent`` of the label, or listening to its geometry, crashed the app at exit.
    """
    label = plot.titleLabel
    update_min, set_title = label.updateMin, plot.setTitle
    label.item.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))

    def height() -> float:
        return max(30.0, label.item.boundingRect().height())  # at least pyqtgraph's own 30 px

    def relaxed() -> None:
        width = label.size().width()
        if width > 0 and abs(label.item.textWidth() - width) > 0.5:
            # Called at the end of a resize too, after pyqtgraph placed the text for the old
            # wrap: the text now spans the label exactly, so it starts at its left edge.
            label.item.setTextWidth(width)
            label.item.setPos(0, 0)
        update_min()
        label._sizeHint[Qt.SizeHint.MinimumSize] = (0, height())
        label.setMinimumWidth(0)
        label.setToolTip(label.item.toPlainText())

    def titled(title: str | None = None, **args: object) -> None:
        set_title(title, **args)
        if title is not None:
            label.setMaximumHeight(height())
            plot.layout.setRowFixedHeight(0, height())

    label.updateMin = relaxed
    plot.setTitle = titled


def label_colorbar(bar: pg.ColorBarItem, text: str) -> None:
    """Put ``text`` beside a vertical colour bar's values, with plain numbers.

    The values' axis must not rescale with SI prefixes: Grad-CAM scores are
    ~0.1 and "150" reads as a different number.
    """
    axis = bar.getAxis("right")
    axis.setPen(pg.mkPen(TEXT_HEX))
    axis.setTextPen(pg.mkPen(TEXT_HEX))
    axis.setWidth(None)
    axis.setTickDensity(0.6)  # ~8 labels on a tall bar, not 20
    set_axis_label(bar, "right", text)


def set_axis_label(plot: pg.PlotItem, side: str, text: str) -> None:
    """Label an axis in dark text, its values never rescaled with an SI prefix.

    pyqtgraph 0.14 rescales unitless axes spanning less than 1 (0.2-0.8 µm would
    read 200-800 with a "x0.001" note); units live in our label text instead.
    """
    plot.getAxis(side).setLabel(text, siPrefixEnableRanges=(), color=TEXT_HEX)


def xy_plot() -> tuple[pg.GraphicsLayoutWidget, pg.PlotItem]:
    """A white plot with equal x/y scales and a light grid, for trajectories in space."""
    graphics = pg.GraphicsLayoutWidget()
    graphics.setBackground("w")
    plot = graphics.addPlot(row=0, col=0)
    plot.setAspectLocked(True)  # a µm is as long across as up
    # Image convention, as in Fiji and the Data tab's movie: y grows downwards, so a track sits
    # in the same corner here as on the movie.
    plot.invertY(True)
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setMenuEnabled(False)
    style_plot(plot)
    return graphics, plot
