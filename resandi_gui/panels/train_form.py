"""Section 2 of the training tab: data folders, the recipe, device and augmentation.

Every field maps to one :class:`resandi_core.training.loop.TrainConfig` field, the same
twenty that ``resandi train`` passes, so the same settings give the same model
in the GUI and the CLI. The recipe fields are filled from ``TrainConfig()``
(the paper's recipe), which lives in the torch-free ``train_config`` module so
that building the form does not delay the window's start.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from resandi_core.training.config import TrainConfig

from ..widgets.device_combo import DeviceCombo
from .training_fields import FloatEdit, FolderField, OptionalFloatSpin, OptionalIntSpin, button_row

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
AUGMENTATIONS = (("none", "none"), ("random", "random copies"), ("targeted", "Grad-CAM targeted"))


def _row(*widgets: QWidget | str) -> QHBoxLayout:
    """Widgets (and text) side by side in one form row."""
    layout = QHBoxLayout()
    for widget in widgets:
        layout.addWidget(QLabel(widget) if isinstance(widget, str) else widget)
    layout.addStretch(1)
    return layout


class TrainForm(QGroupBox):
    """Data folders, recipe, device, fine-tuning and augmentation; Train/Resume/Cancel buttons."""

    def __init__(self, default_model: str | None, parent: QWidget | None = None) -> None:
        super().__init__("2 · Train a model", parent)
        self.workspace = Path.home()
        self.data_folder = FolderField("training data set (from Generate)")
        self.val_folder = FolderField("optional: else a share of the training set")
        self.out_folder = FolderField("run folder: checkpoint, history, model")
        self.new_run_button = QPushButton("New")
        self.new_run_button.setToolTip("Pick the next unused run folder in the workspace.")
        self.new_run_button.clicked.connect(lambda: self.out_folder.set_path(self.next_run_folder()))
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_folder, 1)
        out_row.addWidget(self.new_run_button)

        self.max_epochs = QSpinBox()
        self.max_epochs.setRange(1, 1_000_000)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 65_536)
        self.lr = FloatEdit(1e-4)
        self.schedule = QComboBox()
        self.schedule.addItems(["step", "cosine"])
        self.lr_step = QSpinBox()
        self.lr_step.setRange(1, 100_000)
        self.lr_gamma = QDoubleSpinBox()
        self.lr_gamma.setRange(0.01, 1.0)
        self.lr_gamma.setDecimals(3)
        self.lr_gamma.setSingleStep(0.05)
        self.schedule.currentTextChanged.connect(self._schedule_changed)
        self.patience = QSpinBox()
        self.patience.setRange(1, 100_000)
        self.min_delta = FloatEdit(0.001)
        self.min_delta.setMaximumWidth(90)
        self.steps_per_epoch = OptionalIntSpin("one pass")
        self.steps_per_epoch.setToolTip("Optimiser steps per epoch; 'one pass' = the whole training set. "
                                        "Shorter epochs validate and save a checkpoint more often.")
        self.val_fraction = QDoubleSpinBox()
        self.val_fraction.setRange(0.01, 0.99)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.setToolTip("Share of the training set held out for validation (without a validation folder).")
        self.val_folder.changed.connect(lambda text: self.val_fraction.setEnabled(not text.strip()))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.precision = QComboBox()
        self.precision.addItems(PRECISIONS)
        self.precision.setToolTip("auto: fp16 mixed precision on CUDA, bf16 on CPUs that support it "
                                  "(about 2–3× faster), fp32 otherwise.")
        self.max_minutes = OptionalFloatSpin("no limit", 1e7, 1)
        self.max_minutes.setSuffix(" min")
        self.max_minutes.setToolTip("Stop after the epoch during which this much training time has passed.")
        self.bn_batches = OptionalIntSpin("off", 100_000)
        self.bn_batches.setToolTip("Recompute the BatchNorm statistics of the kept weights over this many batches.")
        self.device = DeviceCombo()  # only the devices this computer has; cuda:1 and the like typed
        self.fine_tune = QCheckBox("Fine-tune from the bundled model" + (f" ({default_model})" if default_model else ""))
        self.fine_tune.setEnabled(default_model is not None)
        if default_model is None:
            self.fine_tune.setToolTip("No trained model is bundled with this version.")

        self.augment_buttons = QButtonGroup(self)
        self.augment_radios: dict[str, QRadioButton] = {}
        for key, label in AUGMENTATIONS:
            radio = QRadioButton(label)
            self.augment_buttons.addButton(radio)
            self.augment_radios[key] = radio
            radio.toggled.connect(self._augment_changed)
        self.augment_fraction = QDoubleSpinBox()
        self.augment_fraction.setRange(0.01, 1.0)
        self.augment_fraction.setSingleStep(0.05)
        self.augment_fraction.setToolTip("Share of each class that gets one rotated copy (paper: 0.6).")
        self.augment_pool = OptionalIntSpin("all")
        self.augment_pool.setToolTip("Score at most this many training trajectories per class.")
        self.augment_model = FolderField("model name or folder")
        self.augment_model.set_path(default_model or "")
        self.augment_model.setToolTip("The model whose Grad-CAM scores choose the copies (targeted).")

        self.noise = QComboBox()
        self.noise.addItems(["none", "uniform", "loguniform"])
        self.noise.setToolTip("Localisation noise added on the fly to each training trajectory: Gaussian, with a "
                              "per-trajectory std drawn from this distribution, in units of the track's step size "
                              "(increment std). Real tracks are noisy; 'none' is the paper's noiseless training.")
        self.noise.currentTextChanged.connect(self._noise_changed)
        self.noise_min, self.noise_max = QDoubleSpinBox(), QDoubleSpinBox()
        for spin in (self.noise_min, self.noise_max):
            spin.setRange(0.0, 5.0)
            spin.setSingleStep(0.05)
            spin.setDecimals(3)
        self.noise_clean = QDoubleSpinBox()
        self.noise_clean.setRange(0.0, 1.0)
        self.noise_clean.setSingleStep(0.05)
        self.noise_clean.setToolTip("Share of trajectories kept noiseless, so accuracy on clean tracks is kept.")

        self.train_button = QPushButton("Train")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the run in the output folder from its checkpoint.")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running job; training saves a checkpoint that Resume continues.")

        form = QFormLayout()
        form.addRow("Training data", self.data_folder)
        form.addRow("Validation data", self.val_folder)
        form.addRow("Output folder", out_row)
        form.addRow(self._heading("Recipe (defaults: the paper's)"))
        form.addRow("Max. epochs", _row(self.max_epochs, "  batch size", self.batch_size))
        form.addRow("Learning rate", _row(self.lr, "  steps/epoch", self.steps_per_epoch))
        form.addRow("LR schedule", _row(self.schedule, "every", self.lr_step, "epochs ×", self.lr_gamma))
        form.addRow("Early stopping", _row("patience", self.patience, "min. Δ", self.min_delta))
        form.addRow("Validation share", _row(self.val_fraction, "  seed", self.seed))
        form.addRow("Time limit", self.max_minutes)
        form.addRow("BN recalibration", self.bn_batches)
        form.addRow(self._heading("Compute"))
        form.addRow("Device", _row(self.device, "  precision", self.precision))
        form.addRow("", self.fine_tune)
        form.addRow(self._heading("Augmentation (rotated copies)"))
        form.addRow("Scheme", _row(*self.augment_radios.values()))
        form.addRow("Copies", _row(self.augment_fraction, "of each class, pool", self.augment_pool))
        form.addRow("Grad-CAM model", self.augment_model)
        form.addRow(self._heading("Localisation noise (σ in step-size units)"))
        form.addRow("Noise", _row(self.noise, "σ from", self.noise_min, "to", self.noise_max))
        form.addRow("Kept clean", self.noise_clean)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(button_row(self.train_button, self.resume_button, self.cancel_button))
        self.apply_config(TrainConfig())  # the paper's recipe

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(f"<b>{text}</b>")
        label.setContentsMargins(0, 6, 0, 0)
        return label

    def apply_config(self, config: TrainConfig) -> None:
        """Show ``config`` in the fields."""
        self.max_epochs.setValue(config.max_epochs)
        self.batch_size.setValue(config.batch_size)
        self.lr.set_value(config.lr)
        self.schedule.setCurrentText(config.schedule)
        self.lr_step.setValue(config.lr_step)
        self.lr_gamma.setValue(config.lr_gamma)
        self.patience.setValue(config.patience)
        self.min_delta.set_value(config.min_delta)
        self.steps_per_epoch.set_optional_value(config.steps_per_epoch)
        self.val_fraction.setValue(config.val_fraction)
        self.seed.setValue(config.seed)
        self.device.setCurrentText(config.device)
        self.precision.setCurrentText(config.precision)
        self.augment_radios[config.augment].setChecked(True)
        self.augment_fraction.setValue(config.augment_fraction)
        self.augment_pool.set_optional_value(config.augment_pool)
        if config.augment_model:
            self.augment_model.set_path(config.augment_model)
        self.fine_tune.setChecked(config.init_model == "default")
        self.max_minutes.set_optional_value(config.max_minutes)
        self.bn_batches.setValue(config.bn_recalibration_batches)
        self.noise.setCurrentText(config.noise_augment)
        self.noise_min.setValue(config.noise_sigma_min)
        self.noise_max.setValue(config.noise_sigma_max)
        self.noise_clean.setValue(config.noise_clean_fraction)
        self._schedule_changed(config.schedule)
        self._noise_changed(config.noise_augment)

    def config(self) -> TrainConfig:
        """The recipe in the fields.

        Raises
        ------
        TrainingError
            An impossible combination (e.g. targeted augmentation without a model).
        ValueError
            A number field that does not hold a number.
        """

        augment = next(key for key, radio in self.augment_radios.items() if radio.isChecked())
        try:
            lr, min_delta = self.lr.value(), self.min_delta.value()
        except ValueError:
            raise ValueError("the learning rate and the minimum improvement must be numbers, e.g. 1e-4") from None
        return TrainConfig(
            max_epochs=self.max_epochs.value(),
            batch_size=self.batch_size.value(),
            lr=lr,
            schedule=self.schedule.currentText(),
            lr_step=self.lr_step.value(),
            lr_gamma=round(self.lr_gamma.value(), 6),  # the spin box's binary float, as typed
            patience=self.patience.value(),
            min_delta=min_delta,
            steps_per_epoch=self.steps_per_epoch.optional_value(),
            val_fraction=round(self.val_fraction.value(), 6),
            seed=self.seed.value(),
            device=self.device.currentText().strip() or "auto",
            precision=self.precision.currentText(),
            augment=augment,
            augment_fraction=round(self.augment_fraction.value(), 6),
            # As the CLI when --augment-model is given only for targeted runs.
            augment_model=(self.augment_model.text() or None) if augment == "targeted" else None,
            augment_pool=self.augment_pool.optional_value(),
            init_model="default" if self.fine_tune.isChecked() else None,
            max_minutes=self.max_minutes.optional_value(),
            bn_recalibration_batches=self.bn_batches.value(),
            noise_augment=self.noise.currentText(),
            noise_sigma_min=round(self.noise_min.value(), 6),
            noise_sigma_max=round(self.noise_max.value(), 6),
            noise_clean_fraction=round(self.noise_clean.value(), 6),
        )

    # -- folders ----------------------------------------------------------------------------
    def set_workspace(self, workspace: Path) -> None:
        """New runs go to ``workspace/runs/run-NNN``."""
        self.workspace = Path(workspace)
        self.out_folder.set_path(self.next_run_folder())

    def next_run_folder(self) -> Path:
        """The first ``workspace/runs/run-NNN`` that does not exist yet."""
        runs = self.workspace / "runs"
        k = 1
        while (runs / f"run-{k:03d}").exists():
            k += 1
        return runs / f"run-{k:03d}"

    def has_checkpoint(self) -> bool:
        """True when the output folder holds a run that Resume can continue."""
        out = self.out_folder.path()
        return out is not None and (out / "checkpoint.pt").is_file()

    # -- enabling ---------------------------------------------------------------------------
    def _schedule_changed(self, schedule: str) -> None:
        for widget in (self.lr_step, self.lr_gamma):
            widget.setEnabled(schedule == "step")

    def _noise_changed(self, noise: str) -> None:
        for widget in (self.noise_min, self.noise_max, self.noise_clean):
            widget.setEnabled(noise != "none")

    def _augment_changed(self) -> None:
        augment = next((key for key, radio in self.augment_radios.items() if radio.isChecked()), "none")
        self.augment_fraction.setEnabled(augment != "none")
        self.augment_pool.setEnabled(augment != "none")
        self.augment_model.setEnabled(augment == "targeted")
