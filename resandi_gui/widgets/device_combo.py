"""The devices this computer can compute on, and a combo box that offers only those.

Shared by Analysis ▸ Device (:mod:`resandi_gui.window_menus`) and the Training
tab's Device box: ``cuda`` is offered only where PyTorch sees an NVIDIA GPU,
``mps`` only on an Apple GPU, so a user is never offered a choice that fails.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QComboBox, QWidget

log = logging.getLogger(__name__)

#: Offered on every computer, without asking torch.
ALWAYS = ("auto", "cpu")


def available_devices() -> list[str]:
    """``["auto", "cpu"]`` plus ``"cuda"`` and ``"mps"`` where PyTorch can use them."""
    devices = list(ALWAYS)
    try:
        import torch
    except ImportError:  # the job that needs torch says so; the box still offers the CPU
        log.exception("torch could not be imported to list the devices")
        return devices
    if torch.cuda.is_available():
        devices.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


class DeviceCombo(QComboBox):
    """An editable device box listing :func:`available_devices`, found again each time it opens.

    Filled when the list opens rather than when built: the window is built before
    torch is imported (start-up stays fast), and by the time a user opens the list
    the warm-up has loaded it. Editable, for ``cuda:1`` and the like; a saved
    device not available here stays in the box as typed text, so the user sees it.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.refresh()

    def refresh(self) -> None:
        """List the devices available now, keeping the text shown."""
        text = self.currentText()
        # Ask torch only once it is loaded (by the warm-up); importing it here would block start-up.
        names = available_devices() if "torch" in sys.modules else list(ALWAYS)
        self.blockSignals(True)
        try:
            self.clear()
            self.addItems(names)
            self.setCurrentText(text or names[0])
        finally:
            self.blockSignals(False)

    def showPopup(self) -> None:  # Qt's name
        """Refresh the list, then open it."""
        self.refresh()
        super().showPopup()
