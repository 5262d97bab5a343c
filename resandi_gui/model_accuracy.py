"""How well a model classifies, as measured on its test data, told before the app switches to it.

A model folder's ``config.json`` holds ``test_metrics.accuracy`` (a fraction)
once ``resandi evaluate`` or a training run with test data measured it. "Use
this model" in the Training tab says that accuracy, or "not evaluated", and asks
before switching to a model that is unevaluated or less accurate than the
bundled default: a half-trained toy model must not quietly classify a user's data.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)


def measured_accuracy(name_or_path: str | Path | None) -> float | None:
    """The test accuracy (0..1) in a model's ``config.json``; None when not evaluated or unreadable.

    Parameters
    ----------
    name_or_path : str, Path or None
        A model folder, a model name, or None for the bundled default.
    """
    from resandi_core.errors import ResandiError
    from resandi_core.model.registry import resolve_model_path

    try:
        config = json.loads((resolve_model_path(name_or_path) / "config.json").read_text(encoding="utf-8"))
        accuracy = (config.get("test_metrics") or {}).get("accuracy")
        return float(accuracy) if accuracy is not None else None
    except (OSError, ValueError, TypeError, AttributeError, ResandiError):
        log.info("no test accuracy for model %s", name_or_path, exc_info=True)
        return None


def accuracy_text(accuracy: float | None) -> str:
    """``"86.3% accuracy on its test data"``, or ``"not evaluated"``."""
    return "not evaluated" if accuracy is None else f"{accuracy:.1%} accuracy on its test data"


def switch_question(folder: Path) -> str | None:
    """Why to think twice before classifying with ``folder``; None when it is at least as good as the bundled one."""
    accuracy, bundled = measured_accuracy(folder), measured_accuracy(None)
    bundled_words = f"the bundled model has {bundled:.1%}" if bundled is not None else "no bundled model to compare"
    if accuracy is None:
        return (f"The model {folder.name} was not evaluated: nobody knows how often it is right "
                f"({bundled_words}). Evaluate it first with section 3 of this tab.\n\nClassify with it anyway?")
    if bundled is not None and accuracy < bundled:
        return (f"The model {folder.name} is less accurate than the bundled one: {accuracy:.1%} on its test "
                f"data, where {bundled_words}.\n\nClassify with it anyway?")
    return None


def confirm_use_model(parent: QWidget | None, folder: Path) -> bool:
    """Ask before switching to an unevaluated or less accurate model; True: switch."""
    question = switch_question(folder)
    if question is None:
        return True
    answer = QMessageBox.question(parent, "Use this model?", question,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
