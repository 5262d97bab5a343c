"""One way for errors to reach the user: a readable dialog, details, and the log file.

The app logs to a file a user can attach to a bug report (``RESANDI_LOG_FILE``
moves it, which tests do). Every failure is shown by :func:`show_error`: the
message names the file, the place and what to do; the traceback sits behind
"Show Details…"; the dialog says where the log is.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from resandi_core.paths import gui_log_file

from .gui_wording import gui_wording

log = logging.getLogger(__name__)


def log_file_path() -> Path:
    """The GUI's log file (see :func:`resandi_core.paths.gui_log_file`)."""
    return gui_log_file()


def setup_logging() -> Path | None:
    """Log INFO and above of ``resandi_core`` and ``resandi_gui`` to the log file.

    Returns the log path, or None when it cannot be written (the app still runs).
    """
    path = log_file_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("resandi_core", "resandi_gui"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        if not any(isinstance(h, logging.FileHandler) for h in logger.handlers):
            logger.addHandler(handler)
    return path


def install_excepthook(window: QWidget) -> None:
    """Show an exception that escapes a Qt slot as the error dialog, instead of a
    traceback on a console the user never sees; it is logged too."""
    from PySide6.QtCore import QTimer

    def show_uncaught(kind, value, tb) -> None:
        details = "".join(traceback.format_exception(kind, value, tb))
        message = (f"Something went wrong inside ResAnDi ({kind.__name__}: {value}). Your files are "
                   "unchanged; please report this with the log file.")
        # Later, from the event loop: the hook may run in the middle of painting.
        QTimer.singleShot(0, lambda: show_error(window, "Unexpected error", message, details))

    sys.excepthook = show_uncaught


def error_box(parent: QWidget | None, title: str, message: str, details: str = "") -> QMessageBox:
    """The error dialog, built but not shown (tests inspect it); command-line hints in the app's words."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(gui_wording(message))
    box.setInformativeText(f"The log file is {log_file_path()}")
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setObjectName("errorDialog")
    return box


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> None:
    """Log the error and show it in one non-blocking dialog."""
    log.error("%s: %s%s", title, message, f"\n{details}" if details else "")
    box = error_box(parent, title, message, details)
    box.setModal(True)
    box.open()  # window-modal, does not block the event loop (jobs keep reporting)
    if parent is not None:
        parent.last_error_box = box  # keep it alive, and let tests read it
