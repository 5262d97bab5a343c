"""One entry point for every tracks file: :func:`read_tracks`."""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

from ..errors import ResandiError, TrackFormatError
from ..tracks import Tracks
from .assemble import ReadOptions
from .detect import HEAD_BYTES, canonical_format, detect_format, refuse_non_tracks

log = logging.getLogger(__name__)

#: Format name -> (module, function). Imported on use: PyTables or openpyxl load only when needed.
READERS = {
    "table": ("tables", "read_table"),
    "trackmate-csv": ("trackmate_csv", "read_trackmate_csv"),
    "trackmate-xml": ("trackmate_xml", "read_trackmate_xml"),
    "hdf5": ("hdf5", "read_hdf5"),
    "andi-txt": ("andi_txt", "read_andi_txt"),
    "numpy": ("arrays", "read_numpy"),
}
#: Formats whose columns the caller may map.
MAPPABLE = ("table", "hdf5")


def read_tracks(
    path: str | os.PathLike,
    *,
    format: str = "auto",
    columns: dict[str, str] | None = None,
    pixel_size_um: float | None = None,
    frame_interval_s: float | None = None,
    position_unit: str | None = None,
    sheet: str | int | None = None,
    key: str | None = None,
) -> Tracks:
    """Read tracks from any supported file.

    Parameters
    ----------
    path : path
        The file.
    format : str
        ``"auto"`` (default: detected from the content, see
        :mod:`resandi_core.io.detect`) or a name from :func:`list_formats`
        (``table``, ``trackmate-csv``, ``trackmate-xml``, ``hdf5``, ``andi-txt``,
        ``numpy``; aliases such as ``csv``, ``xlsx``, ``h5``, ``npy`` work too).
    columns : dict of str to str, optional
        For tables: which column is which, ``{"track_id": "Traj", "frame":
        "Slice", "x": "X (µm)", "y": "Y (µm)", "t": "Time"}``. Roles not given
        are guessed from common names.
    pixel_size_um : float, optional
        µm per pixel. Used when the file does not say; when it does and the
        values differ, this argument wins and a note says so. Positions the file
        gives in µm stay in µm.
    frame_interval_s : float, optional
        Seconds per frame; same rule: the argument wins over the file, with a note.
    position_unit : str, optional
        ``"px"`` or ``"µm"`` (``"um"``): the positions' unit when the file does
        not say (default pixels, with a note). A unit the file states wins.
    sheet : str or int, optional
        Excel worksheet (name or 0-based index); default the first.
    key : str, optional
        HDF5 table key; default the only table, or trackpy's.

    Returns
    -------
    Tracks
        ``track_id, frame (int), x, y (float)`` [, ``t`` (s)], sorted by track and
        frame, with units, ``notes``, ``dropped`` and ``changed``.

    Raises
    ------
    TrackFormatError
        The file is missing, empty, not tracks, or broken; the message names the
        file and the row or track, and says what to do.
    ResandiError
        Invalid arguments (a negative pixel size, a mapping for a format without columns).
    """
    path = Path(path)
    if not path.exists():
        raise TrackFormatError("file not found", where=str(path), hint="check the path")
    if path.is_dir():
        raise TrackFormatError("this is a folder, not a file", where=str(path), hint="choose a tracks file inside it")
    if not path.is_file():  # a named pipe or a device would block or never end
        raise TrackFormatError("not a regular file (a pipe, socket or device)", where=str(path),
                               hint="save the tracks to a file and give that file")
    options = ReadOptions(
        columns=dict(columns) if columns else None,
        pixel_size_um=pixel_size_um,
        frame_interval_s=frame_interval_s,
        position_unit=position_unit,
        sheet=sheet,
        key=key,
    )
    try:
        if format == "auto" or format is None:
            name = detect_format(path)
        else:
            name = canonical_format(format)
            with open(path, "rb") as handle:
                head = handle.read(HEAD_BYTES)
            if not head.strip():
                raise TrackFormatError("the file is empty", where=str(path), hint="export the tracks again")
            refuse_non_tracks(path, head)
        if options.columns and name not in MAPPABLE:
            raise ResandiError(
                f"a column mapping applies to tables, not to the {name} format",
                where=str(path),
                hint="leave out the column mapping for this file",
            )
        module_name, function_name = READERS[name]
        reader = getattr(importlib.import_module(f".{module_name}", __package__), function_name)
        tracks = reader(path, options)
    except OSError as exc:  # e.g. a file that Excel holds open on Windows
        raise TrackFormatError(
            f"cannot read the file ({exc.strerror or exc})",
            where=str(path),
            hint="close it in other programs (Excel locks open files) and check that you may read it",
        ) from None
    log.info("%s", tracks.summary())
    return tracks
