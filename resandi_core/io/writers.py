"""Writing tracks for other tools: trackpy CSV and TrackMate's spot table.

Both writers go through :func:`resandi_core.atomic.atomic_write`: the file is
written under a temporary name and renamed when complete, so a failure never
leaves a half-written file over a good one. Floats are written with full
precision (``repr``), so reading the file back gives the same numbers.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write
from ..errors import OutputError
from ..tracks import TIME_COLUMN, Tracks
from ..units import canonical_position_unit

#: TrackMate keys the spot-table writer fills itself, with their names and short names.
TRACKMATE_COLUMNS = (
    ("LABEL", "Label", "Label"),
    ("ID", "Spot ID", "Spot ID"),
    ("TRACK_ID", "Track ID", "Track ID"),
    ("POSITION_X", "X", "X"),
    ("POSITION_Y", "Y", "Y"),
    ("POSITION_Z", "Z", "Z"),
    ("POSITION_T", "T", "T"),
    ("FRAME", "Frame", "Frame"),
)
#: Unit strings TrackMate writes in its units row, by Tracks position unit.
TRACKMATE_LENGTH_UNITS = {"µm": "micron", "px": "pixel"}
_CORE = ("track_id", "frame", "x", "y")


def _write_failed(path: Path, exc: OSError) -> OutputError:
    return OutputError(
        f"cannot write the tracks ({exc.strerror or exc}); an existing file was left as it was",
        where=str(path),
        hint="choose a folder you can write to, with free space",
    )


def _positions(tracks: Tracks, position_unit: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """x, y in the unit asked for (converted with the pixel size), and that unit."""
    x = tracks.table["x"].to_numpy(dtype=np.float64)
    y = tracks.table["y"].to_numpy(dtype=np.float64)
    unit = tracks.position_unit
    wanted = (canonical_position_unit(position_unit) or position_unit) if position_unit else unit
    if wanted not in ("px", "µm"):
        raise ValueError(f"position_unit must be 'px' or 'µm', not {position_unit!r}")
    if wanted != unit:
        if tracks.pixel_size_um is None:
            raise OutputError(
                f"cannot write positions in {wanted}: the tracks are in {unit} and the pixel size is unknown",
                where=tracks.source,
                hint="give the pixel size when reading the tracks",
            )
        scale = 1 / tracks.pixel_size_um if wanted == "px" else tracks.pixel_size_um
        x, y = x * scale, y * scale
    return x, y, wanted


def write_tracks_trackpy_csv(tracks: Tracks, path: str | os.PathLike, *, position_unit: str | None = None) -> Path:
    """Write tracks as a trackpy table: ``frame, particle, x, y`` and the other columns.

    ``pandas.read_csv`` gives back a DataFrame that trackpy's functions take
    (``trackpy.imsd(table, mpp, fps)``, ``trackpy.filter_stubs``...).

    Parameters
    ----------
    tracks : Tracks
    path : path
        Destination CSV file; its folder is created if needed.
    position_unit : str, optional
        ``"px"`` (trackpy's convention: give ``mpp`` to its functions) or
        ``"µm"``; converted with ``tracks.pixel_size_um``. Default: as stored.
        No unit is written into the file: record it where you keep the file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputError
        The file cannot be written, or a unit conversion needs the unknown pixel size.
    """
    path = Path(path)
    x, y, _ = _positions(tracks, position_unit)
    table = tracks.table
    extras = [c for c in table.columns if c not in _CORE]
    out = pd.DataFrame({"frame": table["frame"].to_numpy(), "particle": table["track_id"].to_numpy(), "x": x, "y": y})
    for column in extras:
        out[column if column not in out.columns else f"{column}_original"] = table[column].to_numpy()
    try:
        with atomic_write(path) as handle:
            out.to_csv(handle, index=False, lineterminator="\n")
    except OSError as exc:
        raise _write_failed(path, exc) from None
    return path


def _trackmate_ids(values: pd.Series) -> tuple[np.ndarray, bool]:
    """Integer ids for TrackMate, and whether they had to be renumbered."""
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.to_numpy(dtype=np.int64), False
    codes, _ = pd.factorize(values, sort=False)
    return codes.astype(np.int64), True


def write_tracks_trackmate_csv(tracks: Tracks, path: str | os.PathLike) -> Path:
    """Write tracks as TrackMate's spot table (TrackMate v7 layout, 4 header rows).

    Columns ``LABEL, ID, TRACK_ID, POSITION_X, POSITION_Y, POSITION_Z (0),
    POSITION_T, FRAME``, then the table's other columns. The units row says
    ``(micron)`` or ``(pixel)`` for positions, and ``(sec)`` for POSITION_T when
    times are known (the ``t`` column, else frame x frame interval); without
    either, POSITION_T is the frame number with unit ``(frame)``.

    Spot IDs come from a ``spot_id`` column when it holds unique integers, else
    they are numbered from 0. Track ids that are not integers are numbered
    from 0 in order of appearance; the original ids are kept in the column
    ``RESANDI_TRACK_ID``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputError
        The file cannot be written.
    """
    path = Path(path)
    table = tracks.table
    n = len(table)
    x, y, unit = _positions(tracks, None)
    if "spot_id" in table.columns and pd.api.types.is_integer_dtype(table["spot_id"].dtype) and table["spot_id"].is_unique:
        spot_ids = table["spot_id"].to_numpy(dtype=np.int64)
    else:
        spot_ids = np.arange(n, dtype=np.int64)
    track_ids, renumbered = _trackmate_ids(table["track_id"])
    frames = table["frame"].to_numpy(dtype=np.int64)
    if TIME_COLUMN in table.columns:
        times, time_unit = table[TIME_COLUMN].to_numpy(dtype=np.float64), "sec"
    elif tracks.frame_interval_s is not None:
        times, time_unit = frames * tracks.frame_interval_s, "sec"
    else:
        times, time_unit = frames.astype(np.float64), "frame"
    length = TRACKMATE_LENGTH_UNITS[unit]
    out = pd.DataFrame(
        {
            "LABEL": [f"ID{i}" for i in spot_ids],
            "ID": spot_ids,
            "TRACK_ID": track_ids,
            "POSITION_X": x,
            "POSITION_Y": y,
            "POSITION_Z": np.zeros(n),
            "POSITION_T": times,
            "FRAME": frames,
        }
    )
    units = ["", "", "", f"({length})", f"({length})", f"({length})", f"({time_unit})", ""]
    names = [name for _, name, _ in TRACKMATE_COLUMNS]
    shorts = [short for _, _, short in TRACKMATE_COLUMNS]
    if renumbered:
        out["RESANDI_TRACK_ID"] = table["track_id"].to_numpy()
        names.append("ResAnDi track ID")
        shorts.append("ResAnDi ID")
        units.append("")
    for column in table.columns:
        if column in _CORE or column == TIME_COLUMN or column == "spot_id" or column in out.columns:
            continue
        out[column] = table[column].to_numpy()
        names.append(column)
        shorts.append(column)
        units.append("")
    try:
        with atomic_write(path) as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(out.columns)
            writer.writerow(names)
            writer.writerow(shorts)
            writer.writerow(units)
            out.to_csv(handle, index=False, header=False, lineterminator="\n")
    except OSError as exc:
        raise _write_failed(path, exc) from None
    return path
