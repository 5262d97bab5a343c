"""trackpy / pandas HDF5 track tables (``.h5``, ``.hdf5``), read with pandas and PyTables.

The layouts pandas and trackpy write:

- :meth:`pandas.DataFrame.to_hdf` / ``HDFStore.put``, fixed or table format:
  one table under a key;
- trackpy's ``PandasHDFStore`` and ``PandasHDFStoreBig``: one table per frame,
  ``/Frame_0``, ``/Frame_1``... (``Big`` adds ``/_Frames_Cache``, a list of the
  frame numbers). The frame tables are joined in frame order into one table,
  as trackpy's ``dump()`` does;
- trackpy's ``PandasHDFStoreSingleNode``: one table ``/FrameData``.

The table read is the one the ``key`` option names; else the only one; else
trackpy's (``/FrameData``, then the per-frame tables), with a note naming the
tables left aside. Several tables of neither kind need the ``key`` option. HDF5
files without pandas tables (written with h5py, MATLAB...) are refused with a
hint. The table's columns are then matched like any table (:mod:`.columns`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TrackFormatError
from ..tracks import Tracks
from .assemble import ReadOptions, Report, short_list
from .tables import tracks_from_table

FORMAT_NAME = "hdf5"
#: trackpy's PandasHDFStore(Big) keys: one table per frame.
_FRAME_KEY = re.compile(r"^Frame_(\d+)$")
#: trackpy's PandasHDFStoreBig list of frame numbers: not tracks.
FRAMES_CACHE_KEY = "_Frames_Cache"
#: trackpy's PandasHDFStoreSingleNode key.
TRACKPY_KEY = "FrameData"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
DAMAGED_HINT = "the file may be damaged: save the tracks again with pandas or trackpy, or export them as CSV"
EXPORT_HINT = "save the tracks with DataFrame.to_hdf or a trackpy PandasHDFStore, or export them as CSV"


def _frame_number(key: str) -> int | None:
    """The frame number of a per-frame key such as ``/Frame_12``, else None."""
    match = _FRAME_KEY.match(key.strip("/"))
    return int(match.group(1)) if match else None


def _pick_keys(keys: list[str], wanted: str | None, source: str) -> tuple[list[str], list[str]]:
    """The keys to read and the tables left aside.

    Parameters
    ----------
    keys : list of str
        The pandas tables in the file (``HDFStore.keys()``).
    wanted : str, optional
        The key the caller asked for, with or without the leading ``/``.
    source : str
        The file, for messages.

    Returns
    -------
    read : list of str
        One key, or the per-frame keys in frame order.
    ignored : list of str
        Tables that are neither read nor trackpy's frame cache.

    Raises
    ------
    TrackFormatError
        No table, no table ``wanted``, or several unrelated tables and no ``wanted``.
    """
    clean = {k.strip("/"): k for k in keys}
    if wanted is not None:
        if wanted.strip("/") not in clean:
            raise TrackFormatError(
                f"no table {wanted!r} in the file; it has {short_list(sorted(clean), 10) or 'none'}",
                where=source,
                hint="give one of those keys",
            )
        return [clean[wanted.strip("/")]], []
    tables = [k for k in keys if k.strip("/") != FRAMES_CACHE_KEY]
    if not tables:
        raise TrackFormatError("the HDF5 file holds no pandas table", where=source, hint=EXPORT_HINT)
    frames = sorted((k for k in tables if _frame_number(k) is not None), key=_frame_number)
    if len(tables) == 1:
        read = tables
    elif TRACKPY_KEY in clean:
        read = [clean[TRACKPY_KEY]]
    elif frames:
        read = frames
    else:
        raise TrackFormatError(
            f"the HDF5 file holds several tables: {short_list(sorted(clean), 10)}",
            where=source,
            hint="choose one with the key option",
        )
    return read, [k for k in tables if k not in read]


def _summary(exc: BaseException) -> str:
    """One line for an exception: PyTables' messages are HDF5's whole back trace, then a summary line."""
    trace, _, summary = str(exc).partition("End of HDF5 error back trace")
    lines = [line.strip() for line in (summary.strip() or trace).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _open_error(path: Path, exc: Exception, source: str) -> TrackFormatError:
    """One-line error for a file PyTables cannot open (its message is HDF5's multi-line back trace)."""
    with open(path, "rb") as handle:
        is_hdf5 = handle.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    if not is_hdf5:
        return TrackFormatError("not an HDF5 file", where=source, hint="leave the format to be detected, or export the tracks as CSV")
    if "unable to lock" in str(exc) or "already opened" in str(exc):  # another process / this one
        return TrackFormatError(
            "the HDF5 file is open for writing",
            where=source,
            hint="close it first (for a trackpy or pandas store: store.close())",
        )
    return TrackFormatError(
        "not a readable HDF5 file (truncated or damaged)",
        where=source,
        hint="copy or save the tracks again: an interrupted copy, download or save leaves such files",
    )


def _read_table(path: Path, wanted: str | None, source: str) -> tuple[pd.DataFrame, list[tuple[str, int]], list[str]]:
    """The table (per-frame tables joined), each key read with its row count, and the tables left aside."""
    try:
        store = pd.HDFStore(path, mode="r")
    except ImportError as exc:  # PyTables is a dependency, but installs break
        raise TrackFormatError(str(exc), where=source, hint="pip install tables") from None
    except Exception as exc:  # PyTables' HDF5ExtError: a multi-line HDF5 back trace
        raise _open_error(path, exc, source) from None
    with store:
        key = "the list of tables"
        try:
            keys, ignored = _pick_keys(store.keys(), wanted, source)
            parts = []
            for key in keys:
                parts.append(store.get(key))
        except TrackFormatError:
            raise
        except Exception as exc:  # damaged nodes, layouts pandas cannot read
            raise TrackFormatError(f"cannot read {key} ({_summary(exc)})", where=source, hint=DAMAGED_HINT) from None
    for key, part in zip(keys, parts):
        if part is None:  # a pandas node whose data is gone
            raise TrackFormatError(f"cannot read {key} (its data is missing)", where=source, hint=DAMAGED_HINT)
        if not isinstance(part, pd.DataFrame):
            raise TrackFormatError(
                f"{key} holds a {type(part).__name__}, not a table", where=source, hint="choose a table with the key option"
            )
    table = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return table.reset_index(drop=True), [(k, len(p)) for k, p in zip(keys, parts)], ignored


def read_hdf5(path: Path, options: ReadOptions) -> Tracks:
    """Read a trackpy / pandas HDF5 table (see the module's docstring).

    Parameters
    ----------
    path : Path
        The ``.h5`` file.
    options : ReadOptions
        ``key`` picks the table; ``columns`` and the calibration apply as for any table.

    Returns
    -------
    Tracks
        The tracks, with notes on the tables read and left aside.

    Raises
    ------
    TrackFormatError
        A file that is not HDF5, is damaged, holds no pandas table, or holds
        several unrelated tables and no ``key`` says which.
    """
    source = str(path)
    report = Report()
    table, parts, ignored = _read_table(path, options.key, source)
    keys = [key for key, _ in parts]
    if len(keys) > 1:
        report.note(f"read {len(keys)} per-frame tables ({keys[0]} ... {keys[-1]}).")
    if ignored:
        read = keys[0] if len(keys) == 1 else "the per-frame tables"
        report.note(f"read {read}; left aside {short_list(ignored)} (choose another with the key option).")
    ends = np.cumsum([n for _, n in parts])

    def locate(row: int) -> str:
        i = int(np.searchsorted(ends, row, side="right"))
        return f"row {row + 1 - (int(ends[i - 1]) if i else 0)} of {keys[i]}"

    return tracks_from_table(table, source, FORMAT_NAME, options, report, locate)
