"""Track tables: trackpy CSV, CSV/TSV/text exported from anywhere, and Excel ``.xlsx``.

Text tables
    The delimiter is the one of ``,``, ``;``, tab and ``|`` that splits the
    header line into the most cells (whitespace when none does). A UTF-8 byte
    order mark is ignored; files that are not UTF-8 are read as Windows-1252
    (with a note). Leading blank lines and ``#`` comment lines are skipped.
    Decimal commas (``0,5``, European Excel with ``;`` delimiter) are read as
    decimal points. Blank lines inside the table are skipped; error messages
    give the real line number. Rows ending in more delimiters than the header
    has (``1,0,0.5,0.5,``) are read with a note; extra values are an error.
Excel
    Recognised by content, whatever the file's name. The first worksheet
    unless one is named (``sheet=``), header in the first non-empty row;
    repeated headers get ``.1``, ``.2``... as in CSV files.

Columns are matched by :mod:`.columns` (``particle`` is trackpy's track id;
units in headers such as ``x (µm)`` set the position unit; nm are converted to
µm). Other columns are kept. Without a frame column, frames are computed from a
time column when the frame interval is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TrackFormatError
from ..tracks import Tracks
from ..units import length_unit, time_unit_seconds
from .assemble import ReadOptions, Report, finish_tracks, numeric_column
from .columns import CANONICAL, Header, choose_columns

FORMAT_NAME = "table"
DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar", r"\s+": "spaces"}
#: Bytes looked at to find the header and the delimiter.
SNIFF_BYTES = 65536
#: Largest allowed difference between t / frame_interval and a whole frame, in frames.
FRAME_FROM_TIME_TOLERANCE = 0.05


def decode_sample(path: Path, report: Report) -> tuple[str, str]:
    """The start of the file as text, and the encoding to read all of it with."""
    with open(path, "rb") as handle:
        raw = handle.read(SNIFF_BYTES)
        truncated = bool(handle.read(1))
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sample is not an error.
        if truncated and exc.start >= len(raw) - 3:
            return raw[: exc.start].decode("utf-8-sig"), "utf-8-sig"
    report.note("the file is not UTF-8 text; it was read as Windows-1252 (Western European).")
    return raw.decode("cp1252", errors="replace"), "cp1252"


def header_line_index(lines: list[str]) -> int:
    """Index of the header: the first line that is neither blank nor a ``#`` comment."""
    for i, line in enumerate(lines):
        if line.strip() and not line.lstrip().startswith("#"):
            return i
    return len(lines)


