"""Plain CSV track tables: ``track_id, frame, x, y`` (trackpy's ``particle`` accepted).

Column names are matched without regard to case or surrounding spaces. Comma is
the expected delimiter; a file whose header holds tabs or semicolons instead is
re-read with that delimiter.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TrackFormatError
from ..tracks import REQUIRED_COLUMNS, Tracks

#: Other names accepted for the required columns.
COLUMN_ALIASES = {"particle": "track_id", "track": "track_id", "trajectory": "track_id"}


def _read_table(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise TrackFormatError("the file is empty", where=str(path), hint="export the tracks again") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise TrackFormatError(
            f"not a readable CSV table ({str(exc).splitlines()[0]})",
            where=str(path),
            hint="save it as comma-separated text with one header row",
        ) from None
    if table.shape[1] == 1:
        header = str(table.columns[0])
        for sep in ("\t", ";"):
            if sep in header:
                return pd.read_csv(path, sep=sep)
    return table


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
    path = Path(path)
    if not path.is_file():
        raise TrackFormatError("file not found", where=str(path), hint="check the path")
    table = _read_table(path)
    table.columns = [str(c).strip().lower() for c in table.columns]
    table = table.rename(columns={k: v for k, v in COLUMN_ALIASES.items() if k in table.columns and v not in table.columns})
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise TrackFormatError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, table.columns))}",
            where=str(path),
            hint="the header needs track_id (or particle), frame, x and y",
        )
    if table.empty:
        raise TrackFormatError("the table has a header but no rows", where=str(path), hint="export the tracks again")
    missing_id = table["track_id"].isna()
    if missing_id.any():
        row = int(np.flatnonzero(missing_id.to_numpy())[0])
        raise TrackFormatError(
            f"{int(missing_id.sum())} row(s) have no track_id, the first at line {row + 2}",
            where=str(path),
            hint="give every detection a track id, or remove those rows",
        )
    for column in ("frame", "x", "y"):
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() & table[column].notna() & (table[column].astype(str).str.strip().str.lower() != "nan")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise TrackFormatError(
                f"non-numeric value {table[column].iloc[row]!r} in column {column!r} at line {row + 2}",
                where=str(path),
                hint="fix or delete that row",
            )
        table[column] = values.astype(np.float64)
    frames = table["frame"].to_numpy()
    finite_frames = frames[np.isfinite(frames)]
    if finite_frames.size != frames.size or np.any(finite_frames != np.round(finite_frames)):
        row = int(np.flatnonzero(~np.isfinite(frames) | (frames != np.round(frames)))[0])
        raise TrackFormatError(
            f"frame numbers must be whole numbers; line {row + 2} has {table['frame'].iloc[row]!r}",
            where=str(path),
            hint="the frame column holds frame indices, not times",
        )
    table["frame"] = frames.astype(np.int64)
    return Tracks(
        table=table,
        source=str(path),
        pixel_size_um=pixel_size_um,
        frame_interval_s=frame_interval_s,
    )
