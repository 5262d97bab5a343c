"""The Training tab: generate data, train (with an honest time estimate), evaluate, use.

Forms on the left (:mod:`.generate_form`, :mod:`.train_form`, :mod:`.evaluate_form`),
live curves and the confusion matrix on the right. Every job runs on the shared
:class:`~resandi_gui.workers.JobRunner`, built inside its factory so torch and
andi-datasets load on the worker thread; results land through the job's own
callbacks. While any job runs, every button that would start another is off.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from resandi_core.errors import ResandiError
from resandi_core.progress import format_duration
from resandi_core.settings import Settings

from ..model_accuracy import accuracy_text, confirm_use_model, measured_accuracy
from ..workers import JobFactory, JobRunner
from . import training_jobs as jobs
from .evaluate_form import EvaluateForm
from .generate_form import GenerateForm
from .train_form import TrainForm
from .training_results import TrainingResults

#: Runs estimated longer than this (s) ask before they start.
LONG_RUN_S = 3600.0


def default_workspace(settings: Settings) -> Path:
    """``settings.last_training_dir``, else ``<user data dir>/training``."""
    if settings.last_training_dir:
        return Path(settings.last_training_dir)
    from resandi_core.paths import training_workspace_dir

    return training_workspace_dir()


class TrainingPanel(QWidget):
    """The training tab.

    Parameters
    ----------
    runner : JobRunner
        The app's job runner (shared: one job at a time across the app).
    settings : Settings
        Read for the device and workspace; the workspace is written back.

    Attributes
    ----------
    confirm_long_runs : callable(estimate_s, rate) -> bool
        Asked before a run estimated over :data:`LONG_RUN_S`; the default shows a
        question dialog. Tests replace it.
    rate_steps : int
        Timed optimiser steps of the speed measurement before a run.
    model_dir : Path or None
        The model folder of the last run that finished.
    last_evaluation : Evaluation or None
    last_estimate : tuple (estimate_s, rate) or None
        Of the last speed measurement.

    Signals
    -------
    use_model_requested(str)
        The folder of a trained model the user wants to classify with.
    """

    use_model_requested = Signal(str)

    def __init__(self, runner: JobRunner, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.settings = settings
        self.confirm_long_runs: Callable[[float, float], bool] = self._ask_long_run
        self.rate_steps = 3
        self.generate_workers: int | None = None  # all cores
        self.model_dir: Path | None = None
        self.last_evaluation: Any = None
        self.last_estimate: tuple[float, float] | None = None
        self._job: str | None = None  # which of our jobs runs; None while the runner is free or busy elsewhere
        self._pending_question = ""
        from resandi_core.model.registry import default_model_name  # reads a marker file; no torch

        self.generate_form = GenerateForm()
        self.train_form = TrainForm(default_model_name())
        self.evaluate_form = EvaluateForm()
        self.train_form.device.setCurrentText(settings.device or "auto")
        self.results = TrainingResults()
        # Public names the main window and the tests use.
        self.curves = self.results.curves
        self.confusion = self.results.confusion
        self.status_label = self.results.status_label
        self._say = self.results.say
        self.generate_button = self.generate_form.generate_button
        self.train_button = self.train_form.train_button
        self.resume_button = self.train_form.resume_button
        self.cancel_button = self.train_form.cancel_button
        self.evaluate_button = self.evaluate_form.evaluate_button
        self.use_model_button = self.evaluate_form.use_model_button
        self._build_layout()

        for field in (self.generate_form.folder, self.train_form.data_folder, self.train_form.val_folder,
                      self.train_form.out_folder, self.evaluate_form.model_folder, self.evaluate_form.test_folder,
                      self.train_form.augment_model):
            field.start_dir = lambda: str(self.workspace)
        self.generate_button.clicked.connect(self._start_generate)
        self.train_button.clicked.connect(lambda: self._start_train(resume=False))
        self.resume_button.clicked.connect(lambda: self._start_train(resume=True))
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.evaluate_button.clicked.connect(self._start_evaluate)
        self.use_model_button.clicked.connect(self._use_model)
        self.train_form.out_folder.changed.connect(self._update_buttons)
        self.evaluate_form.model_folder.changed.connect(self._update_buttons)
        runner.busy_changed.connect(self._update_buttons)
        runner.progress.connect(self._on_progress)
        runner.failed.connect(self._on_failed)
        runner.stopped.connect(self._on_stopped)
        self.workspace = default_workspace(settings)
        self.set_workspace(self.workspace)

    # -- layout ---------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.workspace_label = QLabel()
        self.workspace_label.setWordWrap(True)
        change = QPushButton("Change…")
        change.setToolTip("Where new data sets (data/) and runs (runs/) go.")
        change.clicked.connect(self._choose_workspace)
        top = QHBoxLayout()
        top.addWidget(self.workspace_label, 1)
        top.addWidget(change)
        forms = QWidget()
        column = QVBoxLayout(forms)
        column.addLayout(top)
        for form in (self.generate_form, self.train_form, self.evaluate_form):
            column.addWidget(form)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(forms)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(forms.sizeHint().width() + 24)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(self.results)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        layout = QHBoxLayout(self)
        layout.addWidget(splitter)

    # -- workspace --------------------------------------------------------------------------------
    def set_workspace(self, folder: str | Path) -> None:
        """Put new data sets in ``folder/data`` and runs in ``folder/runs``; remembered in the settings."""
        self.workspace = Path(folder).expanduser()
        self.settings.last_training_dir = str(self.workspace)
        self.workspace_label.setText(f"Workspace: <code>{self.workspace}</code>")
        self.generate_form.set_workspace(self.workspace)
        self.train_form.set_workspace(self.workspace)
        self._update_buttons()

    def _choose_workspace(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Training workspace", str(self.workspace))
        if chosen:
            self.set_workspace(chosen)

    # -- state ------------------------------------------------------------------------------------
    def _update_buttons(self, *_: object) -> None:
        free = not self.runner.busy
        for button in (self.generate_button, self.train_button, self.evaluate_button):
            button.setEnabled(free)
        self.resume_button.setEnabled(free and self.train_form.has_checkpoint())
        self.cancel_button.setEnabled(not free)
        self.use_model_button.setEnabled(self.evaluate_form.holds_model())

    def _start(self, kind: str, title: str, factory: JobFactory, on_finished: Callable[[Any], None],
               on_cancelled: Callable[[], None]) -> None:
        self._job = kind
        self.runner.start(title, factory, on_finished=on_finished, on_cancelled=on_cancelled)

    def _on_stopped(self) -> None:
        if not self.runner.busy:  # a callback may have started our next job already
            self._job = None
        self._update_buttons()

    def _on_failed(self, failure: Any) -> None:
        if self._job is not None:  # the main window shows the error itself
            self._say(f"{self._job.capitalize()} failed: {getattr(failure, 'message', failure)}", error=True)

    def _on_progress(self, event: Any) -> None:
        if self._job is not None:  # else the event belongs to another panel's job
            self.results.show_progress(self._job, event)

    # -- generate ---------------------------------------------------------------------------------
    def _start_generate(self) -> None:
        form = self.generate_form
        try:
            spec = form.spec()
        except ValueError as exc:
            self._say(str(exc), error=True)
            return
        folder, role = form.folder.path(), form.role_key()
        if folder is None:
            self._say("Choose the folder to generate into.", error=True)
            return

        def factory():
            from resandi_core.training.synth import iter_generate

            return iter_generate(folder, spec, workers=self.generate_workers)

        def finished(path: Path) -> None:
            target = {"train": self.train_form.data_folder, "val": self.train_form.val_folder,
                      "test": self.evaluate_form.test_folder}[role]
            target.set_path(path)
            self._say(f"Generated {8 * spec.n_per_class:,} trajectories in {path}.")

        self._start("generate", f"Generating {8 * spec.n_per_class:,} trajectories", factory, finished,
                    lambda: self._say("Generation stopped; Generate with the same settings resumes it."))

    # -- train ------------------------------------------------------------------------------------
    def _start_train(self, resume: bool) -> None:
        form = self.train_form
        data, val, out = form.data_folder.path(), form.val_folder.path(), form.out_folder.path()
        try:
            config = form.config()
            n_total = jobs.dataset_size(data, "training data")
            if val is not None:
                jobs.dataset_size(val, "validation data")
            if out is None:
                raise jobs.FolderProblem("choose an output folder for the run")
            if not resume and form.has_checkpoint():
                raise jobs.FolderProblem(f"{out} already holds a run: Resume it, or press New for another folder")
        except (jobs.FolderProblem, ValueError, ResandiError) as exc:  # ResandiError: an impossible recipe
            self._say(str(exc), error=True)
            return
        if resume:
            # The checkpoint's recipe wins (iter_train); the run was confirmed when it started.
            self._launch_training(config, data, val, out, resume=True)
            return
        n_train = n_total if val is not None else n_total - max(1, round(n_total * config.val_fraction))

        def measured(result: jobs.RateMeasurement) -> None:
            # Decide once the measurement job has fully stopped, so the question and the
            # next job do not happen inside the runner's end-of-job signals.
            QTimer.singleShot(0, lambda: self._after_measure(result, config, n_train, data, val, out))

        self._start("measure", "Measuring the training speed", lambda: jobs.measure_job(config, self.rate_steps),
                    measured, lambda: self._say("Cancelled before training started."))

    def _after_measure(self, result: jobs.RateMeasurement, config: Any, n_train: int, data: Path,
                       val: Path | None, out: Path) -> None:
        from resandi_core.training.estimate import estimate_training_seconds, training_items

        items = training_items(n_train, config)
        estimate = estimate_training_seconds(config, items, result.rate)
        self.last_estimate = (estimate, result.rate)
        self._pending_question = jobs.long_run_message(estimate, result, config, items)
        if estimate > LONG_RUN_S and not self.confirm_long_runs(estimate, result.rate):
            self._say(f"Not started (estimated {format_duration(estimate)} at {result.rate:,.0f} samples/s "
                      f"on {result.device_text}).")
            return
        if self.runner.busy:  # another tab started a job in the moment between
            self._say("Another job started meanwhile; press Train again when it has finished.", error=True)
            return
        self._launch_training(config, data, val, out, resume=False)

    def _ask_long_run(self, estimate_s: float, rate: float) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "A long training run", self._pending_question, parent=self)
        go = box.addButton("Continue", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is go

    def _launch_training(self, config: Any, data: Path, val: Path | None, out: Path, resume: bool) -> None:
        self.results.start_run(config.max_epochs, str(out / "history.csv") if resume else None)

        def factory():
            # A child process: checkpoint writes hold the GIL for 100-200 ms, which in a
            # thread would stall the window (benchmarks/gui_stall.py).
            from ..process_job import run_in_process

            return run_in_process("resandi_core.training.loop.iter_train", data, out, config, val_dir=val, resume=resume)

        def finished(path: Path) -> None:
            self.model_dir = Path(path)
            self.evaluate_form.model_folder.set_path(path)
            epochs = self.curves.epochs[-1] if self.curves.epochs else 0
            kept = self.results.best
            best = f"best epoch {kept[0]} (validation loss {kept[1]:.4f})" if kept else "best epoch"
            self._say(f"Finished after {epochs} epochs; the weights of the {best} are in {path}. "
                      "Evaluate them, or use the model.")

        def cancelled() -> None:
            # The child process may have finished another epoch before it saw the cancel:
            # show what the checkpoint holds, not what had arrived.
            self.curves.load_history(out / "history.csv")
            self._say(f"Stopped; the checkpoint in {out} keeps the exact place. Resume continues it.")

        self._start("train", f"Training {out.name}", factory, finished, cancelled)

    # -- evaluate and use ---------------------------------------------------------------------------
    def _start_evaluate(self) -> None:
        model_dir, test = self.evaluate_form.model_path(), self.evaluate_form.test_folder.path()
        try:
            if not self.evaluate_form.holds_model():
                raise jobs.FolderProblem("choose a model folder (a finished run) to evaluate")
            jobs.dataset_size(test, "test data")
        except jobs.FolderProblem as exc:
            self._say(str(exc), error=True)
            return
        out, card = jobs.evaluation_folder(model_dir, self.workspace)
        device = self.train_form.device.currentText().strip() or "auto"

        def finished(evaluation: Any) -> None:
            self.last_evaluation = evaluation
            self.results.show_evaluation(evaluation, str(out))

        self._start("evaluate", f"Evaluating {model_dir.name}",
                    lambda: jobs.evaluate_job(model_dir, test, device, out, card), finished,
                    lambda: self._say("Evaluation cancelled."))

    def _use_model(self) -> None:
        path = self.evaluate_form.model_path()
        if path is None:
            return
        if not confirm_use_model(self, path):  # unevaluated, or worse than the bundled model
            self._say(f"Kept the model in use; {path.name} is {accuracy_text(measured_accuracy(path))}.")
            return
        self._say(f"Classifying with {path.name} from now on ({accuracy_text(measured_accuracy(path))}).")
        self.use_model_requested.emit(str(path))

