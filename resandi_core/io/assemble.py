"""What every reader does once it has a table: check it, settle units, sort, explain.

Readers turn their format into a DataFrame with ``track_id, frame, x, y`` [, ``t``]
and call :func:`finish_tracks`, which

- checks that frames are whole numbers and track ids present (typed errors
  naming the row);
- settles the calibration: the file's word against the caller's arguments
  (see :func:`resolve_calibration`), and derives the frame interval from a time
  column when the file has one;
- sorts rows by track and frame, noting it when a track's rows were out of order;
- adds file-level hints when the column choice looks wrong (every track one point
  long, most tracks listing a frame twice).

Per-track problems (too short, NaN positions, a frame listed twice, gaps) are
not reported here: :func:`resandi_core.classify.prepare_track` gives every
track its status, and that stays the one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ResandiError, TrackFormatError
from ..limits import MAX_POINTS_ENV, max_points
from ..tracks import TIME_COLUMN, Tracks
from ..units import POSITION_UNITS, length_unit

log = logging.getLogger(__name__)

#: Relative difference above which the file's and the caller's calibration disagree.
CALIBRATION_TOLERANCE = 1e-3


@dataclass
class ReadOptions:
    """What the caller of :func:`resandi_core.io.read_tracks` asked for.

    Attributes
    ----------
    columns : dict of str to str, optional
        Column mapping for tables: ``{"track_id": "Traj", "frame": "Slice"}``.
    pixel_size_um : float, optional
        µm per pixel.
    frame_interval_s : float, optional
        Seconds per frame.
    position_unit : str, optional
        ``"px"`` or ``"µm"``: the unit of the positions when the file does not say.
    sheet : str or int, optional
        Worksheet of an Excel file (name or 0-based index); default the first.
    key : str, optional
        Table inside an HDF5 file; default the only one, or trackpy's.
    """

    columns: dict[str, str] | None = None
    pixel_size_um: float | None = None
    frame_interval_s: float | None = None
    position_unit: str | None = None
    sheet: str | int | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        for name in ("pixel_size_um", "frame_interval_s"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = float("nan")
            if not (np.isfinite(number) and number > 0):
                raise ResandiError(f"{name} must be a positive number, not {value!r}", hint="leave it out if unknown")
            setattr(self, name, number)
        if self.position_unit is not None:
            unit = length_unit(self.position_unit)
            if unit is None or unit[1] != 1.0:
                raise ResandiError(
                    f"position unit must be px or µm, not {self.position_unit!r}", hint="use 'px' or 'um'"
                )
            self.position_unit = unit[0]


@dataclass
class Report:
    """Notes and counts collected while reading one file (become the Tracks' fields)."""

    notes: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def drop(self, what: str, count: int) -> None:
        if count:
            self.dropped[what] = self.dropped.get(what, 0) + int(count)

    def change(self, what: str, count: int) -> None:
        if count:
            self.changed[what] = self.changed.get(what, 0) + int(count)


def note_default_frame_interval(report: Report, file_interval_s: float | None, user_interval_s: float | None) -> None:
    """Warn when a TrackMate file's frame interval is ImageJ's placeholder (1 s) and the user gave none."""
    if file_interval_s == 1.0 and user_interval_s is None:
        report.note(
            "the file gives 1 s per frame, ImageJ's default for an image without a frame interval; "
            "check it, or give the frame interval."
        )


def short_list(values, limit: int = 5) -> str:
    """``"1, 2, 3"`` or ``"1, 2, 3, 4, 5 and 7 more"`` for messages."""
    values = list(values)
    text = ", ".join(str(v) for v in values[:limit])
    return text + (f" and {len(values) - limit} more" if len(values) > limit else "")


def numeric_column(
    values: pd.Series, column: str, source: str, locate: Callable[[int], str]
) -> np.ndarray:
    """A column as float64; empty cells and NaN/inf stay (the classifier reports them).

    Decimal commas (``"0,5"``, from European spreadsheets) are read as points.

    Parameters
    ----------
    values : Series
        The column as read.
    column : str
        Its name in the file, for messages.
    locate : callable
        Row position (0-based) -> ``"line 7"`` / ``"row 7"``, for messages.

    Raises
    ------
    TrackFormatError
        At the first cell that is not a number, naming its place and value.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    text = values.astype("string").str.strip()
    text = text.str.replace(r"^([+-]?\d*),(\d+(?:[eE][+-]?\d+)?)$", r"\1.\2", regex=True)
    numbers = pd.to_numeric(text, errors="coerce")
    blank = text.isna() | (text == "") | text.str.lower().isin(["nan", "na", "n/a", "null", "none"])
    bad = (numbers.isna() & ~blank).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise TrackFormatError(
            f"non-numeric value {str(values.iloc[row])!r} in column {column!r} at {locate(row)}",
            where=source,
            hint="fix or delete that row; a wrong delimiter or a stray header row also causes this",
        )
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def whole_frames(frames: np.ndarray, column: str, source: str, locate: Callable[[int], str]) -> np.ndarray:
    """Frame numbers as int64; NaN or fractions raise, naming the first bad row."""
    frames = np.asarray(frames, dtype=np.float64)
    bad = ~np.isfinite(frames) | (frames != np.round(frames))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = frames[row]
        what = "no frame number" if np.isnan(value) else f"{value!r}"
        raise TrackFormatError(
            f"frame numbers must be whole numbers; {locate(row)} has {what} in column {column!r}",
            where=source,
            hint="the frame column holds frame indices (0, 1, 2...), not times; map a time column as 't'",
        )
    return frames.astype(np.int64)


#: Largest whole number an int64 track id holds exactly.
INT64_MAX = np.iinfo(np.int64).max


def _as_int64_ids(numbers: np.ndarray, ids: pd.Series, column: str, source: str | None) -> pd.Series:
    """Whole numbers -> int64 ids, refusing those that do not fit (they would wrap and merge tracks)."""
    too_big = np.abs(numbers.astype(np.float64)) >= 2.0**63
    if too_big.any():
        raise TrackFormatError(
            f"track id {ids.iloc[int(np.flatnonzero(too_big)[0])]} in column {column!r} does not fit in a "
            f"64-bit integer ({int(too_big.sum())} such row(s)); such ids would be merged",
            where=source,
            hint="renumber the tracks, or map another column as track_id",
        )
    return pd.Series(numbers.astype(np.int64), index=ids.index, name=ids.name)


def normalise_track_ids(ids: pd.Series, column: str = "track_id", source: str | None = None) -> pd.Series:
    """Whole-number ids as int64 (a float column from a CSV with gaps), text stripped.

    Mixed numbers and text become text, so that ids sort and group. Integer ids
    stay exact (no round trip through float64, which merges ids above 2**53).

    Raises
    ------
    TrackFormatError
        Whole-number ids beyond the int64 range (naming ``column`` of ``source``).
    """
    if pd.api.types.is_signed_integer_dtype(ids.dtype):
        return ids.astype(np.int64)
    if pd.api.types.is_unsigned_integer_dtype(ids.dtype):
        return _as_int64_ids(ids.to_numpy(), ids, column, source)
    if pd.api.types.is_numeric_dtype(ids.dtype) and not pd.api.types.is_bool_dtype(ids.dtype):
        numbers = ids.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(numbers)
        if finite.all() and np.all(numbers == np.round(numbers)):
            return _as_int64_ids(numbers, ids, column, source)
        return ids
    text = ids.astype("string").str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        if pd.api.types.is_signed_integer_dtype(numbers.dtype):
            return pd.Series(numbers.to_numpy(dtype=np.int64), index=ids.index, name=ids.name)
        if pd.api.types.is_unsigned_integer_dtype(numbers.dtype):
            return _as_int64_ids(numbers.to_numpy(), ids, column, source)
        as_float = numbers.to_numpy(dtype=np.float64)
        if np.isfinite(as_float).all() and np.all(as_float == np.round(as_float)):
            return _as_int64_ids(as_float, ids, column, source)
    return pd.Series(text.to_numpy(dtype=object, na_value=None), index=ids.index, name=ids.name)


def resolve_calibration(
    name: str, unit: str, from_file: float | None, from_caller: float | None, file_says: str, report: Report
) -> float | None:
    """The calibration to use: the caller's argument wins over the file, with a note.

    The argument wins because files often carry ImageJ's default of 1 (an image
    saved without calibration) and the user who types a value knows it.
    """
    if from_caller is None:
        return from_file
    if from_file is not None and abs(from_file - from_caller) > CALIBRATION_TOLERANCE * max(from_file, from_caller):
        message = f"{file_says} {from_file:g} {unit} for the {name}, but {from_caller:g} {unit} was given; using {from_caller:g} {unit}"
        report.note(message + ".")
        log.warning(message)
    return from_caller


def frame_interval_from_times(table: pd.DataFrame, report: Report) -> float | None:
    """Seconds per frame from the ``t`` and ``frame`` columns: the median over steps.

    Returns None when no track has two detections with finite times.
    ``table`` must be sorted by track and frame.
    """
    same_track = (table["track_id"].to_numpy()[1:] == table["track_id"].to_numpy()[:-1])
    d_frame = np.diff(table["frame"].to_numpy())
    d_time = np.diff(table[TIME_COLUMN].to_numpy(dtype=np.float64))
    usable = same_track & (d_frame > 0) & np.isfinite(d_time)
    if not usable.any():
        return None
    per_frame = d_time[usable] / d_frame[usable]
    interval = float(np.median(per_frame))
    if not interval > 0:
        return None
    spread = np.abs(per_frame - interval) > 0.01 * interval
    if spread.any():
        report.note(
            f"the time steps are irregular ({int(spread.sum())} of {per_frame.size} differ from the "
            f"median {interval:g} s per frame by more than 1%); the median was used as frame interval."
        )
    return interval


def sort_tracks(table: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Rows sorted by track then frame (stable); a note when frames were out of order."""
    ids = table["track_id"]
    try:
        codes, _ = pd.factorize(ids, sort=True)
    except TypeError:  # ids that do not compare (should not happen after normalise_track_ids)
        codes, _ = pd.factorize(ids, sort=False)
    frames = table["frame"].to_numpy()
    order = np.lexsort((frames, codes))
    if np.array_equal(order, np.arange(len(order))):
        return table.reset_index(drop=True)
    # Trackpy writes rows frame by frame; that is sorted within every track and
    # needs no note. Only frames out of order inside a track are worth saying.
    by_track = np.argsort(codes, kind="stable")
    track_codes, track_frames = codes[by_track], frames[by_track]
    backwards = (np.diff(track_frames) < 0) & (track_codes[1:] == track_codes[:-1])
    unsorted = int(np.unique(track_codes[1:][backwards]).size)
    if unsorted:
        report.note(f"the rows of {unsorted} track(s) were not in frame order; they were sorted by frame.")
        report.change("tracks put in frame order", unsorted)
    return table.iloc[order].reset_index(drop=True)


