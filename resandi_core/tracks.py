"""The Tracks table: one row per detection, ``track_id, frame, x, y``.

Positions are in ``position_unit`` (pixels unless the source says otherwise);
``pixel_size_um`` (µm per pixel) and ``frame_interval_s`` (s per frame) carry the
calibration when known and stay None when not: nothing assumes 1. Classification
does not need them (AnDi normalisation removes units); MSD and plots do.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

REQUIRED_COLUMNS = ("track_id", "frame", "x", "y")


@dataclass
class Tracks:
    """Tracks read from one file.

    Attributes
    ----------
    table : DataFrame
        Columns ``track_id`` (any hashable), ``frame`` (int), ``x``, ``y`` (float),
        one row per detection; other columns are kept.
    source : str
        Where the tracks came from (a file path), used in every message.
    position_unit : str
        Unit of ``x`` and ``y``: ``"px"`` or ``"µm"``.
    pixel_size_um : float or None
        µm per pixel, when known.
    frame_interval_s : float or None
        Seconds per frame, when known.
    """

    table: pd.DataFrame
    source: str
    position_unit: str = "px"
    pixel_size_um: float | None = None
    frame_interval_s: float | None = None

    def __post_init__(self) -> None:
        missing = [c for c in REQUIRED_COLUMNS if c not in self.table.columns]
        if missing:
            raise ValueError(f"Tracks table lacks columns {missing}")

    @property
    def n_tracks(self) -> int:
        return int(self.table["track_id"].nunique())
