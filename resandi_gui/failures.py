"""What went wrong in a job, as one readable message plus the details. Qt-free."""

from __future__ import annotations

import traceback
from dataclasses import dataclass


@dataclass(frozen=True)
class JobFailure:
    """Why a job stopped.

    Attributes
    ----------
    message : str
        One readable paragraph: for a :class:`~resandi_core.errors.ResandiError`
        its message (file, place, what to do), else the exception type and text.
    details : str
        The traceback, for the dialog's "details" and the log file.
    expected : bool
        True for ResandiError (bad input the user can fix), False for a crash.
    """

    message: str
    details: str
    expected: bool


def describe_failure(exc: BaseException) -> JobFailure:
    """A :class:`JobFailure` from an exception raised by a job."""
    from resandi_core.errors import ResandiError

    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if getattr(exc, "details", None):  # raised again from a background process: its traceback
        details += "\nIn the background process:\n" + exc.details
    if isinstance(exc, ResandiError):
        return JobFailure(str(exc), details, True)
    return JobFailure(f"{type(exc).__name__}: {exc}", details, False)
