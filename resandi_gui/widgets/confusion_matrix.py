"""The 8×8 confusion matrix as a heat map with the value written in each cell.

Rows are true classes, columns predicted classes, each row in % of its true
class (REFERENCE.md's layout, :meth:`resandi_core.training.evaluate.Evaluation.confusion_percent`).
Drawn with pyqtgraph (an ImageItem and one TextItem per cell) so it lives in the
same widget family as the curves; class names label both axes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QVBoxLayout, QWidget

from resandi_core.model.spec import CLASS_NAMES

from .class_colors import class_tick_label
from .plot_export import install_save_menu

#: White to dark blue (matplotlib's "Blues", as confusion.png written by the core).
_BLUES = pg.ColorMap([0.0, 0.5, 1.0], [(247, 251, 255), (107, 174, 214), (8, 48, 107)])
#: Above this % the cell is dark enough for white text.
_WHITE_TEXT_ABOVE = 60.0
#: Label of the predicted-class axis; it says what the cell numbers are.
CELL_UNIT_LABEL = "predicted class (cells: % of true class)"


class ConfusionMatrixView(QWidget):
    """Heat map of a row-normalised confusion matrix with the overall accuracy as title.

    Parameters
    ----------
    class_names : sequence of str
        Row/column names (default: the eight ResAnDi classes).
    """

    def __init__(self, class_names: Sequence[str] = CLASS_NAMES, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = tuple(class_names)
        k = len(self.class_names)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumSize(320, 320)  # 8 readable columns that still fit beside the forms at 1280 px
        self.plot.setToolTip("Each row is one true class; a cell is the % of that class's trajectories "
                             "predicted as the column's class (each row sums to 100%)")
        self.plot.setMenuEnabled(False)
        install_save_menu(self.plot, "confusion_matrix")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        # No aspect lock: square cells would leave the axes far from a wide grid.
        view = self.plot.getViewBox()
        view.invertY(True)  # row 0 (the first true class) at the top, as in the paper's table
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(_BLUES)
        self.plot.addItem(self.image)
        ticks = [[(i + 0.5, class_tick_label(name)) for i, name in enumerate(self.class_names)]]
        font = QFont()
        font.setPointSizeF(8.5)
        # The cells are bare numbers (a "%" in each would crowd a ~50 px cell at
        # 450 px); the unit, and what it is a percentage of, is in the axis label.
        for side, label in (("bottom", CELL_UNIT_LABEL), ("left", "true class")):
            axis = self.plot.getAxis(side)
            axis.setTicks(ticks)
            axis.setPen("k")
            axis.setTextPen("k")
            axis.setStyle(tickFont=font, tickLength=0)
            self.plot.setLabel(side, label, color="k")
        self.plot.getAxis("bottom").setHeight(52)
        self.plot.setXRange(0, k, padding=0)
        self.plot.setYRange(0, k, padding=0)
        cell_font = QFont()
        cell_font.setPointSizeF(9)
        self._texts: list[pg.TextItem] = []
        for row in range(k):
            for col in range(k):
                text = pg.TextItem("", anchor=(0.5, 0.5), color="k")
                text.setFont(cell_font)
                text.setPos(col + 0.5, row + 0.5)
                self.plot.addItem(text)
                self._texts.append(text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self._percent: np.ndarray | None = None
        self.clear()

    def clear(self) -> None:
        """Show an empty matrix and a hint instead of an accuracy."""
        k = len(self.class_names)
        self._percent = None
        self._show_image(np.zeros((k, k)))
        for text in self._texts:
            text.setText("")
        self.plot.setTitle("Confusion matrix: evaluate a model to fill it", color="#555", size="11pt")

    def set_confusion(self, percent: np.ndarray, accuracy: float, n: int | None = None) -> None:
        """Show a confusion matrix.

        Parameters
        ----------
        percent : ndarray, shape (k, k)
            Row-normalised confusion, % of each true class (rows true, columns predicted).
        accuracy : float
            Overall accuracy as a fraction in [0, 1].
        n : int, optional
            Trajectories evaluated (shown in the title).
        """
        percent = np.asarray(percent, dtype=float)
        k = len(self.class_names)
        if percent.shape != (k, k):
            raise ValueError(f"expected a {k}x{k} matrix, got shape {percent.shape}")
        self._percent = percent.copy()
        self._show_image(percent)
        for text, value in zip(self._texts, percent.ravel()):
            text.setText(f"{value:.1f}")
            text.setColor("w" if value > _WHITE_TEXT_ABOVE else "k")
        count = f" (n = {n:,})" if n is not None else ""
        self.plot.setTitle(f"Overall accuracy {100 * accuracy:.2f}%{count}", color="k", size="12pt")

    def _show_image(self, percent: np.ndarray) -> None:
        k = len(self.class_names)
        self.image.setImage(percent, levels=(0, 100))
        # After setImage: the rect is turned into a scale from the image's size in pixels.
        self.image.setRect(0, 0, k, k)

    def values(self) -> np.ndarray | None:
        """The matrix shown (% of row), or None while empty."""
        return None if self._percent is None else self._percent.copy()

    def cell_texts(self) -> list[list[str]]:
        """The text of each cell, row by row (what the user reads)."""
        k = len(self.class_names)
        texts = [t.toPlainText() for t in self._texts]
        return [texts[row * k:(row + 1) * k] for row in range(k)]

    def title(self) -> str:
        """The plot title's text."""
        return self.plot.getPlotItem().titleLabel.text
