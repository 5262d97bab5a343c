"""Right half of the training tab: a status line, the live curves, the confusion matrix.

Display only: the panel passes it the progress events of its own jobs and the
results; this widget turns them into words, points and cells.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from resandi_core.progress import format_duration

from ..gui_wording import gui_wording
from ..widgets.confusion_matrix import ConfusionMatrixView
from ..widgets.training_curves import TrainingCurves

_STATUS_STYLE = "QLabel { padding: 4px 2px; font-size: 11pt; %s }"


def epoch_status(event: Any) -> str:
    """One line for a training event: epoch, loss, accuracy, speed, ETA."""
    parts = [f"epoch {event.epoch}", f"loss {event.loss:.4f}", f"accuracy {100 * event.accuracy:.1f}%"]
    if math.isfinite(event.val_loss):
        parts.append(f"validation {event.val_loss:.4f} / {100 * event.val_accuracy:.1f}%")
    if math.isfinite(event.samples_per_s):
        parts.append(f"{event.samples_per_s:,.0f} samples/s")
    if math.isfinite(event.eta_s):
        parts.append(f"ETA {format_duration(event.eta_s)} (if all epochs run)")
    return " · ".join(parts)


class TrainingResults(QWidget):
    """Status line on top; loss/accuracy curves above the confusion matrix (a splitter between).

    Attributes
    ----------
    status_label : QLabel
    curves : TrainingCurves
    confusion : ConfusionMatrixView
    best : tuple (epoch, validation loss) or None
        Of the weights the last finished run kept (from its ``done`` event).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_label = QLabel("Generate a data set, train a model on it, then evaluate it.")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setStyleSheet(_STATUS_STYLE % "")
        self.curves = TrainingCurves()
        self.confusion = ConfusionMatrixView()
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.curves)
        plots.addWidget(self.confusion)
        plots.setStretchFactor(0, 2)
        plots.setStretchFactor(1, 3)
        plots.setSizes([300, 460])  # the matrix gets ~450 px at 800 px of window height
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status_label)
        layout.addWidget(plots, 1)
        self.best: tuple[int, float] | None = None
        self._last_step: Any = None

    def say(self, text: str, error: bool = False) -> None:
        """Show one status message (red for a problem the user must fix)."""
        self.status_label.setStyleSheet(_STATUS_STYLE % ("color: #b00020;" if error else ""))
        self.status_label.setText(gui_wording(text))  # core errors end here too

    def start_run(self, max_epochs: int, history: str | None = None) -> None:
        """Empty the curves for a new run, or fill them from ``history`` (a resumed run's history.csv)."""
        if history is not None:
            self.curves.load_history(history)
        else:
            self.curves.clear()
        self.curves.max_epochs_hint = max_epochs
        self.confusion.clear()  # it described another model
        self._last_step = None
        self.best = None

    def show_progress(self, job: str, event: Any) -> None:
        """Show a progress event of the panel's ``job`` (generate, measure, train or evaluate)."""
        kind, done, total = getattr(event, "event", None), event.done, event.total
        if kind == "done":
            self.best = (event.epoch, event.val_loss)
        elif kind in ("step", "epoch"):
            self.curves.add_event(event)
            if kind == "step":
                self._last_step = event
            elif self._last_step is not None:
                # Epoch events carry no speed or ETA; keep those of the last step on the line.
                event = replace(event, samples_per_s=self._last_step.samples_per_s, eta_s=self._last_step.eta_s)
            self.say(epoch_status(event))
        elif kind == "augment" or (job == "train" and event.stage == "evaluate"):
            self.say(f"Choosing the augmentation copies: {done:,} / {total:,} trajectories scored")
        elif job == "generate":
            self.say(f"Generating: {done:,} / {total:,} trajectories")
        elif job == "evaluate":
            self.say(f"Evaluating: {done:,} / {total:,} trajectories")
        elif job == "measure":
            self.say("Measuring the training speed on this computer (a few optimiser steps)…")

    def show_evaluation(self, evaluation: Any, where: str) -> None:
        """Fill the confusion matrix and say the accuracy and where the tables went."""
        self.confusion.set_confusion(evaluation.confusion_percent(), evaluation.accuracy, evaluation.n)
        self.say(f"Accuracy {100 * evaluation.accuracy:.2f}% on {evaluation.n:,} trajectories; "
                 f"tables and confusion.png in {where}.")
