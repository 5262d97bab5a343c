"""The window's study menu entries: File ▸ Batch Classify Folders… and File ▸ Export Report….

Kept out of the main window: it builds its two actions into the menus it is
given, keeps them enabled or disabled (with a tooltip that says why) as files
are classified and jobs run, and runs their jobs through the window's runner.

Export Report writes every classified file of the session, with the name of its
parent folder as its condition, into the folder ``resandi batch`` writes
(:func:`resandi_core.study.run.write_classified`), then that folder's HTML/PDF
report, as one background job; then it offers to open the report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from resandi_core import __version__
from resandi_core.study.conditions import StudyFile

from .batch_dialog import BatchDialog
from .batch_form import outcome_html
from .errors import show_error
from .session import SessionFile
from .study_jobs import PHASE_REPORT, JobState, StudyOutcome, batch_options, session_report_job
from .unsaved import mark_exported

log = logging.getLogger(__name__)

NOTHING_CLASSIFIED = "Classify at least one file first (Analysis ▸ Classify): the report shows classified tracks."
BUSY = "Another job is running; export the report when it has finished."
REPORT_TIP = ("Write results.csv, summary.csv and the HTML/PDF report of every classified file into a folder; "
              "each file's condition is the name of its folder.")


def model_key(model: Any) -> str:
    """What tells two models apart: their weights' checksum, else their name."""
    config = getattr(model, "config", {}) or {}
    return str(config.get("weights", {}).get("sha256") or getattr(model, "name", ""))


