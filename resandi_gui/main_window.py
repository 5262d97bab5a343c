"""The main window: open files, link movies, classify, see Grad-CAM, train.

It owns the session (the open files), the one :class:`JobRunner` every long job
goes through, and the settings; the panels do the showing. Torch, trackpy and
andi-datasets are imported only inside jobs, so the window opens fast.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QTabWidget,
)

from resandi_core import __version__
from resandi_core.batch import FileOutcome, FileRequest, iter_read_files, iter_write_results
from resandi_core.errors import Failure, ResandiError
from resandi_core.io.inputs import expand_inputs, is_stack_path
from resandi_core.paths import sample_path
from resandi_core.settings import Settings, load_settings, save_settings

from .class_help import show_class_help
from .errors import log_file_path, show_error
from .files import apply_calibration, classify_job, missing_calibration, request_for_movie, request_from_panel
from .gc_guard import collect_garbage_on_ui_thread
from .model_accuracy import accuracy_text, measured_accuracy
from .movie_first_open import GUESS_KEY, movie_linking
from .panels.data_panel import DataPanel
from .panels.results_panel import ResultsPanel
from .panels.training_panel import TrainingPanel
from .session import KIND_MOVIE, KIND_TRACKS, Session, SessionFile
from .study_actions import StudyActions
from .unsaved import confirm_discard, mark_exported
from .wheel_guard import install_wheel_guard
from .widgets.calibration_dialog import CalibrationDialog
from .widgets.job_progress import JobProgress
from .widgets.session_list import SessionList
from .window_menus import fill_device_menu, fill_model_menu
from .workers import JobRunner

log = logging.getLogger(__name__)

OPEN_FILTER = (
    "Tracks and movies (*.csv *.tsv *.txt *.xml *.xlsx *.xls *.h5 *.hdf5 *.npy *.npz *.tif *.tiff);;"
    "TIFF movies (*.tif *.tiff);;Track files (*.csv *.tsv *.txt *.xml *.xlsx *.xls *.h5 *.hdf5 *.npy *.npz);;"
    "All files (*)"
)
TAB_DATA, TAB_RESULTS, TAB_TRAINING = 0, 1, 2
SAMPLE_MOVIE = "bulk_water_50frames.tif"
#: Dark beads on a bright background (resources/samples/README.md).
SAMPLE_MOVIE_LINKING = {"invert": True}

#: (pixel size µm, frame interval s) for files lacking them, or None to cancel opening.
CalibrationAsker = Callable[[list[Path], bool, bool], "tuple[float | None, float | None] | None"]


class MainWindow(QMainWindow):
    """The app's window.

    Parameters
    ----------
    settings : Settings, optional
        Defaults to the user's saved settings; saved again on close.

    Attributes
    ----------
    session : Session
    runner : JobRunner
        Runs every long job, one at a time; more are queued.
    data_panel, results_panel, training_panel
    ask_calibration : callable
        Asks for missing calibration; tests replace it to avoid a modal dialog.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        collect_garbage_on_ui_thread()  # never destroy Qt objects on a worker thread
        install_wheel_guard()  # the wheel edits no spin box or combo box the user has not clicked into
        self.settings = settings if settings is not None else load_settings()
        self.setWindowTitle(f"ResAnDi {__version__}")
        self.resize(1400, 900)
        self.setAcceptDrops(True)
        self.session = Session(self)
        self.runner = JobRunner(self)
        self.last_error_box = None
        self.last_export: list[Path] = []
        self.warm_up_thread = None
        self.ask_calibration: CalibrationAsker = self._ask_calibration_dialog

        self.data_panel = DataPanel(self.runner, self.session, self.settings)
        self.results_panel = ResultsPanel()
        self.results_panel.set_relu(self.settings.gradcam_relu)
        self.training_panel = TrainingPanel(self.runner, self.settings)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.data_panel, "Data")
        self.tabs.addTab(self.results_panel, "Results")
        self.tabs.addTab(self.training_panel, "Training")
        self.setCentralWidget(self.tabs)

        self.session_list = SessionList(self.session)
        self.session_list.setMinimumWidth(170)  # leaves the views room in a 1280 px window
        dock = QDockWidget("Files", self)
        dock.setObjectName("filesDock")
        dock.setWidget(self.session_list)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.resizeDocks([dock], [200], Qt.Orientation.Horizontal)

        self.job_progress = JobProgress(self.runner)
        self.statusBar().addPermanentWidget(self.job_progress)
        self._build_menus()
        self._connect()
        self._update_actions()
        self.statusBar().showMessage("Open a track file or a TIFF movie (File ▸ Open, or drop it here). "
                                     "Help ▸ Open sample tries the app on real data.")

    # ----------------------------------------------------------------- menus
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = file_menu.addAction("&Open…", self.choose_files)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.close_action = file_menu.addAction("&Close File", self._close_current)
        self.close_action.setShortcut(QKeySequence.StandardKey.Close)
        file_menu.addSeparator()
        self.calibration_action = file_menu.addAction("Set &Calibration…", self._edit_calibration)
        self.export_action = file_menu.addAction("&Export Results…", self.choose_export_folder)
        self.export_action.setShortcut("Ctrl+E")
        self.study_actions = StudyActions(self, file_menu)  # Export Report…, Batch Classify Folders…
        file_menu.addSeparator()
        self.quit_action = file_menu.addAction("&Quit", lambda: confirm_discard(self, self.session.files, "Quit")
                                               and self.close())
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        analysis = bar.addMenu("&Analysis")
        self.classify_action = analysis.addAction("&Classify This File", lambda: self.classify([self.session.current]))
        self.classify_action.setShortcut("Ctrl+R")
        self.classify_all_action = analysis.addAction("Classify &All Files", lambda: self.classify(self.session.files))
        self.classify_all_action.setShortcut("Ctrl+Shift+R")
        analysis.addAction(self.study_actions.batch_action)
        analysis.addSeparator()
        self.model_menu = analysis.addMenu("&Model")
        self.model_menu.aboutToShow.connect(self._fill_model_menu)
        self.device_menu = analysis.addMenu("&Device")  # only the devices this computer has
        self.device_menu.aboutToShow.connect(lambda: fill_device_menu(self.device_menu, self.settings.device,
                                                                      self._set_device))

        help_menu = bar.addMenu("&Help")
        help_menu.addAction("Open Sample &Tracks (TrackMate CSV)", lambda: self.open_files([sample_path("bulk_water_tracks.csv")]))
        help_menu.addAction("Open Sample &Movie (TIFF)", self.open_sample_movie)
        help_menu.addAction("The &Eight Classes…", lambda: show_class_help(self))
        help_menu.addSeparator()
        help_menu.addAction("Show &Log File", self._show_log_path)
        help_menu.addAction("&About ResAnDi", self._show_about)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_files:
            self.recent_menu.addAction(path, lambda p=path: self.open_files([Path(p)]))
        if not self.settings.recent_files:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _fill_model_menu(self) -> None:
        fill_model_menu(self.model_menu, self.settings.model, self.use_model, self._choose_model_folder)

    def _connect(self) -> None:
        self.runner.failed.connect(self._on_job_failed)
        self.runner.busy_changed.connect(lambda _busy: self._update_actions())
        self.session.current_changed.connect(self._show_current)
        self.session.file_changed.connect(self._on_file_changed)
        self.results_panel.track_selected.connect(self.data_panel.highlight_track)
        self.results_panel.relu_toggled.connect(self._set_relu)
        self.data_panel.linking_changed.connect(self._set_linking)
        self.training_panel.use_model_requested.connect(self.use_model)
        welcome = self.data_panel.welcome
        welcome.open_clicked.connect(self.choose_files)
        welcome.sample_tracks_clicked.connect(lambda: self.open_files([sample_path("bulk_water_tracks.csv")]))
        welcome.sample_movie_clicked.connect(self.open_sample_movie)

    def _update_actions(self) -> None:
        busy = self.runner.busy
        has_file = self.session.current is not None
        self.classify_action.setEnabled(has_file and not busy)
        self.classify_all_action.setEnabled(bool(self.session.files) and not busy)
        self.close_action.setEnabled(has_file and not busy)
        self.calibration_action.setEnabled(has_file and not busy)
        current = self.session.current
        self.export_action.setEnabled(any(f.result is not None for f in self.session.files) and not busy)
        self.setWindowTitle(f"ResAnDi {__version__}" + (f" — {current.name}" if current else ""))

    # ------------------------------------------------------------------ jobs
    def run_job(self, title: str, factory: Callable, on_finished: Callable | None = None) -> None:
        """Run a job now, or after the running and queued ones."""
        self.runner.enqueue(title, factory, on_finished)

    def warm_up(self) -> None:
        """Import torch, trackpy and the classifier in a background thread.

        Loading torch's shared libraries holds Python's lock for about 0.4-1.3 s, so
        whichever thread imports it first stalls the window that long. Done right after
        the window is shown, it happens once while the user looks at the window, not in
        the middle of the first classification or spot preview.
        """
        import threading

        def load() -> None:
            try:
                import trackpy  # noqa: F401

                import resandi_core.classify  # noqa: F401 - imports torch and the network
            except Exception:  # noqa: BLE001 - the job that needs it will report the problem
                log.exception("warm-up import failed")

        self.warm_up_thread = threading.Thread(target=load, name="resandi-warm-up", daemon=True)
        self.warm_up_thread.start()

    @property
    def is_idle(self) -> bool:
        """No job running and none queued."""
        return self.runner.is_idle

    def _on_job_failed(self, failure: Failure) -> None:
        # Queued jobs (files opened meanwhile) do not depend on this one: they still run.
        title = "Could not finish: " + (self.runner.title or "job")
        show_error(self, title, failure.message, failure.details)

    def _report_failures(self, outcomes: Sequence[FileOutcome], verb: str) -> None:
        failed = [o for o in outcomes if o.failure]
        if not failed:
            return
        message = (
            f"{len(failed)} of {len(outcomes)} file(s) could not be {verb}; the others were.\n\n"
            + "\n\n".join(o.failure for o in failed)
        )
        show_error(self, f"Some files could not be {verb}", message, "\n".join(o.details for o in failed))

    # ----------------------------------------------------------------- files
    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open tracks or movies", self.settings.last_open_dir, OPEN_FILTER)
        if paths:
            self.open_files([Path(p) for p in paths])

    def open_files(self, paths: Iterable[str | Path]) -> None:
        """Open track files and movies (read in the background); already open ones are shown."""
        paths = [Path(p).resolve() for p in paths]
        new = [p for p in paths if self.session.find(p) is None]
        for path in paths:
            if self.session.find(path) is not None:
                self.session.set_current(self.session.find(path))
        if not new:
            return
        self.settings.last_open_dir = str(new[-1].parent)
        title = f"Opening {new[0].name}" + (f" and {len(new) - 1} more" if len(new) > 1 else "")
        self.run_job(title, lambda: iter_read_files(new), self._add_opened)

    def open_sample_movie(self) -> None:
        """Open the bundled bulk_water movie (set up for its dark beads when opened)."""
        self.open_files([sample_path(SAMPLE_MOVIE)])

    def _add_opened(self, outcomes: list[FileOutcome]) -> None:
        opened = [o for o in outcomes if not o.failure]
        self._complete_calibration(opened)
        movies = movie_linking(opened, self.settings, self.ask_calibration)  # dark/bright guess, calibration
        for outcome in opened:
            kind = KIND_MOVIE if is_stack_path(outcome.path) else KIND_TRACKS
            linking = dict(movies.get(outcome.path, self.settings.linking))
            if outcome.path == sample_path(SAMPLE_MOVIE).resolve():
                linking.update(SAMPLE_MOVIE_LINKING)  # however it was opened
            entry = SessionFile(outcome.path, kind, tracks=outcome.tracks, linking=linking)
            self.session.add(entry)
            self.settings.add_recent(outcome.path)
            if entry.tracks is not None:
                self.statusBar().showMessage(entry.tracks.summary(), 15_000)
        self._report_failures(outcomes, "opened")
        self._save_settings()

    def _complete_calibration(self, outcomes: list[FileOutcome]) -> None:
        """Ask once for the pixel size / frame interval that track files lack."""
        need_px, need_dt = missing_calibration(outcomes)
        if not need_px and not need_dt:
            return
        names = sorted({Path(t.source).name for t in need_px + need_dt})
        answer = self.ask_calibration([Path(n) for n in names], bool(need_px), bool(need_dt))
        if answer is None:
            return
        apply_calibration(need_px, need_dt, *answer)
        self.settings.pixel_size_um = answer[0] or self.settings.pixel_size_um
        self.settings.frame_interval_s = answer[1] or self.settings.frame_interval_s

    def _ask_calibration_dialog(self, paths: list[Path], ask_px: bool, ask_dt: bool):
        dialog = CalibrationDialog([p.name for p in paths], self.settings.pixel_size_um,
                                   self.settings.frame_interval_s, ask_px, ask_dt, self)
        return dialog.values() if dialog.exec() == CalibrationDialog.DialogCode.Accepted else None

    def _edit_calibration(self) -> None:
        entry = self.session.current
        if entry is None or entry.tracks is None:
            self.statusBar().showMessage("Link the movie first; its calibration is set in the linking panel.", 10_000)
            return
        tracks = entry.tracks
        dialog = CalibrationDialog([entry.name], tracks.pixel_size_um, tracks.frame_interval_s,
                                   tracks.position_unit == "px", True, self)
        if dialog.exec() != CalibrationDialog.DialogCode.Accepted:
            return
        pixel_size, interval = dialog.values()
        calibrated = dataclasses.replace(
            tracks, frame_interval_s=interval,
            pixel_size_um=pixel_size if tracks.position_unit == "px" else tracks.pixel_size_um,
        )
        # The MSD fits (and so the results) used the old calibration: they go.
        self.session.replace_tracks(entry, calibrated, entry.link_result)

    def _close_current(self) -> None:
        current = self.session.current
        if current is not None and confirm_discard(self, [current], "Close"):
            self.session.remove(current)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        try:  # folders: the track files and movies inside, recursively, as `resandi classify DIR`
            files = expand_inputs(paths)
        except ResandiError as exc:
            show_error(self, "Nothing to open", str(exc))
            return
        self.open_files(files)

    # -------------------------------------------------------------- classify
    def classify(self, entries: Iterable[SessionFile | None]) -> None:
        """Classify files (linking movies first with their panel's parameters)."""
        entries = [e for e in entries if e is not None]
        if not entries:
            return
        requests = [self._classify_request(entry) for entry in entries]
        model, device = self.settings.model, self.settings.device
        tracks_used = [entry.tracks for entry in entries]
        title = f"Classifying {entries[0].name}" + (f" and {len(entries) - 1} more" if len(entries) > 1 else "")

        def land(outcome: tuple) -> None:
            loaded, outcomes = outcome
            for entry, done, used in zip(entries, outcomes, tracks_used):
                if done.failure:
                    continue
                if entry.tracks is not used:  # recalibrated or relinked meanwhile: this result is stale
                    self.statusBar().showMessage(f"{entry.name} changed while it was classified; classify it again.",
                                                 30_000)
                    continue
                entry.tracks, entry.result, entry.model = done.tracks, done.result, loaded
                if done.link_result is not None:
                    entry.link_result = done.link_result
                self.session.changed(entry)
            self._report_failures(outcomes, "classified")
            if not loaded.trained:
                self.statusBar().showMessage(
                    f"Model {loaded.name} is UNTRAINED (random weights): its classes are meaningless. "
                    "Choose a trained model in Analysis ▸ Model.", 30_000)
            if any(not o.failure for o in outcomes) and self.session.current in entries:
                self.tabs.setCurrentIndex(TAB_RESULTS)
                self.results_panel.show_file(self.session.current)

        self.run_job(title, lambda: classify_job(requests, model, device), land)

    def _classify_request(self, entry: SessionFile) -> FileRequest:
        """What to classify for ``entry``; an unlinked movie is linked exactly as its
        Link button would (parameters, frame range, the calibration the user typed)."""
        if entry.tracks is not None:
            return FileRequest(entry.path, entry.tracks)
        if entry is self.session.current:  # the panel shows this movie: use what it shows
            return request_from_panel(entry.path, self.data_panel.link_request())
        view = self.data_panel.views.get(entry)
        return request_for_movie(entry.path, {**self.settings.linking, **entry.linking},
                                 view.frames if view is not None else None)

    def use_model(self, name_or_path: str) -> None:
        """Classify with this model from now on (a name or a model folder)."""
        self.settings.model = str(name_or_path)
        self._save_settings()
        accuracy = accuracy_text(measured_accuracy(name_or_path))
        self.statusBar().showMessage(f"Classifying with model {name_or_path} from now on ({accuracy}).", 15_000)

    def _choose_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder (with config.json)")
        if folder:
            self.use_model(folder)

    def _set_device(self, name: str) -> None:
        self.settings.device = name
        self._save_settings()

    def _set_relu(self, relu: bool) -> None:
        self.settings.gradcam_relu = relu

    def _set_linking(self, values: dict) -> None:
        values = dict(values)
        current = self.session.current
        if current is not None and (current.path == sample_path(SAMPLE_MOVIE).resolve() or GUESS_KEY in current.linking):
            from resandi_core.linking import LinkingParams

            defaults = LinkingParams().to_dict()
            for key in SAMPLE_MOVIE_LINKING:  # a movie's (guessed) dark beads are not the user's default
                values[key] = self.settings.linking.get(key, defaults[key])
        self.settings.linking = values

    # --------------------------------------------------------------- export
    def choose_export_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export results to folder", self.settings.last_export_dir)
        if folder:
            self.settings.last_export_dir = folder
            self.export_results(Path(folder))

    def export_results(self, folder: Path) -> None:
        """Write results.csv, gradcam.csv and windows.csv of every classified file, as the
        CLI does, in the background (millions of Grad-CAM rows take seconds)."""
        results = [f.result for f in self.session.files if f.result is not None]
        if not results:
            return

        def done(written: list[Path]) -> None:
            self.last_export = written
            mark_exported(results)
            self.statusBar().showMessage("Wrote " + ", ".join(p.name for p in written) + f" in {folder}", 15_000)

        self.run_job(f"Exporting to {folder.name}", lambda: iter_write_results(results, folder), done)

    # ----------------------------------------------------------------- views
    def _show_current(self, entry: SessionFile | None) -> None:
        self.data_panel.show_file(entry)
        self.results_panel.show_file(entry)
        if entry is not None:
            self.tabs.setCurrentIndex(TAB_RESULTS if entry.result is not None else TAB_DATA)
        self._update_actions()

    def _on_file_changed(self, entry: SessionFile) -> None:
        if entry is self.session.current:  # the data panel follows the session itself
            self.results_panel.show_file(entry)
        self._update_actions()

    def _show_log_path(self) -> None:
        QMessageBox.information(self, "Log file", f"ResAnDi writes its log to\n{log_file_path()}\n\n"
                                "Attach it to a bug report.")

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            "About ResAnDi",
            f"ResAnDi {__version__}\n\nClassifies single-particle trajectories into eight anomalous-diffusion "
            "mechanisms and shows with Grad-CAM where the network looked.\n\nBased on Bae, Baek & Jeong, "
            "'Exploring how deep learning decodes anomalous diffusion via Grad-CAM' (2024).\n\n"
            "Sample data: trackpy-examples bulk_water (BSD-3 / CC-BY 3.0).",
        )

    # ------------------------------------------------------------- settings
    def _save_settings(self) -> None:
        try:
            save_settings(self.settings)
        except OSError as exc:
            log.warning("could not save settings: %s", exc)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        # The user closing the window (spontaneous; File > Quit asked already, tests and scripts do not ask).
        if event.spontaneous() and not confirm_discard(self, self.session.files, "Quit"):
            event.ignore()
            return
        if self.runner.busy:
            answer = QMessageBox.question(
                self, "A job is running", f"{self.runner.title} is still running. Cancel it and quit?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.runner.clear_queue()
            self.runner.cancel()
            self.statusBar().showMessage("Stopping the running job…")
            self.runner.wait(None)  # no thread may outlive the window: Qt would abort
        self.data_panel.shutdown()
        if self.warm_up_thread is not None:
            self.warm_up_thread.join()  # an interpreter exiting mid-import of torch can crash
        self._save_settings()
        super().closeEvent(event)