def sniff_delimiter(header: str, data_lines: list[str], source: str) -> str:
    """The delimiter of a table from its header line and first data lines.

    Raises
    ------
    TrackFormatError
        When the header and the rows use different delimiters.
    """
    counts = {d: header.count(d) for d in DELIMITERS}
    delimiter = max(DELIMITERS, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        return r"\s+" if len(header.split()) > 1 else ","
    for line in data_lines[:5]:
        if not line.strip() or line.count(delimiter) == counts[delimiter] or '"' in line:
            continue
        # Fewer or more delimiters than the header is fine for ragged rows, but
        # not when another delimiter matches the header's count exactly.
        others = [d for d in DELIMITERS if d != delimiter and line.count(d) == counts[delimiter]]
        if not others and line.count(delimiter) > 0:
            continue
        raise TrackFormatError(
            f"the header is separated by {_DELIMITER_NAMES[delimiter]}s but the rows "
            + (f"by {_DELIMITER_NAMES[others[0]]}s" if others else "are not"),
            where=source,
            hint="save the table again with one delimiter throughout",
        )
    return delimiter


def _read_text(path: Path, source: str, report: Report) -> tuple[pd.DataFrame, np.ndarray]:
    """The table and, for each of its rows, the line number in the file (1-based)."""
    sample, encoding = decode_sample(path, report)
    lines = sample.splitlines()
    if not "".join(lines).strip():
        raise TrackFormatError("the file is empty", where=source, hint="export the tracks again")
    first = header_line_index(lines)
    if first >= len(lines):
        raise TrackFormatError("the file holds only comments, no table", where=source, hint="export the tracks again")
    delimiter = sniff_delimiter(lines[first], lines[first + 1 :], source)
    check_first_row(lines, first, delimiter, source)
    try:
        table = pd.read_csv(
            path,
            sep=delimiter,
            skiprows=first,
            encoding=encoding,
            skip_blank_lines=False,
            encoding_errors="replace",
            engine="c" if delimiter != r"\s+" else "python",
            # "high" (the default) may differ from the written number in the last bit.
            float_precision="round_trip" if delimiter != r"\s+" else None,
        )
    except pd.errors.EmptyDataError:
        raise TrackFormatError("the file is empty", where=source, hint="export the tracks again") from None
    except pd.errors.ParserError as exc:
        message = str(exc).strip().splitlines()[-1]
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
        if found:
            expected, line, saw = (int(g) for g in found.groups())
            message = f"line {line} has {saw} cells but the header has {expected}"
        raise TrackFormatError(
            f"not a readable table: {message}",
            where=source,
            hint="check the delimiter; numbers with decimal commas need ';' or tab between columns",
        ) from None
    header = lines[first].split() if delimiter == r"\s+" else lines[first].split(delimiter)
    note_repeated_headers([cell.strip().strip('"').strip() for cell in header], report)
    if not isinstance(table.index, pd.RangeIndex):
        table = _undo_implicit_index(table, first, source, report)
    lines_of_rows = np.arange(len(table)) + first + 2
    blank = table.isna().all(axis=1).to_numpy()
    if blank.any():
        table = table.loc[~blank].reset_index(drop=True)
        lines_of_rows = lines_of_rows[~blank]
    if delimiter not in (",", r"\s+") and _has_decimal_commas(table):
        report.note("numbers with decimal commas were read (0,5 = 0.5).")
    return table, lines_of_rows


#: Longest first data row read, in characters; a track table's rows are far shorter.
MAX_FIRST_ROW_CHARS = SNIFF_BYTES // 2


def check_first_row(lines: list[str], first: int, delimiter: str, source: str) -> None:
    """Refuse a first data row with values beyond the header's columns, or an absurdly long one.

    pandas makes the extra leading cells of a first row longer than the header an
    index; with 500,000 cells that takes minutes and gigabytes. Later rows that
    are too long fail fast in the parser itself, so only the first is checked here.
    """
    rows = [(i, line) for i, line in enumerate(lines[first + 1 :], start=first + 2) if line.strip()]
    if not rows:
        return
    line_number, row = rows[0]

    def cells(text: str) -> list[str]:
        return text.split() if delimiter == r"\s+" else text.split(delimiter)

    n_header, row_cells = len(cells(lines[first])), cells(row)
    long_row = len(row) >= MAX_FIRST_ROW_CHARS
    extra_values = len(row_cells) > n_header and any(c.strip() for c in row_cells[n_header:])
    if long_row or extra_values:
        count = f"at least {len(row_cells):,}" if long_row else f"{len(row_cells):,}"
        raise TrackFormatError(
            f"line {line_number} has {count} cells but the header has {n_header}",
            where=source,
            hint="check the delimiter, or give every column a name in the header",
        )


def _undo_implicit_index(table: pd.DataFrame, first: int, source: str, report: Report) -> pd.DataFrame:
    """Undo pandas' reading of rows longer than the header (its first cells became the index).

    Left alone, every column would shift by one: track ids from the frames,
    frames from x... Rows that end with a delimiter (``1,0,0.5,0.5,``, as Excel
    and MATLAB scripts often write) have empty extra cells: those are dropped
    with a note. Extra values are an error naming the first such line.
    """
    header = list(table.columns)
    cells = table.reset_index()
    extra = cells.iloc[:, len(header) :]
    filled = extra.notna().any(axis=1).to_numpy()
    if filled.any():
        row = int(np.flatnonzero(filled)[0])
        raise TrackFormatError(
            f"line {row + first + 2} has {len(header) + extra.shape[1]} cells but the header has {len(header)}",
            where=source,
            hint="check the delimiter, or give every column a name in the header",
        )
    table = cells.iloc[:, : len(header)].copy()
    table.columns = header
    report.note("the rows end with more delimiters than the header has; the empty cells after them were ignored.")
    return table


def note_repeated_headers(names: list[str], report: Report) -> None:
    """Say when a header names a column twice: the first is used, the others kept as ``NAME.1``..."""
    counts = pd.Series([n for n in names if n]).value_counts()
    repeated = [str(name) for name, count in counts.items() if count > 1]
    if repeated:
        listed = ", ".join(repeated[:5])
        report.note(f"the header names column(s) {listed} more than once; the first of each was used, "
                    "the others were kept as NAME.1, NAME.2...")


def _has_decimal_commas(table: pd.DataFrame) -> bool:
    for column in table.columns[:12]:
        values = table[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            sample = values.dropna().astype(str).head(20)
            if len(sample) and sample.str.fullmatch(r"[+-]?\d*,\d+([eE][+-]?\d+)?").all():
                return True
    return False


def _read_excel(path: Path, source: str, options: ReadOptions, report: Report) -> tuple[pd.DataFrame, np.ndarray]:
    import openpyxl

    # Opened here rather than by name: openpyxl refuses names not ending in .xlsx
    # or .xlsm, but a workbook renamed .xls or .csv is still one.
    with open(path, "rb") as handle:
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise TrackFormatError(
                f"not a readable Excel workbook ({type(exc).__name__}: {exc})",
                where=source,
                hint="open it in Excel and save it again as .xlsx, or export CSV",
            ) from None
        try:
            names = workbook.sheetnames
            sheet = options.sheet if options.sheet is not None else 0
            if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
                index = int(sheet)
                if not 0 <= index < len(names):
                    raise TrackFormatError(
                        f"the workbook has no sheet number {index}; it has {len(names)}: {', '.join(names)}",
                        where=source,
                        hint="sheets are numbered from 0; or give the sheet's name",
                    )
                sheet = names[index]
            elif sheet not in names:
                raise TrackFormatError(
                    f"no sheet named {sheet!r}; the sheets are {', '.join(names)}", where=source, hint="give one of those names"
                )
            try:  # the rows are parsed only now: a damaged sheet fails here, not at load_workbook
                rows = list(workbook[sheet].iter_rows(values_only=True))
            except TrackFormatError:
                raise
            except Exception as exc:  # noqa: BLE001 - openpyxl/lxml/zipfile raise many types for damaged sheets
                raise TrackFormatError(
                    f"sheet {sheet!r} is damaged ({type(exc).__name__}: {exc})",
                    where=source,
                    hint="open it in Excel and save it again as .xlsx, or export CSV",
                ) from None
        finally:
            workbook.close()
    if len(names) > 1:
        report.note(f"read sheet {sheet!r} of {len(names)} ({', '.join(names)}).")
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(v is not None and str(v).strip() != "" for v in row)]
    if not numbered:
        raise TrackFormatError(f"sheet {sheet!r} is empty", where=source, hint="choose the sheet that holds the tracks")
    (_, header), body = numbered[0], numbered[1:]
    width = max(len(header), *(len(r) for _, r in body)) if body else len(header)
    columns = [str(v).strip() if v is not None else f"column {i + 1}" for i, v in enumerate(header)]
    columns += [f"column {i + 1}" for i in range(len(columns), width)]
    # A repeated header gets ".1", ".2"... as pandas.read_csv does, so that every column has its own name.
    note_repeated_headers(columns, report)
    seen: dict[str, int] = {}
    for i, name in enumerate(columns):
        if name in seen:
            seen[name] += 1
            columns[i] = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
    table = pd.DataFrame([list(r) + [None] * (width - len(r)) for _, r in body], columns=columns)
    table = table.infer_objects()
    return table, np.array([n for n, _ in body], dtype=np.int64)


def _position_unit(x: Header, y: Header, source: str) -> tuple[str | None, float]:
    """The unit the x and y headers state, and the factor to px or µm."""
    units = {h.unit for h in (x, y) if h.unit}
    if not units:
        return None, 1.0
    parsed = {length_unit(u) for u in units}
    if None in parsed:
        bad = next(u for u in units if length_unit(u) is None)
        raise TrackFormatError(
            f"unknown position unit {bad!r} in the header", where=source, hint="use px, µm (um) or nm"
        )
    if len(parsed) > 1:
        raise TrackFormatError(
            f"x and y are in different units ({x.original!r}, {y.original!r})",
            where=source,
            hint="give both positions in the same unit",
        )
    return parsed.pop()


def tracks_from_table(
    raw: pd.DataFrame,
    source: str,
    format_name: str,
    options: ReadOptions,
    report: Report,
    locate: Callable[[int], str],
) -> Tracks:
    """Map a table's columns, convert units and finish it into :class:`Tracks`.

    Shared by text, Excel and HDF5 tables.
    """
    if raw.shape[1] == 0 or all(_is_number(c) for c in raw.columns):
        raise TrackFormatError(
            "the first row holds numbers, not column names",
            where=source,
            hint="add a header row such as track_id,frame,x,y",
        )
    if raw.empty:
        raise TrackFormatError("the table has a header but no rows", where=source, hint="export the tracks again")
    chosen = choose_columns(list(raw.columns), options.columns, source)
    renames = {h.original: key for key, h in chosen.items()}
    originals = {key: h.original for key, h in chosen.items()}
    # Say which columns were used, unless they are the usual names (trackpy's included).
    if any(h.original.strip().lower() not in (key, "particle") for key, h in chosen.items()):
        report.note("columns used: " + ", ".join(f"{k}={h.original!r}" for k, h in chosen.items()) + ".")
    # Keep the file's other columns, but not under a name the Tracks table uses
    # (a column "frame" left aside when another was mapped as the frame).
    for column in raw.columns:
        if str(column) not in renames and str(column) in CANONICAL:
            renames[str(column)] = f"{column}_original"
    table = raw.rename(columns=lambda c: renames.get(str(c), c))
    for key in ("x", "y", "t"):
        if key in table.columns:
            table[key] = numeric_column(table[key], originals[key], source, locate)
    if "frame" in table.columns:
        table["frame"] = numeric_column(table["frame"], originals["frame"], source, locate)
    unit, factor = _position_unit(chosen["x"], chosen["y"], source)
    if factor != 1.0:
        table["x"] *= factor
        table["y"] *= factor
        report.note(f"positions were converted from {chosen['x'].unit} to µm.")
        report.change("positions converted to µm", len(table))
    if "t" in chosen:
        seconds = time_unit_seconds(chosen["t"].unit) if chosen["t"].unit else 1.0
        if seconds is None:
            raise TrackFormatError(
                f"unknown time unit {chosen['t'].unit!r} in column {chosen['t'].original!r}",
                where=source,
                hint="use s, ms or min, or map that column as the frame",
            )
        if chosen["t"].unit is None:
            report.note(f"column {chosen['t'].original!r} was taken as the time in seconds.")
        table["t"] = table["t"] * seconds
    if "frame" not in chosen:
        table["frame"] = _frames_from_time(table, list(raw.columns), chosen["t"], source, options, report, locate)
    return finish_tracks(
        table,
        source,
        format_name,
        options,
        report,
        file_position_unit=unit,
        file_says="the header says",
        track_column=chosen["track_id"].original,
        locate=locate,
    )


def _is_number(value: object) -> bool:
    text = str(value).replace(",", ".")
    # pandas renames a repeated header "0.5" to "0.5.1".
    for candidate in (text, re.sub(r"\.\d+$", "", text)):
        try:
            float(candidate)
        except ValueError:
            continue
        return True
    return False


def _frames_from_time(
    table: pd.DataFrame,
    columns: list,
    time: Header,
    source: str,
    options: ReadOptions,
    report: Report,
    locate: Callable[[int], str],
) -> np.ndarray:
    """Frame numbers from a time column in s and the given frame interval."""
    if options.frame_interval_s is None:
        raise TrackFormatError(
            f"missing column(s) frame; found {', '.join(map(str, columns))}",
            where=source,
            hint=f"the header needs track_id, frame, x and y; if {time.original!r} counts frames, map it "
            f"as frame={time.original}; if it is a time, give the frame interval to compute frames",
        )
    ratio = table["t"].to_numpy() / options.frame_interval_s
    frames = np.round(ratio)
    off = ~np.isfinite(ratio) | (np.abs(ratio - frames) > FRAME_FROM_TIME_TOLERANCE)
    if off.any():
        row = int(np.flatnonzero(off)[0])
        value = table["t"].iloc[row]
        if np.isnan(value):
            raise TrackFormatError(
                f"{locate(row)} has no time in column {time.original!r}",
                where=source,
                hint="fill in the time or delete that row, or map a frame column",
            )
        raise TrackFormatError(
            f"time {value!r} s at {locate(row)} is not a whole number of frames of {options.frame_interval_s:g} s",
            where=source,
            hint="check the frame interval, or map a frame column",
        )
    report.note(
        f"frame numbers were computed from column {time.original!r} and the frame interval {options.frame_interval_s:g} s."
    )
    return frames


def read_table(path: Path, options: ReadOptions) -> Tracks:
    """Read a CSV/TSV/text table or an ``.xlsx`` workbook (see the module's docstring)."""
    source = str(path)
    report = Report()
    with open(path, "rb") as handle:
        is_zip = handle.read(4) == b"PK\x03\x04"  # a workbook, even one renamed .xls or .csv
    if is_zip:
        raw, row_numbers = _read_excel(path, source, options, report)
        place = "row"
    else:
        raw, row_numbers = _read_text(path, source, report)
        place = "line"
    return tracks_from_table(raw, source, FORMAT_NAME, options, report, lambda row: f"{place} {row_numbers[row]}")
