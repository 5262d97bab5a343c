"""Typed errors whose messages say what went wrong, where, and what to do.

Every error raised for a user's input or files derives from :class:`ResandiError`;
the CLI prints ``str(error)`` on one line without a traceback and the GUI shows it
in a dialog. ``where`` names the file (and row or track), ``hint`` the fix.
"""

from __future__ import annotations


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
