"""File ▸ Batch Classify Folders: classify whole folders of files by condition, with a report.

The dialog is the app's face of ``resandi batch``: folders to classify, how
conditions are found (the sub-folder names, with a live preview of which file
lands in which condition, or a ``file,condition`` table), the output folder, and
whether to classify finished files again and to write the report. It runs with
the window's model, device and linking settings, as ONE job through the window's
:class:`~resandi_gui.workers.JobRunner` (progress, ETA and Cancel in the status
bar, and here). A cancelled batch keeps every finished file in the output folder's
cache; starting again resumes. At the end it says what was classified, reused
and failed (in words), and opens the report or the folder.

The dialog is not modal: the window's Cancel button must stay reachable.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
)

from resandi_core.errors import ResandiError
from resandi_core.study.conditions import StudyFile, assign_conditions

from .batch_form import CalibrationOverride, ConditionPreview, outcome_html, output_problem
from .study_jobs import PHASE_REPORT, JobState, StudyOutcome, batch_job, batch_options, describe_command, plain_errors

log = logging.getLogger(__name__)

#: Wait this long after the last change before looking through the folders again, in ms.
PREVIEW_DELAY_MS = 250
TITLE = "Batch classify"
#: Linking settings named in the dialog: (key, label, unit).
LINKING_SHOWN = (("diameter", "diameter", " px"), ("minmass", "minmass", ""), ("search_range", "search range", " px"),
                 ("memory", "memory", " frames"))


class BatchDialog(QDialog):
    """Choose folders, conditions and an output folder; run the batch; show what it did.

    Parameters
    ----------
    window : MainWindow
        Gives the settings (model, device, linking, folders), the job runner, and
        the error dialog of failed jobs.

    Attributes
    ----------
    files : list of StudyFile
        What the preview found (what Start classifies).
    outcome : StudyOutcome or None
        The last finished run.
    open_url : callable
        Opens a file or folder URL (``QDesktopServices.openUrl``; tests replace it).
    """

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle("Batch Classify Folders")
        self.setModal(False)
        self.files: list[StudyFile] = []
        self.outcome: StudyOutcome | None = None
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl
        self._running = False
        self._handled = False
        self._run_out_dir: Path | None = None
        self._started = False  # a run was started from this dialog (its box then shows the run, not the plan)
        self._state = JobState()
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.update_preview)

        self.folder_list = QListWidget()
        self.folder_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.folder_list.setToolTip("Each folder is searched with its sub-folders for track files and TIFF movies")
        self.add_button = QPushButton("Add Folder…")
        self.add_button.clicked.connect(self._choose_folder)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove_selected)
        self.by_folder = QRadioButton("Sub-folder names, levels below each folder:")
        self.by_folder.setChecked(True)
        self.depth = QSpinBox()
        self.depth.setRange(0, 10)
        self.depth.setValue(1)
        self.depth.setToolTip("1: experiment/control/cells.csv is in 'control'. 2: experiment/control/day1/cells.csv "
                              "is in 'control/day1'. 0: every file is in the condition of the folder you added.")
        self.by_table = QRadioButton("A table: CSV with the columns file, condition")
        self.map_edit = QLineEdit()
        self.map_edit.setPlaceholderText("conditions.csv (one row per file: file,condition)")
        self.map_button = QPushButton("Choose…")
        self.map_button.clicked.connect(self._choose_map)
        self.preview = ConditionPreview()

        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText("folder for results.csv, summary.csv and the report")
        self.out_button = QPushButton("Choose…")
        self.out_button.clicked.connect(self._choose_output)
        self.report_check = QCheckBox("Write the report (HTML and PDF) when done")
        self.report_check.setChecked(True)
        self.force_check = QCheckBox("Classify again files already finished in this output folder")
        self.force_check.setToolTip("Otherwise a file classified before with the same model and options is "
                                    "taken from the output folder's cache, so a stopped batch resumes")
        self.calibration = CalibrationOverride(window.settings.pixel_size_um, window.settings.frame_interval_s)
        self.setup_label = QLabel()
        self.setup_label.setWordWrap(True)
        self.setup_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label = QLabel()
        self.status_label.setObjectName("batchStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_list = QListWidget()
        self.error_list.setObjectName("batchErrors")
        self.error_list.setWordWrap(True)
        self.error_list.setToolTip("The files that failed, why, and what to do (also in errors.csv)")
        self.error_list.hide()
        self.open_report_button = QPushButton("Open Report")
        self.open_report_button.clicked.connect(self.open_report)
        self.open_folder_button = QPushButton("Open Folder")
        self.open_folder_button.clicked.connect(self.open_folder)
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel Run")
        self.cancel_button.setToolTip("Stop after the current step; finished files are kept and reused next time")
        self.cancel_button.clicked.connect(self._cancel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        self._build_layout()

        self.depth.valueChanged.connect(self._schedule_preview)
        self.by_folder.toggled.connect(self._schedule_preview)
        self.map_edit.textChanged.connect(self._schedule_preview)
        self.map_edit.textEdited.connect(lambda _text: self.by_table.setChecked(True))  # typing a table chooses it
        self.out_edit.textChanged.connect(self._update_buttons)
        window.runner.busy_changed.connect(lambda _busy: self._update_buttons())
        window.runner.stopped.connect(self._on_runner_stopped)
        self._update_setup()
        self.update_preview()
        self.resize(1000, 640)

    def _build_layout(self) -> None:
        folder_buttons = QVBoxLayout()
        folder_buttons.addWidget(self.add_button)
        folder_buttons.addWidget(self.remove_button)
        folder_buttons.addStretch(1)
        folders_row = QHBoxLayout()
        folders_row.addWidget(self.folder_list, 1)
        folders_row.addLayout(folder_buttons)
        folders = QGroupBox("Folders to classify")
        folders.setLayout(folders_row)

        depth_row = QHBoxLayout()
        depth_row.addWidget(self.by_folder)
        depth_row.addWidget(self.depth)
        depth_row.addStretch(1)
        map_row = QHBoxLayout()
        map_row.setContentsMargins(24, 0, 0, 0)  # under its radio button's text
        map_row.addWidget(self.map_edit, 1)
        map_row.addWidget(self.map_button)
        conditions_layout = QVBoxLayout()
        conditions_layout.addLayout(depth_row)
        conditions_layout.addWidget(self.by_table)
        conditions_layout.addLayout(map_row)
        conditions_layout.addWidget(self.preview, 1)
        conditions = QGroupBox("Conditions")
        conditions.setLayout(conditions_layout)
        left = QVBoxLayout()
        left.addWidget(folders, 1)
        left.addWidget(conditions, 3)

        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(self.out_button)
        output_layout = QVBoxLayout()
        output_layout.addLayout(out_row)
        output_layout.addWidget(self.report_check)
        output_layout.addWidget(self.force_check)
        output_layout.addWidget(self.calibration)
        output_layout.addWidget(self.setup_label)
        output = QGroupBox("Results")
        output.setLayout(output_layout)
        open_row = QHBoxLayout()
        open_row.addWidget(self.open_report_button)
        open_row.addWidget(self.open_folder_button)
        open_row.addStretch(1)
        run_layout = QVBoxLayout()
        run_layout.addWidget(self.status_label)
        run_layout.addWidget(self.error_list, 1)
        run_layout.addStretch(0)
        run_layout.addLayout(open_row)
        run_box = QGroupBox("Run")
        run_box.setLayout(run_layout)
        right = QVBoxLayout()
        right.addWidget(output)
        right.addWidget(run_box, 1)

        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(buttons)

    # ------------------------------------------------------------------ choosing
    @property
    def folders(self) -> list[Path]:
        """The folders in the list, in order."""
        return [Path(self.folder_list.item(i).text()) for i in range(self.folder_list.count())]

    @property
    def out_dir(self) -> Path | None:
        text = self.out_edit.text().strip()
        return Path(text).expanduser() if text else None

    def add_folders(self, folders: list[str | Path]) -> None:
        """Add folders (once each); the first one also suggests an output folder beside it."""
        for folder in folders:
            text = str(Path(folder).expanduser().resolve())
            if text not in {str(f) for f in self.folders}:
                self.folder_list.addItem(text)
        if self.folders and not self.out_edit.text().strip():
            first = self.folders[0]
            self.out_edit.setText(str(first.parent / f"{first.name}_resandi"))
        self._schedule_preview()

    def set_output(self, folder: str | Path) -> None:
        self.out_edit.setText(str(folder))

    def set_condition_map(self, csv_path: str | Path | None) -> None:
        """Take conditions from a ``file,condition`` table (None: from sub-folders again)."""
        if csv_path is None:
            self.by_folder.setChecked(True)
            return
        self.map_edit.setText(str(csv_path))
        self.by_table.setChecked(True)

    def _choose_folder(self) -> None:
        settings = self.window_.settings
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to classify", settings.last_open_dir)
        if folder:
            settings.last_open_dir = folder
            self.add_folders([folder])

    def _remove_selected(self) -> None:
        for item in self.folder_list.selectedItems():
            self.folder_list.takeItem(self.folder_list.row(item))
        self._schedule_preview()

    def _choose_map(self) -> None:
        start = self.map_edit.text() or self.window_.settings.last_open_dir
        path, _ = QFileDialog.getOpenFileName(self, "Table of conditions (file, condition)", start,
                                              "CSV table (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.set_condition_map(path)

    def _choose_output(self) -> None:
        settings = self.window_.settings
        start = self.out_edit.text() or settings.last_export_dir
        folder = QFileDialog.getExistingDirectory(self, "Write the results to folder", start)
        if folder:
            settings.last_export_dir = folder
            self.set_output(folder)

    # ------------------------------------------------------------------ preview
    def _schedule_preview(self) -> None:
        self._preview_timer.start()

    def update_preview(self) -> None:
        """Find the files and their conditions now, and show them."""
        self._preview_timer.stop()
        self.files = []
        problem = ""
        mapping = self.map_edit.text().strip() if self.by_table.isChecked() else None
        if not self.folders:
            problem = "Add the folders to classify: each is searched, with its sub-folders, for track files and movies."
        elif self.by_table.isChecked() and not mapping:
            problem = "Choose the table of conditions, or take them from the sub-folder names."
        else:
            try:
                self.files = assign_conditions(self.folders, depth=self.depth.value(), condition_map=mapping)
            except ResandiError as exc:
                problem = str(exc)
            if not self.files and not problem:
                problem = "No track file or TIFF movie in these folders."
        self.preview.show_files(self.files, self.folders, problem)
        self._update_buttons()

    def _update_setup(self) -> None:
        settings = self.window_.settings
        linking = settings.linking
        shown = [f"{label} {linking[key]}{unit}" for key, label, unit in LINKING_SHOWN if key in linking]
        self.setup_label.setText(
            f"Model: <b>{html.escape(settings.model or 'the bundled default')}</b> (Analysis ▸ Model), device "
            f"<b>{settings.device}</b> (Analysis ▸ Device). Movies are linked with the Data tab's linking "
            f"settings ({', '.join(shown) if shown else 'the defaults'}).")

    # ------------------------------------------------------------------ running
    def start_problem(self) -> str:
        """Why Start cannot run now ("" when it can)."""
        if self._running or self.window_.runner.busy:
            return "Another job is running; start when it has finished."
        if not self.files:
            return "No file to classify yet."
        return output_problem(self.out_dir, self.folders)

    def _update_buttons(self) -> None:
        problem = self.start_problem()
        self.start_button.setEnabled(not problem)
        self.start_button.setToolTip(problem or f"Classify {len(self.files)} files into {self.out_dir}")
        self.cancel_button.setEnabled(self._running)
        report = self.outcome.report if self.outcome is not None else None
        self.open_report_button.setEnabled(report is not None and report.html.is_file())
        self.open_folder_button.setEnabled(self.outcome is not None or (self.out_dir is not None
                                                                        and self.out_dir.is_dir()))
        if not self._started:  # until the first run, the run box says what Start will do
            self.status_label.setText(self._ready_text(problem))

    def _ready_text(self, problem: str) -> str:
        if not self.files:
            return ""
        if problem:
            return html.escape(problem)
        n_conditions = len({item.condition for item in self.files})
        return (f"Start classifies {len(self.files)} files in {n_conditions} condition"
                f"{'s' if n_conditions != 1 else ''} into {html.escape(str(self.out_dir))}; files finished there "
                "before are reused.")

    def start(self) -> None:
        """Start the batch with what the dialog shows (does nothing when :meth:`start_problem` says why)."""
        self._update_setup()
        if self.start_problem():
            self._update_buttons()
            return
        settings = self.window_.settings
        out_dir, files, report = self.out_dir, list(self.files), self.report_check.isChecked()
        settings.last_export_dir = str(out_dir)
        mapping = Path(self.map_edit.text().strip()) if self.by_table.isChecked() else None
        command = describe_command(self.folders, out_dir, self.depth.value(), mapping, settings.model,
                                   settings.device, self.force_check.isChecked())
        options = batch_options(settings.linking, settings.device, self.force_check.isChecked(),
                                self.calibration.values(), command)
        model = settings.model
        self._state = state = JobState()
        self.outcome = None
        self.error_list.clear()
        self.error_list.hide()
        self._running, self._handled, self._started = True, False, True
        self._run_out_dir = out_dir
        self.status_label.setText(f"Classifying {len(files)} files into {html.escape(str(out_dir))}… Progress and "
                                  "Cancel are also at the bottom of the main window.")
        self.window_.runner.start(TITLE, lambda: batch_job(files, model, out_dir, options, report, state),
                                  on_finished=self._on_finished, on_cancelled=self._on_cancelled)
        self._update_buttons()

    def _cancel(self) -> None:
        if self._running:
            self.window_.runner.cancel()
            self.cancel_button.setEnabled(False)

    def _on_finished(self, outcome: StudyOutcome) -> None:
        self._handled = True
        self.outcome = outcome
        self.status_label.setText(outcome_html(outcome))
        errors = plain_errors(outcome.result.errors) if outcome.result is not None else []
        self.error_list.clear()
        self.error_list.addItems(errors)
        self.error_list.setVisible(bool(errors))
        log.info("batch into %s: %s", outcome.out_dir, outcome_html(outcome))

    def _on_cancelled(self) -> None:
        self._handled = True
        out_dir = html.escape(str(self._run_out_dir))
        if self._state.phase == PHASE_REPORT:
            text = (f"Cancelled while writing the report. The tables in {out_dir} are complete; an earlier "
                    "report there, if any, is unchanged.")
        else:
            text = (f"Cancelled. The files finished so far are kept in {out_dir} and are reused when you press "
                    "Start again; results.csv is written when a run finishes.")
        self.status_label.setText(text)

    def _on_runner_stopped(self) -> None:
        if not self._running:
            return
        self._running = False
        if not self._handled:  # failed: the window shows the error dialog
            self.status_label.setText("The batch stopped with an error (see the message). Files finished before "
                                      "it are kept in the output folder and reused next time.")
        self._update_buttons()

    def open_report(self) -> None:
        if self.outcome is not None and self.outcome.report is not None:
            self.open_url(QUrl.fromLocalFile(str(self.outcome.report.html)))

    def open_folder(self) -> None:
        folder = self.outcome.out_dir if self.outcome is not None else self.out_dir
        if folder is not None:
            self.open_url(QUrl.fromLocalFile(str(folder)))

    def showEvent(self, event) -> None:
        self._update_setup()  # the model, device or linking may have changed since it was last open
        self._update_buttons()
        super().showEvent(event)
