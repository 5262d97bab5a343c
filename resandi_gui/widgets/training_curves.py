"""Live training curves: loss and accuracy per epoch, training and validation.

Two pyqtgraph plots side by side. Epoch events add one point to each curve; step
events draw the running mean of the training loss over the epoch so far as a
faint line, so a long first epoch does not look like nothing is happening. A
resumed run starts from the run's ``history.csv``.
"""

from __future__ import annotations

import csv
import logging
import math
import os
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

from .plot_export import install_save_menu

log = logging.getLogger(__name__)

TRAIN_COLOUR = (31, 119, 180)  # blue
VAL_COLOUR = (255, 127, 14)  # orange
#: Least distance between two plotted step points, in epochs (bounds the point count of long runs).
STEP_SPACING_EPOCHS = 0.005


def _plot(title: str, y_label: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w")
    plot.setTitle(title, color="k", size="11pt")
    plot.setLabel("bottom", "epoch", color="k")
    plot.setLabel("left", y_label, color="k")
    plot.showGrid(x=True, y=True, alpha=0.25)
    for side in ("bottom", "left"):
        axis = plot.getAxis(side)
        axis.setPen("k")
        axis.setTextPen("k")
    plot.setMinimumSize(160, 150)  # two side by side beside the forms still fit a 1280 px window
    plot.setMouseEnabled(x=False, y=False)  # a live view; autorange keeps every point in sight
    return plot


class TrainingCurves(QWidget):
    """Loss (left) and accuracy in % (right) per epoch, training and validation.

    Attributes
    ----------
    loss_plot, accuracy_plot : pyqtgraph.PlotWidget
    max_epochs_hint : int or None
        Epochs of the run (set by the panel): places step points within an epoch
        before the first epoch event tells how many steps an epoch has.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loss_plot = _plot("Loss", "loss")
        self.accuracy_plot = _plot("Accuracy", "accuracy (%)")
        install_save_menu(self.loss_plot, "training_loss")
        install_save_menu(self.accuracy_plot, "training_accuracy")
        self.accuracy_plot.setYRange(0, 100, padding=0.02)
        self.accuracy_plot.enableAutoRange(axis="y", enable=False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.accuracy_plot)

        # Where curves seldom go: loss falls away from the top right, accuracy rises
        # away from the bottom right; a translucent backing keeps points visible anyway.
        legend = {"labelTextColor": "k", "brush": (255, 255, 255, 190), "pen": (200, 200, 200)}
        self.loss_plot.addLegend(offset=(-10, 10), **legend)
        self.accuracy_plot.addLegend(offset=(-10, -10), **legend)
        faint = pg.mkPen(color=(*TRAIN_COLOUR, 130), width=1)
        self._step_curve = self.loss_plot.plot(pen=faint, name="training, running mean")
        self._step_curve.setDownsampling(auto=True)
        self._step_curve.setClipToView(True)
        self._curves: dict[str, pg.PlotDataItem] = {}
        for plot, key, colour, name in (
            (self.loss_plot, "loss", TRAIN_COLOUR, "training"),
            (self.loss_plot, "val_loss", VAL_COLOUR, "validation"),
            (self.accuracy_plot, "accuracy", TRAIN_COLOUR, "training"),
            (self.accuracy_plot, "val_accuracy", VAL_COLOUR, "validation"),
        ):
            self._curves[key] = plot.plot(
                pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6, symbolBrush=colour, symbolPen=None,
                name=name)
        self.max_epochs_hint: int | None = None
        self._rows: dict[int, dict[str, float]] = {}
        self._steps_x: list[float] = []
        self._steps_y: list[float] = []
        self._steps_per_epoch: float | None = None

    # -- data -------------------------------------------------------------------------------
    @property
    def epochs(self) -> list[int]:
        """Epochs shown, in order."""
        return sorted(self._rows)

    def rows(self) -> list[dict[str, float]]:
        """The per-epoch numbers shown (accuracies as fractions, as in history.csv)."""
        return [dict(self._rows[e], epoch=e) for e in self.epochs]

    def clear(self) -> None:
        """Forget every point (a new run)."""
        self._rows.clear()
        self._steps_x.clear()
        self._steps_y.clear()
        self._steps_per_epoch = None
        self._redraw()

    def add_event(self, event: Any) -> None:
        """Take one :class:`~resandi_core.training.loop.TrainProgress`; other events are ignored."""
        kind = getattr(event, "event", None)
        if kind == "epoch":
            self._rows[int(event.epoch)] = {key: float(getattr(event, key)) for key in self._curves}
            if event.epoch > 0:
                self._steps_per_epoch = event.done / event.epoch  # exact: global step at an epoch's end
            self._redraw()
        elif kind == "step" and math.isfinite(event.loss):
            per_epoch = self._steps_per_epoch
            if per_epoch is None and self.max_epochs_hint and event.total:
                per_epoch = event.total / self.max_epochs_hint
            if not per_epoch:
                return
            x = event.done / per_epoch  # epoch e ends at x = e, like its epoch point
            if self._steps_x and x - self._steps_x[-1] < STEP_SPACING_EPOCHS:
                self._steps_y[-1] = float(event.loss)
            else:
                self._steps_x.append(x)
                self._steps_y.append(float(event.loss))
            self._step_curve.setData(self._steps_x, self._steps_y)

    def load_history(self, path: str | os.PathLike) -> None:
        """Show the epochs of a run's ``history.csv`` (for a resumed run).

        Never raises for what the file holds: the resumed run must start whatever
        the curves can show. A missing or unreadable file shows nothing; a missing
        column (an older or hand-edited history) leaves its curve empty; a row
        without a usable epoch number is skipped, and a value that is not a number
        leaves a gap in its curve. Each problem is logged once as a warning.
        """
        self.clear()
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except FileNotFoundError:
            self._redraw()
            return
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            log.warning("could not read the training history %s: %s", path, error)
            self._redraw()
            return
        columns = set(rows[0]) if rows else set()
        if rows and "epoch" not in columns:
            log.warning("%s has no epoch column; no earlier epochs shown", path)
            rows = []
        missing = [key for key in self._curves if rows and key not in columns]
        if missing:
            log.warning("%s has no column %s; those curves start empty", path, ", ".join(missing))
        skipped, bad_values = 0, 0
        for row in rows:
            epoch = _number(row.get("epoch"))
            if not math.isfinite(epoch) or epoch != int(epoch):
                skipped += 1
                continue
            values = {key: _number(row.get(key)) for key in self._curves}
            bad_values += sum(key in columns and not math.isfinite(v) for key, v in values.items())
            self._rows[int(epoch)] = values
        if skipped:
            log.warning("%s: skipped %d row(s) without a whole epoch number", path, skipped)
        if bad_values:
            log.warning("%s: %d value(s) are not numbers; left as gaps", path, bad_values)
        self._redraw()

    def _redraw(self) -> None:
        epochs = np.array(self.epochs, dtype=float)
        for key, curve in self._curves.items():
            values = np.array([self._rows[e].get(key, math.nan) for e in self.epochs], dtype=float)
            if key.endswith("accuracy"):
                values = 100 * values
            # Gaps (a value missing from an older history) are left out, not drawn as NaN symbols.
            finite = np.isfinite(values)
            curve.setData(epochs[finite], values[finite])
        if not self._rows:
            self._step_curve.setData([], [])


def _number(text: object) -> float:
    """``text`` as a float; NaN when it is missing (a short row) or not a number."""
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
