"""Section 3 of the training tab: which model to evaluate on which test set.

Only the form; the training panel runs the evaluation. The model field is filled
with the run's folder when a training run finishes; "Use this model" hands that
folder to the classification views.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFormLayout, QGroupBox, QPushButton, QVBoxLayout, QWidget

from .training_fields import FolderField, button_row


def is_model_folder(folder: Path | None) -> bool:
    """True for a folder holding a model's ``config.json`` and ``model.safetensors`` (no file is read)."""
    return folder is not None and (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()


class EvaluateForm(QGroupBox):
    """Model folder, test data folder; Evaluate and Use this model buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("3 · Evaluate and use the model", parent)
        self.model_folder = FolderField("model folder (a finished run)")
        self.test_folder = FolderField("test data set (from Generate)")
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.setToolTip("Accuracy and confusion matrix on the test set; tables, confusion.png and "
                                        "the model card's test section are written into the model's evaluation/.")
        self.use_model_button = QPushButton("Use this model")
        self.use_model_button.setToolTip("Classify trajectories with this model.")
        form = QFormLayout()
        form.addRow("Model", self.model_folder)
        form.addRow("Test data", self.test_folder)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(button_row(self.evaluate_button, self.use_model_button))

    def model_path(self) -> Path | None:
        return self.model_folder.path()

    def holds_model(self) -> bool:
        """True when the model field names a model folder."""
        return is_model_folder(self.model_path())
