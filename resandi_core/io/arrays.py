"""NumPy arrays of tracks: ``.npy`` and ``.npz``.

Layout
    shape ``(N, T, 2)``: N tracks of up to T points, ``[..., 0]`` = x,
    ``[..., 1]`` = y. NaN (in x or y) marks a missing point: NaN before a
    track's first or after its last point is padding (tracks of different
    lengths in one array) and is not read; NaN between points is a gap that the
    classifier fills by interpolation (counted in a note). A ``(T, 2)`` array is
    one track; ``(N, 2, T)`` (coordinates first) is accepted when T is not 2.
    Infinite values are kept (the classifier reports those tracks).
Ids and frames
    Track id = index along the first axis (from 0), frame = index along T.
``.npz``
    The array named ``tracks``, ``trajectories`` or ``trajs``, else the first.
Units
    Not in the file: pixels unless a unit is given, with a note.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TrackFormatError
from ..tracks import Tracks
from .assemble import ReadOptions, Report, finish_tracks

FORMAT_NAME = "numpy"
PREFERRED_NAMES = ("tracks", "trajectories", "trajs")


def _load(path: Path, source: str, report: Report) -> np.ndarray:
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise TrackFormatError(
            f"not a numeric NumPy array ({exc})",
            where=source,
            hint="save a float array of shape (tracks, frames, 2) with np.save",
        ) from None
    except (OSError, EOFError) as exc:
        raise TrackFormatError(f"not a readable NumPy file ({exc})", where=source, hint="save the array again") from None
    if not isinstance(loaded, np.ndarray):
        with loaded:
            names = list(loaded.files)
            if not names:
                raise TrackFormatError("the .npz file holds no array", where=source, hint="save the tracks with np.savez")
            name = next((n for n in PREFERRED_NAMES if n in names), names[0])
            if len(names) > 1:
                report.note(f"read array {name!r} of {len(names)} ({', '.join(names)}).")
            try:
                return loaded[name]
            except ValueError as exc:
                raise TrackFormatError(
                    f"array {name!r} is not numeric ({exc})", where=source, hint="save a float array"
                ) from None
    return loaded


def _as_tracks_array(array: np.ndarray, source: str, report: Report) -> np.ndarray:
    if array.dtype.kind not in "biuf":
        raise TrackFormatError(
            f"the array holds {array.dtype} values, not numbers", where=source, hint="save a float array"
        )
    if array.ndim == 2 and array.shape[1] == 2:
        report.note("the array has shape (T, 2): read as one track.")
        return array[None].astype(np.float64)
    if array.ndim == 3 and array.shape[2] == 2:
        return array.astype(np.float64)
    if array.ndim == 3 and array.shape[1] == 2:
        report.note(f"the array has shape {array.shape}: read as (tracks, 2 coordinates, frames).")
        return np.transpose(array, (0, 2, 1)).astype(np.float64)
    raise TrackFormatError(
        f"the array has shape {array.shape}, not (tracks, frames, 2)",
        where=source,
        hint="ResAnDi reads 2-D tracks: shape (N, T, 2), NaN where a point is missing",
    )


def read_numpy(path: Path, options: ReadOptions) -> Tracks:
    """Read a ``.npy`` or ``.npz`` array of tracks (see the module's docstring)."""
    source = str(path)
    report = Report()
    array = _as_tracks_array(_load(path, source, report), source, report)
    if array.size == 0:
        raise TrackFormatError(f"the array of shape {array.shape} is empty", where=source, hint="check the array")
    present = ~np.isnan(array).any(axis=2)  # (N, T)
    n_points = present.sum(axis=1)
    empty = n_points == 0
    report.drop("tracks with no point (all NaN)", int(empty.sum()))
    if empty.all():
        raise TrackFormatError("every track is NaN: no points", where=source, hint="check the array")
    first = present.argmax(axis=1)
    last = array.shape[1] - 1 - present[:, ::-1].argmax(axis=1)
    gaps = int(((last - first + 1) - n_points)[~empty].sum())
    if gaps:
        report.note(f"{gaps} missing (NaN) point(s) inside tracks; the classifier fills such gaps by interpolation.")
    track, frame = np.nonzero(present)
    table = pd.DataFrame(
        {"track_id": track.astype(np.int64), "frame": frame.astype(np.int64), "x": array[track, frame, 0], "y": array[track, frame, 1]}
    )
    return finish_tracks(
        table, source, FORMAT_NAME, options, report, track_column="first axis",
        locate=lambda row: f"track {table['track_id'].iloc[row]}, frame {table['frame'].iloc[row]}",
    )
