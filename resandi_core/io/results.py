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

from ..fileio import atomic_write

RESULTS_FILE = "results.csv"
GRADCAM_FILE = "gradcam.csv"
WINDOWS_FILE = "windows.csv"

#: Significant digits written for floating-point numbers.
FLOAT_FORMAT = "%.7g"


def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write one table atomically (temporary file, then rename)."""
    path = Path(path)
    with atomic_write(path) as handle:
        table.to_csv(handle, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return path


def write_classification(
    tracks: pd.DataFrame, gradcam: pd.DataFrame, windows: pd.DataFrame, out_dir: str | os.PathLike
) -> list[Path]:
    """Write ``results.csv``, ``gradcam.csv`` and ``windows.csv`` into ``out_dir``."""
    out_dir = Path(out_dir)
    return [
        write_csv(tracks, out_dir / RESULTS_FILE),
        write_csv(gradcam, out_dir / GRADCAM_FILE),
        write_csv(windows, out_dir / WINDOWS_FILE),
    ]
