"""Fast drawing of many polylines whose segments are coloured by a value or a category.

One group per colour: every segment of that colour, across all tracks, is packed
into one ``connect="pairs"`` array and drawn by one ``QPainter.drawLines`` call (as
a ``PlotCurveItem`` with ``connect="pairs"`` and ``segmentedLineMode="on"`` draws).
A pen per segment would mean millions of calls; quantising values into
``n_bins`` colours (32 look continuous) keeps it to a few dozen, so 5,000 tracks
of up to 1,000 points draw in a fraction of a second. All groups live in ONE
graphics item, which Qt can cache as one pixmap.

Points are passed as flat arrays, tracks one after another, with a ``connect``
mask saying which point is joined to the next (False at each track's last
point), as pyqtgraph's own ``connect`` arrays do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg

# pyqtgraph's packing of x/y arrays into a QLineF array, as its PlotCurveItem uses it.
from pyqtgraph.graphicsItems.PlotCurveItem import arrayToLineSegments
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen


def connect_mask(lengths: np.ndarray) -> np.ndarray:
    """The ``connect`` mask of tracks laid one after another.

    Parameters
    ----------
    lengths : ndarray, shape (n_tracks,), int
        Points per track.

    Returns
    -------
    ndarray, shape (sum(lengths),), bool
        True where a point is joined to the next one (False at every track's last point).
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    mask = np.ones(int(lengths.sum()), dtype=bool)
    ends = np.cumsum(lengths)[lengths > 0] - 1
    mask[ends] = False
    return mask


def segment_starts(connect: np.ndarray) -> np.ndarray:
    """Index of the first point of every segment, shape (n_segments,), int64."""
    connect = np.asarray(connect, dtype=bool)
    return np.flatnonzero(connect[:-1]) if connect.size > 1 else np.zeros(0, dtype=np.int64)


def quantize(values: np.ndarray, levels: tuple[float, float], n_bins: int) -> np.ndarray:
    """Colour bin of each value; values outside ``levels`` take the end bins, NaN takes bin ``n_bins``.

    Parameters
    ----------
    values : ndarray, shape (n,)
    levels : (low, high)
        Values mapped to the first and last colour.
    n_bins : int
        At most 255 (bins are uint8 so that the grouping sort is a radix sort).

    Returns
    -------
    ndarray, shape (n,), uint8
    """
    if not 1 <= n_bins <= 255:
        raise ValueError(f"n_bins must be 1..255, not {n_bins}")
    low, high = levels
    span = (high - low) or 1.0
    with np.errstate(invalid="ignore"):
        scaled = (np.asarray(values, dtype=np.float64) - low) * (n_bins / span)
    bins = np.clip(np.nan_to_num(scaled, nan=0.0), 0, n_bins - 1).astype(np.uint8)
    bins[np.isnan(scaled)] = n_bins
    return bins


def group_segments(
    x: np.ndarray, y: np.ndarray, starts: np.ndarray, groups: np.ndarray, n_groups: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pack the segments of each group as ``connect="pairs"`` arrays.

    Parameters
    ----------
    x, y : ndarray, shape (n_points,)
    starts : ndarray, shape (n_segments,)
        First point of each segment (it ends at ``start + 1``).
    groups : ndarray, shape (n_segments,), uint8 or int
        Group of each segment, 0..n_groups-1.
    n_groups : int

    Returns
    -------
    list of (px, py), one per group
        ``px = [x0_start, x0_end, x1_start, x1_end, ...]`` (2 × segments of the group).
    """
    # One stable sort groups the segments; uint8 keys make it a radix sort.
    order = np.argsort(groups, kind="stable")
    edges = np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=n_groups)[:n_groups])])
    packed = []
    for k in range(n_groups):
        first = starts[order[edges[k] : edges[k + 1]]]
        px = np.empty(2 * len(first))
        py = np.empty(2 * len(first))
        px[0::2], px[1::2] = x[first], x[first + 1]
        py[0::2], py[1::2] = y[first], y[first + 1]
        packed.append((px, py))
    return packed


class SegmentsItem(pg.GraphicsObject):
    """One graphics item that draws groups of line segments, one pen per group.

    Each group is a packed ``QLineF`` array drawn with a single ``drawLines``
    call (as ``PlotCurveItem`` does with ``connect="pairs"`` and
    ``segmentedLineMode="on"``). Being ONE item rather than one ``PlotCurveItem``
    per colour lets Qt cache the whole layer as a single pixmap (a
    ``QGraphicsItem`` cache mode, which the owner switches on and off as it
    knows best: see ``OverviewPlot._cache_tracks``): redrawing a selection
    outline on top then costs a pixmap copy instead of re-drawing millions of segments.
    """

    def __init__(self) -> None:
        super().__init__()
        self._groups: list[tuple[QPen, object]] = []
        self._bounds: tuple[float, float, float, float] | None = None
        self._pen_width = 1.0
        #: Whether the current segments were painted at least once.
        self.painted = False

    def set_groups(self, packed: list[tuple[np.ndarray, np.ndarray]], pens: Sequence[QPen]) -> None:
        """Replace the segments: ``packed[k]`` as ``connect="pairs"`` arrays, drawn with ``pens[k]``, in order."""
        self.prepareGeometryChange()
        self.painted = False
        self._groups = [
            (pen, arrayToLineSegments(px, py, connect="pairs", finiteCheck=True))
            for (px, py), pen in zip(packed, pens)
            if len(px)
        ]
        extents = [
            (np.nanmin(px), np.nanmax(px), np.nanmin(py), np.nanmax(py)) for px, py in packed if len(px)
        ]
        if extents:
            low_x, high_x, low_y, high_y = np.array(extents).T
            self._bounds = (float(low_x.min()), float(high_x.max()), float(low_y.min()), float(high_y.max()))
        else:
            self._bounds = None
        self._pen_width = max((pen.widthF() for pen in pens), default=1.0)
        self.informViewBoundsChanged()
        self.update()

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange: object = None) -> tuple:
        """Extent along x (``ax=0``) or y (``ax=1``), for the ViewBox's auto-range."""
        if self._bounds is None:
            return (None, None)
        return self._bounds[0:2] if ax == 0 else self._bounds[2:4]

    def pixelPadding(self) -> float:
        return self._pen_width

    def boundingRect(self) -> QRectF:
        if self._bounds is None:
            return QRectF()
        x0, x1, y0, y1 = self._bounds
        # Lines are drawn with cosmetic pens: pad by the pen width in screen pixels.
        px, py = self.pixelVectors()
        pad_x = 0.0 if px is None else float(np.hypot(px.x(), px.y())) * self._pen_width
        pad_y = 0.0 if py is None else float(np.hypot(py.x(), py.y())) * self._pen_width
        return QRectF(x0 - pad_x, y0 - pad_y, x1 - x0 + 2 * pad_x, y1 - y0 + 2 * pad_y)

    def viewTransformChanged(self) -> None:
        self.prepareGeometryChange()  # the padding above depends on the zoom

    def paint(self, painter: QPainter, *args: object) -> None:
        self.painted = True
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for pen, segments in self._groups:
            painter.setPen(pen)
            painter.drawLines(*segments.drawargs())


class ColoredSegments:
    """Coloured segments in one plot, drawn by a single :class:`SegmentsItem`.

    Parameters
    ----------
    plot : PlotItem
        Where the item goes.
    width : float
        Line width, screen pixels.
    z : float
        Z value of the item (higher is drawn on top).

    Attributes
    ----------
    groups : list of (QColor, ndarray, ndarray)
        What is drawn, bottom to top: colour and ``connect="pairs"`` x and y arrays.
    """

    def __init__(self, plot: pg.PlotItem, width: float = 1.0, z: float = 0.0) -> None:
        self.plot = plot
        self.width = width
        # No cache switch here: whether a pixmap pays off depends on what changes
        # over the layer, which only the owner knows (``self.item.setCacheMode``).
        self.item = SegmentsItem()
        self.item.setZValue(z)
        plot.addItem(self.item)
        self.groups: list[tuple[QColor, np.ndarray, np.ndarray]] = []

    def _pen(self, color: QColor) -> QPen:
        pen = pg.mkPen(color, width=self.width)
        # Round caps close the joints between separately drawn segments of thick lines.
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        return pen

    def _fill(self, packed: list[tuple[np.ndarray, np.ndarray]], colors: Sequence[QColor]) -> None:
        self.groups = [(QColor(color), px, py) for (px, py), color in zip(packed, colors) if len(px)]
        self.item.set_groups(packed, [self._pen(QColor(color)) for color in colors])

    @property
    def n_segments(self) -> int:
        """Segments drawn, all colours together."""
        return sum(len(px) // 2 for _, px, _ in self.groups)

    def set_by_value(
        self,
        x: np.ndarray,
        y: np.ndarray,
        connect: np.ndarray,
        values: np.ndarray,
        colormap: pg.ColorMap,
        levels: tuple[float, float],
        n_bins: int = 32,
        nan_color: QColor | str = "#BBBBBB",
    ) -> None:
        """Colour each segment by the mean of its two points' values.

        Parameters
        ----------
        x, y : ndarray, shape (n_points,)
            Positions, the plot's units.
        connect : ndarray, shape (n_points,), bool
            True where a point is joined to the next.
        values : ndarray, shape (n_points,)
            Value per point; NaN segments are drawn in ``nan_color``.
        colormap : ColorMap
            Defined on [0, 1]; ``levels`` map to its ends.
        levels : (low, high)
        n_bins : int
            Number of colours the values are quantised into.
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        values = np.asarray(values, dtype=np.float64)
        starts = segment_starts(connect)
        segment_values = 0.5 * (values[starts] + values[starts + 1])
        bins = quantize(segment_values, levels, n_bins)
        # Draw order: NaN first (bottom), then bins by |value| so the scores that
        # matter most are never hidden under neutral ones where tracks cross.
        low, high = levels
        centres = low + (np.arange(n_bins) + 0.5) * (high - low) / n_bins
        draw_order = np.argsort(np.abs(centres), kind="stable")
        group_of_bin = np.empty(n_bins + 1, dtype=np.uint8)
        group_of_bin[n_bins] = 0
        group_of_bin[draw_order] = np.arange(1, n_bins + 1)
        colors = [QColor(nan_color)] + [colormap.mapToQColor((k + 0.5) / n_bins) for k in draw_order]
        self._fill(group_segments(x, y, starts, group_of_bin[bins], n_bins + 1), colors)

    def set_by_category(
        self,
        x: np.ndarray,
        y: np.ndarray,
        connect: np.ndarray,
        categories: np.ndarray,
        colors: Sequence[QColor],
    ) -> None:
        """Colour each segment by its first point's category.

        Parameters
        ----------
        x, y : ndarray, shape (n_points,)
        connect : ndarray, shape (n_points,), bool
        categories : ndarray, shape (n_points,), int
            0..len(colors)-1 per point (e.g. the track's class index, repeated).
        colors : sequence of QColor
            One colour per category.
        """
        starts = segment_starts(connect)
        groups = np.asarray(categories)[starts].astype(np.uint8 if len(colors) < 256 else np.int64)
        self._fill(group_segments(np.asarray(x, float), np.asarray(y, float), starts, groups, len(colors)), colors)

    def clear(self) -> None:
        """Draw nothing."""
        self._fill([], [])
