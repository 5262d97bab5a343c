"""One way for errors to reach the user: a readable dialog, details, and the log file.

The app logs to a file a user can attach to a bug report (``RESANDI_LOG_FILE``
moves it, which tests do). Every failure is shown by :func:`show_error`: the
message names the file, the place and what to do; the traceback sits behind
"Show Details…"; the dialog says where the log is.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

LOG_FILE_ENV = "RESANDI_LOG_FILE"
log = logging.getLogger(__name__)


def log_file_path() -> Path:
    """The GUI's log file: ``RESANDI_LOG_FILE``, else ``resandi-gui.log`` in the user log folder."""
    override = os.environ.get(LOG_FILE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_log_dir

    return Path(user_log_dir("resandi", appauthor=False)) / "resandi-gui.log"


def setup_logging() -> Path | None:
    """Log INFO and above of ``resandi_core`` and ``resandi_gui`` to the log file.

    Returns the log path, or None when it cannot be written (the app still runs).
    Uncaught exceptions in Qt slots are logged too instead of vanishing.
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
    previous_hook = sys.excepthook

    def log_uncaught(kind, value, tb) -> None:
        logging.getLogger("resandi_gui").error("uncaught: %s", "".join(traceback.format_exception(kind, value, tb)))
        previous_hook(kind, value, tb)

    sys.excepthook = log_uncaught
    return path


def error_box(parent: QWidget | None, title: str, message: str, details: str = "") -> QMessageBox:
    """The error dialog, built but not shown (tests inspect it)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(message)
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
