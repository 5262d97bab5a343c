"""AnDi challenge trajectory files (``task1.txt``, ``task2.txt``, ``task3.txt``).

Format (andi_datasets 2.1.13, ``datasets_challenge.challenge_theory_dataset``
with ``save_dataset=True``: each trajectory is written by
``csv.writer(delimiter=';')`` as ``np.append(dim, traj)``, where ``traj`` is
the trajectory reshaped ``(dim, T)`` and flattened):

    dim;x1;x2;...;xT;y1;...;yT          (2-D; 1-D lines hold x only, 3-D add z)

One trajectory per line; the dimension is written as a float (``2.0``); lines
of different dimensions and lengths share one file. Only 2-D lines are read
(ResAnDi classifies 2-D tracks); lines of other dimensions are dropped and
counted. Track id = line number (from 1); frames count from 0. AnDi positions
have no physical unit: they are taken as pixels unless a unit is given.
The reference files (``ref1.txt``: ``dim;label``) are refused with a hint.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TrackFormatError
from ..tracks import Tracks
from .assemble import ReadOptions, Report, finish_tracks

FORMAT_NAME = "andi-txt"


def _parse(line: str, line_no: int, source: str) -> np.ndarray:
    cells = line.strip().rstrip(";").split(";")
    try:
        return np.array(cells, dtype=np.float64)
    except ValueError:
        bad = next(c for c in cells if not _is_float(c))
        raise TrackFormatError(
            f"non-numeric value {bad.strip()!r} at line {line_no}",
            where=source,
            hint="AnDi files hold only numbers separated by ';'",
        ) from None


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_andi_txt(path: Path, options: ReadOptions) -> Tracks:
    """Read an AnDi challenge trajectory file (see the module's docstring)."""
    source = str(path)
    report = Report()
    other_dims: Counter[int] = Counter()
    ids, lengths, xs, ys = [], [], [], []
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            values = _parse(line, line_no, source)
            dim = values[0]
            if dim not in (1.0, 2.0, 3.0):
                raise TrackFormatError(
                    f"line {line_no} starts with {values[0]:g}, not a dimension (1, 2 or 3)",
                    where=source,
                    hint="each line is dim;x1;...;xT;y1;...;yT",
                )
            coords = values[1:]
            dim = int(dim)
            if len(coords) < 2 * dim or len(coords) % dim:
                raise TrackFormatError(
                    f"line {line_no} holds {len(coords)} value(s) after the dimension {dim}, "
                    f"not {dim} coordinates per point",
                    where=source,
                    hint="this looks like an AnDi reference (labels) file such as ref1.txt; open the task file"
                    if len(coords) < 2 * dim
                    else "each line is dim;x1;...;xT;y1;...;yT",
                )
            if dim != 2:
                other_dims[dim] += 1
                continue
            n = len(coords) // 2
            ids.append(line_no)
            lengths.append(n)
            xs.append(coords[:n])
            ys.append(coords[n:])
    for dim, count in sorted(other_dims.items()):
        report.drop(f"{dim}-D trajectories", count)
    if not ids:
        found = ", ".join(f"{n} of dimension {d}" for d, n in sorted(other_dims.items()))
        raise TrackFormatError(
            "no 2-D trajectory in the file" + (f" ({found})" if found else ""),
            where=source,
            hint="ResAnDi classifies 2-D tracks; generate the AnDi data set with dimension 2",
        )
    lengths = np.asarray(lengths)
    table = pd.DataFrame(
        {
            "track_id": np.repeat(np.asarray(ids, dtype=np.int64), lengths),
            "frame": np.concatenate([np.arange(n) for n in lengths]),
            "x": np.concatenate(xs),
            "y": np.concatenate(ys),
        }
    )
    if options.position_unit is None:
        report.note("AnDi positions have no physical unit; they were taken as pixels.")
    return finish_tracks(
        table,
        source,
        FORMAT_NAME,
        options,
        report,
        file_position_unit=None if options.position_unit else "px",
        track_column="line number",
        locate=lambda row: f"line {table['track_id'].iloc[row]}",
    )
