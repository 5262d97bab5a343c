"""Plain CSV track tables: the reader the first version had, now a thin alias.

:func:`read_tracks_csv` reads with :func:`resandi_core.io.tables.read_table`
(column names guessed: ``track_id`` or trackpy's ``particle``, ``frame``, ``x``,
``y``; comma, semicolon, tab or ``|`` delimited). New code calls
:func:`resandi_core.io.read_tracks`, which also detects other formats.
"""

from __future__ import annotations

import os

from ..tracks import Tracks


def read_tracks_csv(
    path: str | os.PathLike,
    *,
    pixel_size_um: float | None = None,
    frame_interval_s: float | None = None,
) -> Tracks:
    """Read a CSV track table.

    Parameters
    ----------
    path : path
        CSV file with a header row holding at least ``track_id`` (or ``particle``),
        ``frame``, ``x`` and ``y``.
    pixel_size_um, frame_interval_s : float, optional
        Calibration to attach (µm per pixel, s per frame).

    Raises
    ------
    TrackFormatError
        Empty file, missing columns, or non-numeric frame/x/y cells (the message
        names the first bad line).
    """
    from .read import read_tracks

    return read_tracks(path, format="table", pixel_size_um=pixel_size_um, frame_interval_s=frame_interval_s)
