"""Writing classification results as CSV files that open in any spreadsheet.

- ``results.csv``: one row per track (class, confidence, 8 probabilities,
  Grad-CAM mean, status, and how many frames were filled and windows used);
- ``gradcam.csv``: one row per point: ``file, track_id, frame, score, interpolated``;
- ``windows.csv``: one row per 1000-point window of each track.

Each file is written to a temporary name and renamed, so an existing file is never
left half-written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..atomic import atomic_writes
from ..errors import OutputError

RESULTS_FILE = "results.csv"
GRADCAM_FILE = "gradcam.csv"
WINDOWS_FILE = "windows.csv"

#: Significant digits written for floating-point numbers.
FLOAT_FORMAT = "%.7g"


def printable_name(name: object) -> object:
    """A file name as valid UTF-8 text: bytes that were not UTF-8 (kept by Python as surrogates) become ``\\xNN``.

    The name stays recognisable and the CSV stays readable by every tool; anything
    that is not a string is returned unchanged.
    """
    if not isinstance(name, str):
        return name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _printable_files(table: pd.DataFrame) -> pd.DataFrame:
    if "file" not in table.columns or table.empty:
        return table
    return table.assign(file=table["file"].map(printable_name))


def write_classification(
    tracks: pd.DataFrame, gradcam: pd.DataFrame, windows: pd.DataFrame, out_dir: str | os.PathLike
) -> list[Path]:
    """Write ``results.csv``, ``gradcam.csv`` and ``windows.csv`` into ``out_dir``.

    All three are written to temporary files first and renamed together, so the
    folder never holds a new results.csv next to an old gradcam.csv.

    Raises
    ------
    OutputError
        If the folder cannot be written (permissions, full disk, a folder in the
        way); existing files are left as they were.
    """
    out_dir = Path(out_dir)
    finals = [out_dir / RESULTS_FILE, out_dir / GRADCAM_FILE, out_dir / WINDOWS_FILE]
    try:
        with atomic_writes(finals) as temps:
            for table, tmp in zip((tracks, gradcam, windows), temps):
                _printable_files(table).to_csv(tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    except OSError as exc:
        raise OutputError(
            f"cannot write the results ({exc.strerror or exc}); existing files were left as they were",
            where=str(out_dir),
            hint="choose a folder you can write to, with free space",
        ) from None
    return finals
