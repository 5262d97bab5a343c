"""Many tracks laid one after another in flat arrays: what the overview draws and picks from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class TrackLines:
    """The points of many tracks laid one after another, sorted by track id and frame.

    Attributes
    ----------
    track_ids : ndarray, shape (n_tracks,), object
        Sorted.
    lengths : ndarray, shape (n_tracks,), int64
        Finite points per track.
    frames : ndarray, shape (n_points,), int64
    x, y : ndarray, shape (n_points,), float64
        Positions, scaled to the plot's unit.
    unit : str
        ``"µm"`` or ``"px"``.
    """

    track_ids: np.ndarray
    lengths: np.ndarray
    frames: np.ndarray
    x: np.ndarray
    y: np.ndarray
    unit: str
    _index: dict | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_table(cls, table: pd.DataFrame, scale: float = 1.0, unit: str = "px") -> TrackLines:
        """From a tracks table (``track_id, frame, x, y``); rows with NaN positions are left out.

        Parameters
        ----------
        scale : float
            Factor from the table's position unit to ``unit`` (µm per px when calibrated).
        """
        x = table["x"].to_numpy(dtype=np.float64)
        y = table["y"].to_numpy(dtype=np.float64)
        keep = np.isfinite(x) & np.isfinite(y)
        codes, uniques = pd.factorize(table["track_id"], sort=True)
        codes = codes[keep]
        frames = table["frame"].to_numpy(dtype=np.int64)[keep]
        order = np.lexsort((frames, codes))
        lengths = np.bincount(codes, minlength=len(uniques)).astype(np.int64)
        return cls(
            track_ids=np.asarray(uniques, dtype=object),
            lengths=lengths,
            frames=frames[order],
            x=x[keep][order] * scale,
            y=y[keep][order] * scale,
            unit=unit,
        )

    @property
    def starts(self) -> np.ndarray:
        """Index of each track's first point, shape (n_tracks + 1,) (last = n_points)."""
        return np.concatenate([[0], np.cumsum(self.lengths)])

    def index_of(self, track_id: object) -> int | None:
        """Position of ``track_id`` in :attr:`track_ids`, or None."""
        if self._index is None:
            self._index = {tid: i for i, tid in enumerate(self.track_ids.tolist())}
        return self._index.get(track_id)

    def per_point(self, per_track: np.ndarray) -> np.ndarray:
        """Repeat one value per track onto its points, shape (n_points,)."""
        return np.repeat(per_track, self.lengths)

    def scores_from(self, gradcam: pd.DataFrame) -> np.ndarray:
        """Each point's Grad-CAM score from a result's ``gradcam`` table (NaN where none).

        Matched on (track_id, frame) with one sorted search instead of a pandas merge.
        """
        scores = np.full(len(self.x), np.nan)
        if gradcam is None or gradcam.empty or not len(self.x):
            return scores
        codes = pd.Index(self.track_ids).get_indexer(gradcam["track_id"])
        frames = gradcam["frame"].to_numpy(dtype=np.int64)
        known = codes >= 0
        low = min(int(self.frames.min()), int(frames.min()))
        wanted = (self.per_point(np.arange(len(self.track_ids))) << 32) + (self.frames - low)
        keys = (codes[known].astype(np.int64) << 32) + (frames[known] - low)
        values = gradcam["score"].to_numpy(dtype=np.float64)[known]
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        found = keys[at] == wanted
        scores[found] = values[at[found]]
        return scores
