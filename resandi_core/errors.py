"""Typed errors whose messages say what went wrong, where, and what to do.

Every error raised for a user's input or files derives from :class:`ResandiError`;
the CLI prints ``str(error)`` on one line without a traceback and the GUI shows it
in a dialog. ``where`` names the file (and row or track), ``hint`` the fix.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass


class ResandiError(Exception):
    """Base class for errors a user can act on.

    Parameters
    ----------
    message : str
        What went wrong.
    where : str, optional
        The file, and where useful the row, track or field.
    hint : str, optional
        What the user can do about it.
    """

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class TrackFormatError(ResandiError):
    """A tracks file cannot be read as tracks."""


class ModelFolderError(ResandiError):
    """A model folder is missing, incomplete, corrupted or of an unknown format."""


class DeviceError(ResandiError):
    """The requested compute device is not available."""


class OutputError(ResandiError):
    """Results cannot be written where asked."""


class StackError(ResandiError):
    """A movie cannot be read as a stack of 2-D frames."""


class LinkingError(ResandiError):
    """Particles cannot be located or linked with the given parameters."""


class DatasetError(ResandiError, ValueError):
    """A synthetic data set is asked for with bad values, or its folder is missing,
    incomplete or inconsistent. Also a ``ValueError``, as a bad value is one."""


class TrainingError(ResandiError):
    """Training cannot start or continue as asked."""


@dataclass(frozen=True)
class Failure:
    """Why a job, or one file of a batch, stopped.

    Attributes
    ----------
    message : str
        One readable paragraph: for a :class:`ResandiError` its message (file,
        place, what to do), else the exception type and text.
    details : str
        The traceback, for a dialog's "details" and the log file.
    expected : bool
        True for ResandiError (bad input the user can fix), False for a crash.
    """

    message: str
    details: str
    expected: bool


def describe_failure(exc: BaseException) -> Failure:
    """A :class:`Failure` from an exception raised by a job."""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if getattr(exc, "details", None):  # raised again from a background process: its traceback
        details += "\nIn the background process:\n" + exc.details
    if isinstance(exc, ResandiError):
        return Failure(str(exc), details, True)
    return Failure(f"{type(exc).__name__}: {exc}", details, False)
