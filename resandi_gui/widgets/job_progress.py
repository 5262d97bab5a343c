"""The progress bar with ETA and a cancel button that every long job shares."""

from __future__ import annotations

import math
import time

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from resandi_core.progress import format_duration, stage_unit

from ..workers import JobRunner


def progress_unit(event: object) -> str:
    """``" frames"``, ``" windows"``, ... for the progress label; ``""`` when unknown."""
    unit = stage_unit(event)
    return f" {unit}" if unit else ""


class JobProgress(QWidget):
    """Shows the :class:`JobRunner`'s job: title, stage, done/total, ETA; Cancel stops it.

    Hidden while no job runs. The ETA is the job's own (training reports one) or
    a linear extrapolation over the current stage.
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
        self.bar.setRange(0, 0)  # busy until the first event says how much there is
        self.label.setText(f"{title}…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.show()

    def on_progress(self, event: object) -> None:
        """Update from one progress event (anything with ``done``, ``total``, ``stage``)."""
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
        self.label.setText(f"{self._title}{stage_text}: {done:,} / {total:,}{unit}, ETA {format_duration(eta)}")

    def _cancel(self) -> None:
        self.runner.cancel()
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
