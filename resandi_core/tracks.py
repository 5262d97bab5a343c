"""The Tracks table: one row per detection, ``track_id, frame, x, y`` [, ``t``].

Positions are in ``position_unit`` (pixels unless the source says otherwise);
``pixel_size_um`` (µm per pixel) and ``frame_interval_s`` (s per frame) carry the
calibration when known and stay None when not: nothing assumes 1. Classification
does not need them (AnDi normalisation removes units); MSD and plots do.

Readers (:mod:`resandi_core.io`) also say what they did to the file's rows:
``dropped`` counts what was left out (nothing is dropped without being counted),
``changed`` counts what was kept but altered (a branching track cut into segments,
rows put in frame order), and ``notes`` explains both, and anything else the user
should know, in sentences. :meth:`Tracks.summary` puts it all in one paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .units import POSITION_UNITS, canonical_position_unit

REQUIRED_COLUMNS = ("track_id", "frame", "x", "y")
#: Optional column: the time of each detection in seconds, when the file has one.
TIME_COLUMN = "t"


@dataclass
class Tracks:
    """Tracks read from one file.

    Attributes
    ----------
    table : DataFrame
        Columns ``track_id`` (any hashable; readers give int where the file
        allows), ``frame`` (int), ``x``, ``y`` (float, ``position_unit``), one row
        per detection; optional ``t`` (float, seconds since the movie's start);
        other columns of the file are kept.
    source : str
        Where the tracks came from (a file path), used in every message.
    position_unit : str
        Unit of ``x`` and ``y``: ``"px"`` or ``"µm"``.
    pixel_size_um : float or None
        µm per pixel, when known. Positions in µm stay in µm when it is known.
    frame_interval_s : float or None
        Seconds per frame, when known.
    format : str
        Name of the format the file was read as (see
        :func:`resandi_core.io.list_formats`); empty for tables built in code.
    notes : list of str
        Human-readable remarks and warnings about the reading, one sentence each.
    dropped : dict of str to int
        What was left out, and how many: e.g. ``{"spots without track": 12}``.
    changed : dict of str to int
        What was kept but altered, and how many: e.g.
        ``{"branching tracks split": 1, "segments from branching tracks": 3}``.
    """

    table: pd.DataFrame
    source: str
    position_unit: str = "px"
    pixel_size_um: float | None = None
    frame_interval_s: float | None = None
    format: str = ""
    notes: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [c for c in REQUIRED_COLUMNS if c not in self.table.columns]
        if missing:
            raise ValueError(f"Tracks table lacks columns {missing}")
        # Spellings from other tools ("um", "micron", "pixel") mean the same two units.
        unit = canonical_position_unit(str(self.position_unit))
        if unit not in POSITION_UNITS:
            raise ValueError(f"position_unit must be one of {POSITION_UNITS}, not {self.position_unit!r}")
        self.position_unit = unit

    @property
    def n_tracks(self) -> int:
        return int(self.table["track_id"].nunique())

    @property
    def n_detections(self) -> int:
        return len(self.table)

    @property
    def has_time(self) -> bool:
        """True when the table has a ``t`` column (seconds)."""
        return TIME_COLUMN in self.table.columns

    def summary(self) -> str:
        """One readable paragraph: what was read, in which units, what was dropped or changed.

        Examples
        --------
        ``"spots.csv (TrackMate spot table): 3 tracks, 42 detections in frames
        0-19; positions in µm; pixel size 0.16 µm; frame interval 0.05 s.
        Dropped: spots without track: 2. Note: ..."``
        """
        kind = f" ({self.format})" if self.format else ""
        frames = self.table["frame"].to_numpy()
        span = f" in frames {int(frames.min())}-{int(frames.max())}" if frames.size else ""
        parts = [
            f"{self.source}{kind}: {_plural(self.n_tracks, 'track')}, "
            f"{_plural(self.n_detections, 'detection')}{span}; positions in {self.position_unit}; "
            f"pixel size {_value(self.pixel_size_um, 'µm')}; frame interval {_value(self.frame_interval_s, 's')}."
        ]
        if self.dropped:
            parts.append("Dropped: " + "; ".join(f"{what}: {n}" for what, n in self.dropped.items()) + ".")
        if self.changed:
            parts.append("Changed: " + "; ".join(f"{what}: {n}" for what, n in self.changed.items()) + ".")
        parts.extend(f"Note: {note}" for note in self.notes)
        return " ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _value(value: float | None, unit: str) -> str:
    return "unknown" if value is None or not np.isfinite(value) else f"{value:g} {unit}"
