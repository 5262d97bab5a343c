"""How the tracks the table shows split into classes: one bar per class, following the filters.

The chart counts exactly the table's shown rows (:meth:`TrackTable.visible_rows`),
so hiding uncertain tracks, choosing a class or typing an id changes it at once.
Tracks that were not classified (too short, NaN positions, ...) have their own
grey bar, so the bars always add up to the tracks shown. The uncertain part of a
class is drawn paler on top of its confident part, as the overview fades them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QVBoxLayout, QWidget

from resandi_core.model.spec import CLASS_NAMES

from .class_colors import UNCLASSIFIED_HEX, class_colors, class_tick_label, set_axis_label, style_plot
from .plot_export import install_save_menu

NOT_CLASSIFIED = "not classified"
#: Bar names, in order: the 8 classes, then the tracks without a class.
BAR_NAMES = (*CLASS_NAMES, NOT_CLASSIFIED)
BAR_WIDTH = 0.7
#: Opacity (0-255) of the uncertain part of a bar (the overview's faded tracks use 70 on thin lines).
UNCERTAIN_ALPHA = 90
#: Room above the highest bar for its two-line label, as a multiple of its height.
HEADROOM = 1.35


@dataclass(frozen=True)
class ClassCounts:
    """Tracks per bar of :data:`BAR_NAMES`.

    Attributes
    ----------
    confident, uncertain : ndarray, shape (9,), int64
        Tracks of each class not flagged / flagged ``uncertain``; the last entry
        counts tracks not classified (all in ``confident``).
    n_total : int
        Tracks of the file, shown or not.
    """

    confident: np.ndarray
    uncertain: np.ndarray
    n_total: int

    @property
    def counts(self) -> np.ndarray:
        """Tracks per bar, shape (9,)."""
        return self.confident + self.uncertain

    @property
    def n_shown(self) -> int:
        return int(self.counts.sum())

    @property
    def percent(self) -> np.ndarray:
        """Share of the shown tracks per bar, in %, shape (9,); zeros when none is shown."""
        shown = self.n_shown
        return 100.0 * self.counts / shown if shown else np.zeros(len(BAR_NAMES))


def count_classes(predicted: np.ndarray, uncertain: np.ndarray, rows: np.ndarray, n_total: int) -> ClassCounts:
    """Count the tracks at ``rows`` per class.

    Parameters
    ----------
    predicted : ndarray, shape (n_tracks,)
        Predicted class names; anything else (empty, NaN) counts as not classified.
    uncertain : ndarray, shape (n_tracks,), bool
        Tracks flagged ``uncertain``.
    rows : ndarray, shape (n_shown,), int
        The rows to count (the table's shown rows).
    n_total : int
    """
    names = np.asarray(predicted, dtype=object)[rows].astype(str)
    flagged = np.asarray(uncertain, dtype=bool)[rows] if len(uncertain) else np.zeros(len(rows), dtype=bool)
    index = np.full(len(rows), len(CLASS_NAMES), dtype=np.int64)
    for i, name in enumerate(CLASS_NAMES):
        index[names == name] = i
    classified = index < len(CLASS_NAMES)
    confident = np.bincount(index[~(flagged & classified)], minlength=len(BAR_NAMES)).astype(np.int64)
    unsure = np.bincount(index[flagged & classified], minlength=len(BAR_NAMES)).astype(np.int64)
    return ClassCounts(confident, unsure, int(n_total))


def counts_of_table(table: object) -> ClassCounts:
    """:func:`count_classes` of the rows a :class:`~.track_table.TrackTable` shows."""
    model = table.model
    return count_classes(model.column("predicted_class"), model.uncertain_rows(), table.visible_rows(),
                         model.rowCount())


class ClassFractionChart(QWidget):
    """Bars of the share (%) of shown tracks per class, in the class colours, with n on each bar.

    Attributes
    ----------
    counts : ClassCounts or None
        What is drawn.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts: ClassCounts | None = None
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        install_save_menu(self.graphics, "class_fractions")
        self.plot: pg.PlotItem = self.graphics.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        style_plot(self.plot)
        set_axis_label(self.plot, "left", "% of shown tracks")
        self.plot.showGrid(y=True, alpha=0.2)
        self.plot.setXRange(-0.6, len(BAR_NAMES) - 0.4, padding=0)
        small = QFont()
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1.5))
        bottom = self.plot.getAxis("bottom")
        labels = [class_tick_label(name) for name in CLASS_NAMES] + ["not\nclass."]
        bottom.setTicks([list(enumerate(labels))])
        bottom.setStyle(tickFont=small, hideOverlappingLabels=False)
        bottom.setHeight(2 * QFontMetrics(small).height() + 12)  # two-line tick labels
        self.plot.getAxis("left").setStyle(tickFont=small)
        x = np.arange(len(BAR_NAMES))
        colors = [*class_colors(), pg.mkColor(UNCLASSIFIED_HEX)]
        faded = []
        for color in colors:
            pale = pg.mkColor(color)
            pale.setAlpha(UNCERTAIN_ALPHA)
            faded.append(pg.mkBrush(pale))
        self.confident_bars = pg.BarGraphItem(x=x, height=np.zeros(len(x)), width=BAR_WIDTH,
                                              brushes=[pg.mkBrush(c) for c in colors], pen=pg.mkPen(None))
        self.uncertain_bars = pg.BarGraphItem(x=x, y0=np.zeros(len(x)), height=np.zeros(len(x)), width=BAR_WIDTH,
                                              brushes=faded, pen=pg.mkPen(None))
        self.plot.addItem(self.confident_bars)
        self.plot.addItem(self.uncertain_bars)
        self.labels: list[pg.TextItem] = []
        for i in x:
            label = pg.TextItem("", color="#333333", anchor=(0.5, 1.0))
            label.setFont(small)
            label.setPos(float(i), 0.0)
            self.plot.addItem(label)
            self.labels.append(label)
        self.graphics.setToolTip("Share of the tracks the table shows, per predicted class; follows the table's "
                                 "filters. Paler top part: tracks flagged uncertain. Right-click to save.")
        self.graphics.setMinimumHeight(170)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.set_counts(None)

    def show_table(self, table: object) -> None:
        """Count and draw the rows ``table`` (a :class:`~.track_table.TrackTable`) shows."""
        self.set_counts(counts_of_table(table) if table.model.rowCount() else None)

    def set_counts(self, counts: ClassCounts | None) -> None:
        """Draw ``counts`` (None: empty, with a title saying there is nothing to count)."""
        self.counts = counts
        empty = np.zeros(len(BAR_NAMES))
        if counts is None or counts.n_shown == 0:
            self.confident_bars.setOpts(height=empty)
            self.uncertain_bars.setOpts(y0=empty, height=empty)
            for label in self.labels:
                label.setText("")
            self.plot.setYRange(0, 100, padding=0)
            title = "class fractions: no track shown" if counts is not None else "class fractions"
            self.plot.setTitle(title, size="10pt")
            return
        scale = 100.0 / counts.n_shown
        confident, uncertain = counts.confident * scale, counts.uncertain * scale
        self.confident_bars.setOpts(height=confident)
        self.uncertain_bars.setOpts(y0=confident, height=uncertain)
        top = float((confident + uncertain).max())
        for label, n, height in zip(self.labels, counts.counts, confident + uncertain):
            label.setText(f"{height:.0f}%\nn={int(n)}" if height >= 1 else f"<1%\nn={int(n)}" if n else "")
            label.setPos(label.pos().x(), float(height))
        self.plot.setYRange(0, max(top * HEADROOM, 5.0), padding=0)
        n_uncertain = int(counts.uncertain.sum())
        title = f"classes of the {counts.n_shown:,} tracks shown (of {counts.n_total:,})"
        if n_uncertain:
            title += f"; paler: {n_uncertain:,} uncertain"
        self.plot.setTitle(title, size="10pt")
