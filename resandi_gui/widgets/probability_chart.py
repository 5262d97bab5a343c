"""The 8 class probabilities of one track as a bar chart, the predicted class highlighted."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QVBoxLayout, QWidget

from resandi_core.model.spec import CLASS_NAMES

from .class_colors import HIGHLIGHT_HEX, class_colors, class_tick_label, set_axis_label, style_plot
from .plot_export import install_save_menu

BAR_WIDTH = 0.7

#: Opacity of the bars that are not the predicted class (0-255).
OTHER_ALPHA = 110


class ProbabilityChart(QWidget):
    """Bars of P(class) on 0..1, one per class in label order, in the class colours.

    The predicted class (the highest bar) is drawn opaque with a black outline
    and its value printed above it; the other bars are translucent.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.plot: pg.PlotItem = self.graphics.addPlot()
        self.plot.setMenuEnabled(False)
        install_save_menu(self.graphics, "class_probabilities")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        style_plot(self.plot)
        self.plot.setYRange(0, 1.06, padding=0)
        self.plot.setXRange(-0.6, len(CLASS_NAMES) - 0.4, padding=0)
        set_axis_label(self.plot, "left", "probability")
        self.plot.showGrid(y=True, alpha=0.2)
        bottom = self.plot.getAxis("bottom")
        bottom.setTicks([[(i, class_tick_label(name)) for i, name in enumerate(CLASS_NAMES)]])
        small = QFont()
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1.5))
        bottom.setStyle(tickFont=small, hideOverlappingLabels=False)
        # Two-line labels: pyqtgraph sizes the axis for one line, so size it here.
        bottom.setHeight(2 * QFontMetrics(small).height() + 12)
        self.plot.getAxis("left").setTicks([[(v, f"{v:g}") for v in (0, 0.25, 0.5, 0.75, 1.0)]])
        self.bars = pg.BarGraphItem(x=np.arange(len(CLASS_NAMES)), height=np.zeros(len(CLASS_NAMES)), width=BAR_WIDTH)
        self.plot.addItem(self.bars)
        self.value_label = pg.TextItem("", color="k", anchor=(0.5, 1.0))
        self.plot.addItem(self.value_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.heights = np.zeros(len(CLASS_NAMES))
        self.predicted: int | None = None
        self.set_probabilities(None)

    def set_probabilities(self, probabilities: np.ndarray | None, title: str = "") -> None:
        """Show one track's probabilities.

        Parameters
        ----------
        probabilities : ndarray, shape (8,), optional
            P(class) in :data:`CLASS_NAMES` order, summing to 1; None or NaN: no bars.
        title : str
        """
        values = np.zeros(len(CLASS_NAMES)) if probabilities is None else np.asarray(probabilities, dtype=np.float64)
        valid = probabilities is not None and bool(np.isfinite(values).all())
        self.heights = values if valid else np.zeros(len(CLASS_NAMES))
        self.predicted = int(np.argmax(values)) if valid else None
        brushes, pens = [], []
        for i, color in enumerate(class_colors()):
            if i != self.predicted:
                color.setAlpha(OTHER_ALPHA)
            brushes.append(pg.mkBrush(color))
            pens.append(pg.mkPen(HIGHLIGHT_HEX, width=2) if i == self.predicted else pg.mkPen(None))
        self.bars.setOpts(height=self.heights, brushes=brushes, pens=pens)
        if self.predicted is not None:
            self.value_label.setText(f"{self.heights[self.predicted]:.2f}")
            # Inside the bar's top when it is nearly 1, so the label is never cut off.
            top = self.heights[self.predicted]
            self.value_label.setAnchor((0.5, 1.0) if top < 0.9 else (0.5, -0.1))
            self.value_label.setPos(self.predicted, top + (0.01 if top < 0.9 else 0.0))
            self.value_label.show()
        else:
            self.value_label.hide()
        self.plot.setTitle(title or ("class probabilities" if valid else "no probabilities: not classified"), size="10pt")
