"""Section 1 of the training tab: what synthetic data set to generate, and where.

Only the form; the training panel runs :func:`resandi_core.training.synth.iter_generate`
on the job runner. The output folder is named after the settings (size, seed,
lengths, noise) until the user types or picks another, so a second set with
another seed lands in a new folder instead of being refused as "a different
data set" by the resumable generator.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .training_fields import FolderField, button_row

if TYPE_CHECKING:
    from resandi_core.training.synth import DatasetSpec

#: (key, label) of what a freshly generated set is used for; the key also starts the folder name.
ROLES = (("train", "training"), ("val", "validation"), ("test", "testing"))


class GenerateForm(QGroupBox):
    """Trajectories per class, seed, lengths, noise, output folder; a Generate button.

    The defaults are those of ``resandi generate`` (seed 0, lengths 10–1000,
    noiseless), with 10,000 per class: one file of the paper's data set.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("1 · Generate a synthetic data set", parent)
        self.workspace = Path.home()
        self.n_per_class = QSpinBox()
        self.n_per_class.setRange(1, 10_000_000)
        self.n_per_class.setValue(10_000)
        self.n_per_class.setGroupSeparatorShown(True)
        self.n_per_class.setToolTip("The paper trains on 50,000 per class, validates and tests on 10,000 per class.")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Use different seeds for training, validation and test sets.")
        self.fixed_length = QCheckBox("fixed length")
        self.length = QSpinBox()
        self.length.setRange(2, 1000)
        self.length.setValue(1000)
        self.length.setSuffix(" points")
        self.length.setEnabled(False)
        self.fixed_length.toggled.connect(self.length.setEnabled)
        self.fixed_length.setToolTip("Unchecked: lengths drawn uniformly from 10 to 1000 points, as the paper.")
        lengths = QHBoxLayout()
        lengths.addWidget(self.fixed_length)
        lengths.addWidget(self.length, 1)
        self.noise = QDoubleSpinBox()
        self.noise.setRange(0.0, 10.0)
        self.noise.setDecimals(2)
        self.noise.setSingleStep(0.1)
        self.noise.setToolTip("Localisation noise, in units of the increments' standard deviation "
                              "(0 = noiseless, as the paper's training data).")
        self.role = QComboBox()
        for key, label in ROLES:
            self.role.addItem(label, key)
        self.role.setToolTip("When it is ready, the new set fills this folder field of the Train or Evaluate section.")
        self.folder = FolderField("output folder")
        self.folder.edit.textEdited.connect(self._chosen)
        self.folder.browsed.connect(self._chosen)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Generates in parallel processes; a partly generated folder is resumed.")

        form = QFormLayout()
        form.addRow("Trajectories per class", self.n_per_class)
        form.addRow("Seed", self.seed)
        form.addRow("Lengths", lengths)
        form.addRow("Noise σ", self.noise)
        form.addRow("Use for", self.role)
        form.addRow("Folder", self.folder)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(button_row(self.generate_button))

        self._auto_named = True
        for signal in (self.n_per_class.valueChanged, self.seed.valueChanged, self.length.valueChanged,
                       self.noise.valueChanged, self.fixed_length.toggled, self.role.currentIndexChanged):
            signal.connect(self._rename)
        self._rename()

    def set_workspace(self, workspace: Path) -> None:
        """Generated sets go to ``workspace/data/<name from the settings>`` unless the user chose a folder."""
        self.workspace = Path(workspace)
        self._auto_named = True
        self._rename()

    def spec(self) -> DatasetSpec:
        """The data set the form describes (raises ValueError for impossible values)."""
        from resandi_core.training.synth import DatasetSpec

        return DatasetSpec(
            n_per_class=self.n_per_class.value(),
            seed=self.seed.value(),
            fixed_length=self.length.value() if self.fixed_length.isChecked() else None,
            noise=float(self.noise.value()),
        )

    def role_key(self) -> str:
        """``train``, ``val`` or ``test``."""
        return str(self.role.currentData())

    def default_folder(self) -> Path:
        """``workspace/data/<role>_<n>x8_seed<s>_<lengths>[_noise<σ>]``."""
        lengths = f"T{self.length.value()}" if self.fixed_length.isChecked() else "T10-1000"
        noise = f"_noise{self.noise.value():g}" if self.noise.value() > 0 else ""
        name = f"{self.role_key()}_{self.n_per_class.value()}x8_seed{self.seed.value()}_{lengths}{noise}"
        return self.workspace / "data" / name

    def _chosen(self, _folder: object) -> None:
        self._auto_named = False  # the user's folder wins from now on

    def _rename(self) -> None:
        if self._auto_named:
            self.folder.set_path(self.default_folder())
