"""Work that exists only in the app, and asking before it is thrown away.

A linked movie's tracks and a classification take minutes to redo and live only
in memory until File ▸ Export Results (or Export Report) writes them. Closing the
file, or quitting, asks first (Discard / Cancel) while any of it is unwritten.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from .session import KIND_MOVIE, SessionFile

#: Results written by Export Results or Export Report, by id (results are unhashable dataclasses);
#: weak references, so closing the file frees its result, and a reused id is told apart.
_EXPORTED: dict[int, weakref.ref] = {}


def mark_exported(results: Iterable[Any]) -> None:
    """Remember that these classification results were written to disk."""
    for key in [key for key, ref in _EXPORTED.items() if ref() is None]:
        del _EXPORTED[key]  # freed results: keep the dict small
    for result in results:
        if result is not None:
            _EXPORTED[id(result)] = weakref.ref(result)


def is_exported(result: Any) -> bool:
    """Whether this very result object was written by an export."""
    ref = _EXPORTED.get(id(result))
    return ref is not None and ref() is result


def unexported(entries: Iterable[SessionFile]) -> list[SessionFile]:
    """The files whose classification, or linked tracks, were never written.

    A movie linked but not classified counts (its tracks are written only with a
    classification); a track file merely opened does not (it is on disk already).
    """
    pending = []
    for entry in entries:
        if entry.result is not None:
            if not is_exported(entry.result):
                pending.append(entry)
        elif entry.kind == KIND_MOVIE and entry.tracks is not None:
            pending.append(entry)
    return pending


def confirm_discard(parent: QWidget, entries: Iterable[SessionFile], doing: str) -> bool:
    """Ask before ``doing`` throws away unexported work of ``entries``; True: go ahead.

    Parameters
    ----------
    parent : QWidget
    entries : iterable of SessionFile
        The files about to be closed.
    doing : str
        What the user asked for, e.g. ``"Close"`` or ``"Quit"`` (the dialog's title).

    Returns
    -------
    bool
        True when nothing is unexported or the user chose Discard; False for Cancel.
    """
    pending = unexported(entries)
    if not pending:
        return True
    names = ", ".join(entry.name for entry in pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5
                                                               else "")
    what = "classified" if all(entry.result is not None for entry in pending) else "linked or classified"
    answer = QMessageBox.question(
        parent, f"{doing} without exporting?",
        f"{names}: {what} but not exported. {doing} discards this work; File ▸ Export Results "
        "writes it first.\n\nDiscard it?",
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Discard