def _column_hints(table: pd.DataFrame, track_column: str, report: Report) -> None:
    """File-level hints when the track column looks like something else."""
    sizes = table.groupby("track_id", sort=False).size()
    if len(sizes) > 1 and (sizes == 1).all():
        report.note(
            f"every track has a single detection: is {track_column!r} really a track id rather than a detection id? "
            "Map the right column as track_id."
        )
        return
    n_unique = table.groupby("track_id", sort=False)["frame"].nunique()
    with_repeats = int((n_unique < sizes).sum())
    if with_repeats and with_repeats >= max(2, len(sizes) // 2):
        report.note(
            f"{with_repeats} of {len(sizes)} tracks list a frame more than once: is {track_column!r} really "
            "the track id, and were the detections linked? Such tracks are not classified."
        )


def finish_tracks(
    table: pd.DataFrame,
    source: str,
    format_name: str,
    options: ReadOptions,
    report: Report,
    *,
    file_position_unit: str | None = None,
    file_pixel_size_um: float | None = None,
    file_frame_interval_s: float | None = None,
    file_says: str = "the file says",
    track_column: str = "track_id",
    locate: Callable[[int], str] | None = None,
) -> Tracks:
    """Check a reader's table and make it a :class:`Tracks`.

    Parameters
    ----------
    table : DataFrame
        ``track_id, frame, x, y`` [, ``t`` in s] and extra columns, rows in file
        order (so that ``locate`` can name them); ``x, y`` already in
        ``file_position_unit`` (readers convert nm to µm).
    source : str
        The file, for messages.
    format_name : str
        Name of the format, stored in :attr:`Tracks.format`.
    file_position_unit : str, optional
        ``"px"`` or ``"µm"`` when the file says; None when it does not.
    file_pixel_size_um, file_frame_interval_s : float, optional
        Calibration the file states. When the frame interval is not stated and a
        ``t`` column exists, it is derived from ``t`` / ``frame``.
    file_says : str
        Start of the note when the arguments overrule the file ("the TrackMate
        session says").
    track_column : str
        The file's name of the track-id column, for hints.
    locate : callable, optional
        Row position -> place in the file ("line 7"); default ``row N+1``.
    """
    locate = locate or (lambda row: f"row {row + 1}")
    if table.empty:
        raise TrackFormatError("the file has no detections", where=source, hint="export the tracks again")
    if len(table) > max_points():
        raise TrackFormatError(
            f"{len(table):,} detections, more than the limit of {max_points():,} per file",
            where=source, hint=f"split the file, or raise the limit with {MAX_POINTS_ENV}=N",
        )
    missing_id = table["track_id"].isna().to_numpy()
    if missing_id.any():
        row = int(np.flatnonzero(missing_id)[0])
        raise TrackFormatError(
            f"{int(missing_id.sum())} row(s) have no track_id, the first at {locate(row)}",
            where=source,
            hint="give every detection a track id, or remove those rows",
        )
    table = table.copy()
    table["track_id"] = normalise_track_ids(table["track_id"], track_column, source)
    table["frame"] = whole_frames(table["frame"].to_numpy(), "frame", source, locate)
    for column in ("x", "y", TIME_COLUMN):
        if column in table.columns:
            table[column] = np.asarray(table[column], dtype=np.float64)
    table = sort_tracks(table, report)

    if file_position_unit is not None:
        position_unit = file_position_unit
        if options.position_unit is not None and options.position_unit != file_position_unit:
            report.note(
                f"{file_says} positions are in {file_position_unit}; the position unit "
                f"{options.position_unit} that was given does not apply to this file."
            )
    elif options.position_unit is not None:
        position_unit = options.position_unit
    else:
        position_unit = "px"
        report.note("the file does not say in which unit the positions are; pixels assumed (give the position unit if not).")
    assert position_unit in POSITION_UNITS

    pixel_size_um = resolve_calibration("pixel size", "µm", file_pixel_size_um, options.pixel_size_um, file_says, report)
    if file_frame_interval_s is None and TIME_COLUMN in table.columns:
        file_frame_interval_s = frame_interval_from_times(table, report)
        file_says_time = "the file's time column gives"
    else:
        file_says_time = file_says
    frame_interval_s = resolve_calibration(
        "frame interval", "s", file_frame_interval_s, options.frame_interval_s, file_says_time, report
    )
    _column_hints(table, track_column, report)
    return Tracks(
        table=table,
        source=source,
        position_unit=position_unit,
        pixel_size_um=pixel_size_um,
        frame_interval_s=frame_interval_s,
        format=format_name,
        notes=report.notes,
        dropped=report.dropped,
        changed=report.changed,
    )