class StudyActions(QObject):
    """Batch Classify Folders and Export Report, for one main window.

    Parameters
    ----------
    window : MainWindow
        Its settings, session, runner and status bar are used.
    file_menu : QMenu
        The two actions are appended to it.

    Attributes
    ----------
    batch_action, report_action : QAction
    batch_dialog : BatchDialog or None
        Made on first use and kept, so its folders stay while the app runs.
    report_outcome : StudyOutcome or None
        The last report export.
    report_box : QMessageBox or None
        Its "open the report?" message (tests read it).
    open_url : callable
        ``QDesktopServices.openUrl``; tests replace it.
    """

    def __init__(self, window: Any, file_menu: QMenu) -> None:
        super().__init__(window)
        self.window = window
        self.batch_dialog: BatchDialog | None = None
        self.report_outcome: StudyOutcome | None = None
        self.report_box: QMessageBox | None = None
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl
        self._report_state = JobState()
        self.report_action = file_menu.addAction("Export Re&port…", self.choose_report_folder)
        self.batch_action = file_menu.addAction("&Batch Classify Folders…", self.show_batch_dialog)
        self.batch_action.setShortcut("Ctrl+B")
        self.batch_action.setToolTip("Classify folders of track files and movies by condition, with a report "
                                     "(as `resandi batch`)")
        file_menu.setToolTipsVisible(True)  # the disabled Export Report says why
        window.runner.busy_changed.connect(lambda _busy: self.update())
        for signal in (window.session.file_added, window.session.file_changed, window.session.file_removed):
            signal.connect(lambda _entry: self.update())
        self.update()

    # ---------------------------------------------------------------- state
    def classified(self) -> list[SessionFile]:
        """The session's files with a classification."""
        return [f for f in self.window.session.files if f.result is not None and f.tracks is not None]

    def report_problem(self) -> str:
        """Why Export Report is disabled ("" when it is not)."""
        if not self.classified():
            return NOTHING_CLASSIFIED
        if self.window.runner.busy:
            return BUSY
        return ""

    def update(self) -> None:
        """Enable Export Report when there is something to report, and say why not otherwise."""
        problem = self.report_problem()
        self.report_action.setEnabled(not problem)
        self.report_action.setToolTip(problem or REPORT_TIP)
        self.report_action.setStatusTip(problem or REPORT_TIP)

    # ---------------------------------------------------------------- batch
    def show_batch_dialog(self) -> BatchDialog:
        """Open (or bring back) the batch dialog."""
        if self.batch_dialog is None:
            self.batch_dialog = BatchDialog(self.window)
        self.batch_dialog.show()
        self.batch_dialog.raise_()
        self.batch_dialog.activateWindow()
        return self.batch_dialog

    # ---------------------------------------------------------------- report
    def choose_report_folder(self) -> None:
        settings = self.window.settings
        folder = QFileDialog.getExistingDirectory(self.window, "Write the report into folder",
                                                  settings.last_export_dir)
        if not folder:
            return
        if (Path(folder) / "results.csv").exists():
            answer = QMessageBox.question(
                self.window, "Replace the results there?",
                f"{folder} already holds results (results.csv). Replace them with the open files' results?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        settings.last_export_dir = folder
        self.export_report(Path(folder))

    def export_report(self, folder: Path) -> bool:
        """Write the classified files' tables and report into ``folder`` in the background.

        Returns False (and says why) when nothing can be exported now.
        """
        entries = self.classified()
        problem = self.report_problem()
        if problem:
            self.window.statusBar().showMessage(problem, 15_000)
            return False
        models = {model_key(e.model): e for e in entries if e.model is not None}
        if len(models) > 1:  # one report, one model: a mixed report would compare unlike answers
            names = "; ".join(f"{e.name}: {e.model.name}" for e in models.values())
            show_error(self.window, "The files were classified with different models",
                       f"One report describes one model, but these files were classified with different ones "
                       f"({names}). Classify them all with one model (Analysis ▸ Classify All Files), then "
                       "export the report again.")
            return False
        model = next((e.model for e in entries if e.model is not None), None)
        if model is None:
            show_error(self.window, "Cannot export the report", "The model of these results is not known; "
                       "classify the files again, then export the report.")
            return False
        classified = [(StudyFile(e.path, e.path.parent.name or e.path.name), e.tracks, e.result) for e in entries]
        summaries = {str(e.path): e.link_result.summary() for e in entries if e.link_result is not None}
        settings = self.window.settings
        options = batch_options({}, settings.device, False, None,
                                f"resandi-gui {__version__} (File > Export Report): {len(entries)} open files")
        options.classify_options["relu"] = bool(getattr(entries[0].result, "relu", False))  # for run.json
        self._report_state = state = JobState()
        title = f"Report of {len(entries)} file{'s' if len(entries) > 1 else ''}"
        self.window.runner.start(
            title, lambda: session_report_job(classified, model, options, folder, summaries, state),
            on_finished=lambda outcome, results=[e.result for e in entries]: (
                mark_exported(results), self._report_done(outcome)),  # their results.csv is written
            on_cancelled=self._report_cancelled)
        return True

    def _report_done(self, outcome: StudyOutcome) -> None:
        self.report_outcome = outcome
        log.info("report export into %s: %s", outcome.out_dir, outcome_html(outcome))
        box = QMessageBox(self.window)
        box.setObjectName("reportDone")
        box.setWindowTitle("Report written" if outcome.report is not None else "Tables written, no report")
        box.setIcon(QMessageBox.Icon.Information if outcome.report is not None else QMessageBox.Icon.Warning)
        box.setText(outcome_html(outcome))
        open_report = box.addButton("Open Report", QMessageBox.ButtonRole.AcceptRole)
        open_report.setEnabled(outcome.report is not None)
        open_folder = box.addButton("Open Folder", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        open_report.clicked.connect(self.open_report)
        open_folder.clicked.connect(lambda: self.open_url(QUrl.fromLocalFile(str(outcome.out_dir))))
        self.report_box = box
        box.open()  # not blocking: the window stays usable

    def open_report(self) -> None:
        if self.report_outcome is not None and self.report_outcome.report is not None:
            self.open_url(QUrl.fromLocalFile(str(self.report_outcome.report.html)))

    def _report_cancelled(self) -> None:
        if self._report_state.phase == PHASE_REPORT:
            text = "Report cancelled; the tables were written, an earlier report is unchanged."
        else:
            text = "Report cancelled before the tables were written; nothing changed."
        self.window.statusBar().showMessage(text, 30_000)
