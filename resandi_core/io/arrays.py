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

import struct
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TrackFormatError
from ..tracks import Tracks
from ..limits import MAX_POINTS_ENV, max_points
from .assemble import ReadOptions, Report, finish_tracks

FORMAT_NAME = "numpy"
PREFERRED_NAMES = ("tracks", "trajectories", "trajs")


def _check_size(shape: tuple[int, ...], source: str, name: str = "") -> None:
    """Refuse an array whose points (all axes but the coordinate one) exceed the limit, before loading it."""
    points = int(np.prod(shape, dtype=np.float64) // 2) if shape else 0
    limit = max_points()
    if points > limit:
        raise TrackFormatError(
            f"array {name + ' ' if name else ''}of shape {tuple(shape)} holds {points:,} points, more than the "
            f"limit of {limit:,} per file",
            where=source,
            hint=f"split the tracks into several files, or raise the limit with {MAX_POINTS_ENV}=N",
        )


def _npz_member_shape(archive: np.lib.npyio.NpzFile, name: str) -> tuple[int, ...]:
    """Shape from a member's .npy header, read without decompressing the data."""
    with archive.zip.open(f"{name}.npy") as member:
        version = np.lib.format.read_magic(member)
        shape, _, _ = np.lib.format._read_array_header(member, version)  # noqa: SLF001 - the public readers need 1.0/2.0
    return tuple(shape)


def _load(path: Path, source: str, report: Report) -> np.ndarray:
    # what damaged headers and members raise (numpy parses the .npy header with tokenize)
    damaged = (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, tokenize.TokenError,
               SyntaxError, struct.error, TypeError, NotImplementedError, RuntimeError)  # zipfile: odd flags, encryption
    try:
        if path.suffix.lower() != ".npz" and not zipfile.is_zipfile(path):
            header = np.load(path, mmap_mode="r", allow_pickle=False)  # shape only; nothing read yet
            _check_size(header.shape, source)
            del header
        loaded = np.load(path, allow_pickle=False)
    except TrackFormatError:
        raise
    except ValueError as exc:
        raise TrackFormatError(
            f"not a numeric NumPy array ({exc})",
            where=source,
            hint="save a float array of shape (tracks, frames, 2) with np.save",
        ) from None
    except damaged as exc:
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
                _check_size(_npz_member_shape(loaded, name), source, repr(name))
                return loaded[name]
            except TrackFormatError:
                raise
            except damaged as exc:
                raise TrackFormatError(
                    f"array {name!r} is damaged or not a numeric NumPy array ({type(exc).__name__}: {exc})",
                    where=source, hint="save the tracks again with np.savez",
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
