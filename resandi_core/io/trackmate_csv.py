"""TrackMate's spot table exported as CSV ("Spots" table > Export to CSV).

Layout
    Since TrackMate v7 the file has 4 header rows: feature keys
    (``LABEL,ID,TRACK_ID,QUALITY,POSITION_X,POSITION_Y,POSITION_Z,POSITION_T,FRAME,...``),
    feature names, short names, and units (``(micron)``, ``(pixel)``, ``(sec)``,
    ``(frame)``). Older versions write only the key row. Rows are spots, in no
    guaranteed order.
Read as
    ``track_id`` = TRACK_ID, ``frame`` = FRAME, ``x, y`` = POSITION_X/Y, and
    ``t`` = POSITION_T in seconds when its unit is a time. Spots whose TRACK_ID
    is ``None`` or empty (the "all spots" export) are dropped and counted. The
    spot ID becomes ``spot_id``; the other columns are kept under their keys.
Units
    From the units row: ``micron``/``µm``/``um`` -> positions in µm, ``pixel`` ->
    px, ``nm`` -> converted to µm; ``sec``/``ms``/``min`` -> ``t`` in s and the
    frame interval from POSITION_T / FRAME. Without a units row (old files) the
    position unit is not known (pixels assumed, with a note, unless given) and
    POSITION_T is kept as is.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TrackFormatError
from ..tracks import Tracks
from ..units import is_frame_unit, length_unit, time_unit_seconds
from .assemble import ReadOptions, Report, finish_tracks, note_default_frame_interval, numeric_column, short_list
from .tables import decode_sample, header_line_index, sniff_delimiter

FORMAT_NAME = "trackmate-csv"
REQUIRED_KEYS = ("TRACK_ID", "POSITION_X", "POSITION_Y", "FRAME")
#: Keys matched without regard to case.
TRACKMATE_KEYS = frozenset(
    {"LABEL", "ID", "TRACK_ID", "QUALITY", "POSITION_X", "POSITION_Y", "POSITION_Z", "POSITION_T", "FRAME", "RADIUS", "VISIBILITY"}
)
#: Most header rows TrackMate writes after the key row.
MAX_EXTRA_HEADER_ROWS = 3
NO_TRACK = ("", "none", "nan", "null")


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(line), delimiter=delimiter)) if line.strip() else []


def _is_number(text: str) -> bool:
    try:
        float(text.strip().replace(",", "."))
    except ValueError:
        return False
    return True


def _refuse_other_tables(keys: list[str], source: str) -> None:
    if "SPOT_SOURCE_ID" in keys:
        raise TrackFormatError(
            "this is TrackMate's edge (links) table, which has no positions",
            where=source,
            hint="export the Spots table instead, or the TrackMate XML",
        )
    if "NUMBER_SPOTS" in keys or "TRACK_DURATION" in keys:
        raise TrackFormatError(
            "this is TrackMate's track statistics table, one row per track without positions",
            where=source,
            hint="export the Spots table instead, or the TrackMate XML",
        )
    missing = [k for k in REQUIRED_KEYS if k not in keys]
    if missing:
        raise TrackFormatError(
            f"a TrackMate table without {', '.join(missing)}; found {', '.join(keys)}",
            where=source,
            hint="export the Spots table with TRACK_ID, POSITION_X, POSITION_Y and FRAME",
        )


def read_trackmate_csv(path: Path, options: ReadOptions) -> Tracks:
    """Read a TrackMate spot table (see the module's docstring)."""
    source = str(path)
    report = Report()
    sample, encoding = decode_sample(path, report)
    lines = sample.splitlines()
    first = header_line_index(lines)
    if first >= len(lines):
        raise TrackFormatError("the file is empty", where=source, hint="export the tracks again")
    delimiter = sniff_delimiter(lines[first], [], source)
    # TrackMate's own keys are upper case (old files write "Label"); other
    # columns, such as those ResAnDi's writer adds, keep their names.
    keys = [k.strip() for k in _split(lines[first], delimiter)]
    keys = [k.upper() if k.upper() in TRACKMATE_KEYS else k for k in keys]
    _refuse_other_tables([k.upper() for k in keys], source)
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise TrackFormatError(
            f"the header names column(s) {short_list(repeated)} more than once",
            where=source,
            hint="export the Spots table from TrackMate again, or delete the repeated column",
        )
    x_at = keys.index("POSITION_X")
    # Header rows after the keys: those whose POSITION_X cell is not a number.
    extra = []
    for line in lines[first + 1 : first + 1 + MAX_EXTRA_HEADER_ROWS]:
        cells = _split(line, delimiter)
        if len(cells) > x_at and not _is_number(cells[x_at]):
            extra.append(cells)
        else:
            break
    units_row = next((cells for cells in reversed(extra) if cells[x_at].strip().startswith("(")), None)
    units = {k: (units_row[i].strip().strip("()").strip() or None) if units_row and i < len(units_row) else None for i, k in enumerate(keys)}
    skip = first + 1 + len(extra)
    try:
        raw = pd.read_csv(
            path,
            sep=delimiter,
            header=None,
            names=keys,
            skiprows=skip,
            encoding=encoding,
            encoding_errors="replace",
            skip_blank_lines=False,
            dtype={"TRACK_ID": str},
            index_col=False,
            float_precision="round_trip",
        )
    except pd.errors.EmptyDataError:
        raw = pd.DataFrame(columns=keys)
    except pd.errors.ParserError as exc:
        raise TrackFormatError(
            f"not a readable table: {str(exc).strip().splitlines()[-1]}",
            where=source,
            hint="export the Spots table from TrackMate again",
        ) from None
    line_numbers = np.arange(len(raw)) + skip + 1
    blank = raw.isna().all(axis=1).to_numpy()
    raw, line_numbers = raw.loc[~blank].reset_index(drop=True), line_numbers[~blank]
    if raw.empty:
        raise TrackFormatError("the table has header rows but no spots", where=source, hint="export the tracks again")

    track = raw["TRACK_ID"].astype("string").str.strip()
    no_track = (track.isna() | track.str.lower().isin(NO_TRACK)).to_numpy()
    report.drop("spots without track", int(no_track.sum()))
    if no_track.all():
        raise TrackFormatError(
            f"none of the {len(raw)} spots belongs to a track",
            where=source,
            hint="run TrackMate's tracking step before exporting the Spots table",
        )
    raw, line_numbers, track = raw.loc[~no_track].reset_index(drop=True), line_numbers[~no_track], track[~no_track]
    def locate(row: int) -> str:
        return f"line {line_numbers[row]}"

    table = pd.DataFrame({"track_id": track.to_numpy(dtype=object)})
    table["frame"] = numeric_column(raw["FRAME"], "FRAME", source, locate)
    table["x"] = numeric_column(raw["POSITION_X"], "POSITION_X", source, locate)
    table["y"] = numeric_column(raw["POSITION_Y"], "POSITION_Y", source, locate)
    position_unit = None
    if units["POSITION_X"]:
        parsed = length_unit(units["POSITION_X"])
        if parsed is None:
            raise TrackFormatError(
                f"unknown position unit {units['POSITION_X']!r} in the units row",
                where=source,
                hint="TrackMate takes it from the image calibration; set it to µm or pixel in Image > Properties",
            )
        position_unit, factor = parsed
        if factor != 1.0:
            table["x"] *= factor
            table["y"] *= factor
            report.note(f"positions were converted from {units['POSITION_X']} to µm.")
            report.change("positions converted to µm", len(table))
    kept = [k for k in keys if k not in ("TRACK_ID", "FRAME", "POSITION_X", "POSITION_Y")]
    if "POSITION_T" in keys:
        seconds = time_unit_seconds(units["POSITION_T"])
        if seconds is not None:
            table["t"] = numeric_column(raw["POSITION_T"], "POSITION_T", source, locate) * seconds
            kept.remove("POSITION_T")
        elif units_row is None or units["POSITION_T"] is None:
            report.note("the file gives no unit for POSITION_T (no units row before TrackMate v7), so no frame interval was taken from it.")
        elif not is_frame_unit(units["POSITION_T"]):
            report.note(f"POSITION_T's unit {units['POSITION_T']!r} is not a known time unit; no frame interval was taken from it.")
    for key in kept:
        # TrackMate's spot ID is "spot_id", as from the XML reader and for the writers.
        table["spot_id" if key == "ID" else key] = raw[key].to_numpy()
    tracks = finish_tracks(
        table,
        source,
        FORMAT_NAME,
        options,
        report,
        file_position_unit=position_unit,
        file_says="the TrackMate table says",
        track_column="TRACK_ID",
        locate=locate,
    )
    _note_branches(tracks, report)
    note_default_frame_interval(report, tracks.frame_interval_s, options.frame_interval_s)
    return tracks


def _note_branches(tracks: Tracks, report: Report) -> None:
    """Say when tracks list a frame twice: TrackMate branches, which this table cannot split."""
    table = tracks.table
    same = (table["track_id"].to_numpy()[1:] == table["track_id"].to_numpy()[:-1]) & (np.diff(table["frame"].to_numpy()) == 0)
    branched = pd.unique(table["track_id"].to_numpy()[1:][same])
    if branched.size:
        report.note(
            f"TrackMate tracks {short_list(branched)} list a frame more than once (they split or merge); "
            "they will not be classified. Load the TrackMate XML instead: it is cut into linear segments."
        )
