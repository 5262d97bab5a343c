"""Small input widgets shared by the training tab's forms.

A folder field (line edit + Browse), and number fields whose "off" value is
shown as a word ("one pass", "no limit", "all") because TrainConfig spells those
as None. Qt only; nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLocale, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import QDoubleSpinBox, QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QWidget


class FolderField(QWidget):
    """A folder path the user types or picks with a Browse… dialog.

    Parameters
    ----------
    placeholder : str
        Grey text while empty (e.g. "optional").
    start_dir : callable
        Returns the folder the dialog opens in when the field is empty.

    Signals
    -------
    changed(str)
        The text changed (typed, picked or set).
    browsed(Path)
        The user picked a folder in the dialog (the panel remembers where).
    """

    changed = Signal(str)
    browsed = Signal(object)

    def __init__(
        self,
        placeholder: str = "",
        start_dir: Callable[[], str] = lambda: "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse_button)
        self.start_dir = start_dir
        self.edit.textChanged.connect(self.changed)

    def text(self) -> str:
        return self.edit.text().strip()

    def path(self) -> Path | None:
        """The folder, or None when the field is empty."""
        text = self.text()
        return Path(text).expanduser() if text else None

    def set_path(self, path: str | Path | None) -> None:
        self.edit.setText("" if path is None else str(path))
        # Show the end of long paths: the folder's own name matters most.
        self.edit.setCursorPosition(len(self.edit.text()))

    def _browse(self) -> None:
        current = self.path()
        start = str(current) if current is not None and current.exists() else (
            str(current.parent) if current is not None and current.parent.exists() else self.start_dir())
        chosen = QFileDialog.getExistingDirectory(self, "Choose a folder", start)
        if chosen:
            self.set_path(chosen)
            self.browsed.emit(Path(chosen))


class OptionalIntSpin(QSpinBox):
    """An integer spin box whose minimum (0) means "off" and reads as ``off_text``."""

    def __init__(self, off_text: str, maximum: int = 10**9, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, maximum)
        self.setSpecialValueText(off_text)
        self.setGroupSeparatorShown(True)

    def optional_value(self) -> int | None:
        return self.value() or None

    def set_optional_value(self, value: int | None) -> None:
        self.setValue(value or 0)


class OptionalFloatSpin(QDoubleSpinBox):
    """A float spin box whose minimum (0) means "off" and reads as ``off_text``."""

    def __init__(self, off_text: str, maximum: float, decimals: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0.0, maximum)
        self.setDecimals(decimals)
        self.setSpecialValueText(off_text)

    def optional_value(self) -> float | None:
        return self.value() or None

    def set_optional_value(self, value: float | None) -> None:
        self.setValue(value or 0.0)


class FloatEdit(QLineEdit):
    """A positive float typed as text, so 1e-4 and 0.0001 both read exactly.

    A spin box would round the learning rate to its decimals; the CLI parses
    the same text with ``float()``, so the GUI and the CLI give the same value.
    """

    def __init__(self, value: float, minimum: float = 0.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        validator = QDoubleValidator(minimum, 1e9, 12, self)
        validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
        validator.setLocale(QLocale.c())  # a decimal point whatever the user's locale: float() reads it
        self.setValidator(validator)
        self.set_value(value)

    def value(self) -> float:
        """The number; raises ValueError for empty or malformed text."""
        return float(self.text().strip())

    def set_value(self, value: float) -> None:
        self.setText(f"{value:g}")


def button_row(*buttons: QWidget) -> QHBoxLayout:
    """The buttons of a form section, right-aligned, in the order given."""
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row
