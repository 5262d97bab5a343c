"""Ask for the calibration a track file does not carry (µm per px, s per frame)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

UNKNOWN = "unknown"


def _spin(value: float | None, suffix: str, decimals: int, maximum: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setDecimals(decimals)
    spin.setRange(0.0, maximum)
    spin.setSingleStep(10 ** (1 - decimals))
    spin.setSuffix(suffix)
    # 0 shows as "unknown": the value stays uncalibrated (px, frames).
    spin.setSpecialValueText(UNKNOWN)
    spin.setValue(value or 0.0)
    return spin


class CalibrationDialog(QDialog):
    """Pixel size and frame interval for files that do not say them.

    Parameters
    ----------
    names : list of str
        The files concerned, listed in the dialog.
    pixel_size_um, frame_interval_s : float or None
        Prefilled values (the last ones used); None shows "unknown".
    ask_pixel_size, ask_frame_interval : bool
        Which of the two the files lack.
    """

    def __init__(
        self,
        names: list[str],
        pixel_size_um: float | None,
        frame_interval_s: float | None,
        ask_pixel_size: bool = True,
        ask_frame_interval: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibration")
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        intro = QLabel(
            f"<p><b>{shown}</b> do{'es' if len(names) == 1 else ''} not say "
            + " or ".join(
                t for t, ask in (("the pixel size", ask_pixel_size), ("the time between frames", ask_frame_interval)) if ask
            )
            + ".</p><p>Enter them to get positions in µm, MSD in µm² and D in µm²/s^α. "
            "Leave <i>unknown</i> to keep px and frames.</p>"
        )
        intro.setWordWrap(True)
        self.pixel_size = _spin(pixel_size_um, " µm/px", 4, 100.0)
        self.frame_interval = _spin(frame_interval_s, " s/frame", 5, 3600.0)
        form = QFormLayout()
        if ask_pixel_size:
            form.addRow("Pixel size", self.pixel_size)
        if ask_frame_interval:
            form.addRow("Frame interval", self.frame_interval)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(420, self.sizeHint().height())

    def values(self) -> tuple[float | None, float | None]:
        """(µm per px, s per frame); None where left unknown."""
        return (self.pixel_size.value() or None, self.frame_interval.value() or None)
