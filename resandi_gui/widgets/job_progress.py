"""The progress bar with ETA and a cancel button that every long job shares."""

from __future__ import annotations

import math
import re
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from resandi_core.progress import format_duration, stage_unit

from ..workers import JobRunner

#: Widest the label may grow, in px: a long file name must not push the window past a 1280 px screen.
MAX_LABEL_PX = 560
#: Steps of the bar for a batch's overall progress (files done, with the current file's fraction).
BATCH_STEPS = 1000
#: The batch's "(3/20)" or "(1-5/20)" in a stage name: the label says "file 3 of 20" instead.
_FILE_NUMBER = re.compile(r"\s*\(\d+(?:-\d+)?/\d+\)")


def batch_stage_text(stage: str) -> str:
    """``"cells.csv (3/20): classify"`` → ``"cells.csv: classify"``."""
    return _FILE_NUMBER.sub("", stage).strip()


def progress_unit(event: object) -> str:
    """``" frames"``, ``" windows"``, ... for the progress label; ``""`` when unknown."""
    unit = stage_unit(event)
    return f" {unit}" if unit else ""


class JobProgress(QWidget):
    """Shows the :class:`JobRunner`'s job: title, stage, done/total, ETA; Cancel stops it.

    Hidden while no job runs. The ETA is the job's own (training reports one) or
    a linear extrapolation over the current stage. A batch's events (those with
    ``overall`` and ``n_files``) fill the bar by files done and extrapolate the
    ETA over the whole batch: "file 3 of 20 (cells.csv: classify) · ETA 2 min".
    """

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMinimumWidth(220)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelJob")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._title = ""
        self._stage = ""
        self._stage_started = time.monotonic()
        #: (time, files done) of the batch's first event, for its ETA; None outside a batch.
        self._batch_start: tuple[float, float] | None = None
        runner.started.connect(self._on_started)
        runner.progress.connect(self.on_progress)
        runner.stopped.connect(self._on_stopped)
        self.hide()

    def _on_stopped(self) -> None:
        if not self.runner.busy:  # a result handler may have started the next job already
            self.hide()

    def _on_started(self, title: str) -> None:
        self._title = title
        self._stage = ""
        self._stage_started = time.monotonic()
        self._batch_start = None
        self.bar.setRange(0, 0)  # busy until the first event says how much there is
        self.set_label(f"{title}…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.show()

    def set_label(self, text: str) -> None:
        """Show ``text``, cut in the middle when wider than :data:`MAX_LABEL_PX` (the tooltip has all of it)."""
        self.label.setText(self.label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, MAX_LABEL_PX))
        self.label.setToolTip(text)

    def on_progress(self, event: object) -> None:
        """Update from one progress event (anything with ``done``, ``total``, ``stage``)."""
        if hasattr(event, "overall") and hasattr(event, "n_files"):
            self._on_batch_progress(event)
            return
        done, total = int(getattr(event, "done", 0)), int(getattr(event, "total", 0))
        stage = str(getattr(event, "stage", ""))
        if stage != self._stage:
            self._stage, self._stage_started = stage, time.monotonic()
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        eta = getattr(event, "eta_s", None)
        if eta is None or not math.isfinite(eta):
            elapsed = time.monotonic() - self._stage_started
            eta = elapsed * (total - done) / done if done > 0 and total > 0 else math.nan
        stage_text = f" ({stage})" if stage and stage not in self._title.lower() else ""
        unit = progress_unit(event)
        self.set_label(f"{self._title}{stage_text}: {done:,} / {total:,}{unit}, ETA {format_duration(eta)}")

    def _on_batch_progress(self, event: object) -> None:
        """A :class:`~resandi_core.study.run.BatchProgress`: the files, not the stage, fill the bar."""
        n_files = max(int(getattr(event, "n_files", 1)), 1)
        overall = min(max(float(event.overall), 0.0), float(n_files))
        now = time.monotonic()
        if self._batch_start is None:
            self._batch_start = (now, overall)
        started, overall_then = self._batch_start
        self.bar.setRange(0, BATCH_STEPS)
        self.bar.setValue(round(BATCH_STEPS * overall / n_files))
        gained = overall - overall_then
        eta = (now - started) * (n_files - overall) / gained if gained > 0 else math.nan
        stage = batch_stage_text(str(getattr(event, "stage", "")))
        first = int(getattr(event, "file_index", 0)) + 1
        span = max(int(getattr(event, "span", 1)), 1)
        if first > n_files:  # every file is done: the tables are being gathered and written
            where = "writing the tables"
        elif span > 1:
            where = f"files {first}-{min(first + span - 1, n_files)} of {n_files} (classify)"
        else:
            where = f"file {first} of {n_files}" + (f" ({stage})" if stage else "")
        self.set_label(f"{self._title}: {where} · ETA {format_duration(eta)}")

    def _cancel(self) -> None:
        self.runner.cancel()
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
