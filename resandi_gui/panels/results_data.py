"""What the Results view reads from one classified file, prepared once per result.

Kept apart from the widgets so the lookups (a track's rows, its Grad-CAM scores
for any target class, its MSD) are plain functions of the result that tests can
compare with the core. Nothing here imports torch until Grad-CAM of another
target class is asked for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from resandi_core.model.spec import CLASS_NAMES
from resandi_core.msd import DEFAULT_FIT_LAGS, MsdUnits, imsd, msd_units
from resandi_core.tracks import Tracks

from ..session import SessionFile
from ..widgets.track_lines import TrackLines

log = logging.getLogger(__name__)

#: The Grad-CAM target meaning "each track's own predicted class".
PREDICTED = "predicted"
PROB_COLUMNS = [f"prob_{name}" for name in CLASS_NAMES]
#: Longest lag shown in the MSD plot, frames (the fit uses far fewer).
MAX_SHOWN_LAG = 200


@dataclass
class TrackScores:
    """Grad-CAM scores of one track for one target class and ReLU setting.

    Attributes
    ----------
    frames : ndarray, shape (n,), int64
        Every frame from the track's first to last (gaps filled, as classified).
    scores : ndarray, shape (n,), float64
    interpolated : ndarray, shape (n,), bool
    target : str
        The class the scores explain.
    """

    frames: np.ndarray
    scores: np.ndarray
    interpolated: np.ndarray
    target: str


@dataclass
class FileResults:
    """One file's result, indexed for fast per-track lookups.

    Attributes
    ----------
    entry : SessionFile
    units : MsdUnits
        Length and time units of plots (µm and s when calibrated).
    lines : TrackLines
        Every track's finite points, scaled to ``units.length``.
    """

    entry: SessionFile
    units: MsdUnits
    lines: TrackLines
    _rows: dict = field(default_factory=dict, repr=False)
    _result_rows: dict = field(default_factory=dict, repr=False)
    _gradcam_rows: dict = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)
    _overview_scores: np.ndarray | None = field(default=None, repr=False)
    #: What the indexes were built from; see :meth:`is_current`.
    _source: tuple = field(default=(), repr=False)

    @classmethod
    def build(cls, entry: SessionFile) -> FileResults:
        """Index ``entry.tracks`` and ``entry.result`` (both must be set)."""
        tracks, result = entry.tracks, entry.result
        units = msd_units(tracks)
        data = cls(entry, units, TrackLines.from_table(tracks.table, units.length_scale, units.length))
        data._source = _source_of(entry)
        data._rows = tracks.table.groupby("track_id", sort=False).indices
        data._result_rows = {tid: i for i, tid in enumerate(result.tracks["track_id"].tolist())}
        if not result.gradcam.empty:
            data._gradcam_rows = result.gradcam.groupby("track_id", sort=False).indices
        return data

    def is_current(self) -> bool:
        """False once the file was re-classified, re-read or re-calibrated: rebuild then."""
        return self._source == _source_of(self.entry)

    @property
    def result(self):  # -> ClassificationResult (not imported: it pulls in torch)
        return self.entry.result

    @property
    def track_ids(self) -> list[object]:
        return list(self._result_rows)

    def has_track(self, track_id: object) -> bool:
        return track_id in self._result_rows

    def row(self, track_id: object) -> pd.Series:
        """The track's row of ``result.tracks``."""
        return self.result.tracks.iloc[self._result_rows[track_id]]

    def table_rows(self, track_id: object) -> pd.DataFrame:
        """The track's detections (rows of the tracks table), in frame order."""
        return self.entry.tracks.table.iloc[self._rows[track_id]].sort_values("frame", kind="stable")

    def probabilities(self, track_id: object) -> np.ndarray:
        """P(class), shape (8,), in :data:`CLASS_NAMES` order (NaN when not classified)."""
        return self.row(track_id)[PROB_COLUMNS].to_numpy(dtype=np.float64)

    def is_classified(self, track_id: object) -> bool:
        return str(self.row(track_id)["status"]) == "ok"

    def target_class(self, track_id: object, target: str) -> str:
        """The class that ``target`` means for this track (its prediction for :data:`PREDICTED`)."""
        return str(self.row(track_id)["predicted_class"]) if target == PREDICTED else target

    def stored_target(self, track_id: object) -> str:
        """The class whose scores ``result.gradcam`` holds for this track."""
        return self.target_class(track_id, PREDICTED if self.result.target == PREDICTED else self.result.target)

    def scores(self, track_id: object, target: str, relu: bool) -> TrackScores | None:
        """Grad-CAM scores of one track; None when it was not classified.

        The result's own target and ReLU setting come straight from
        ``result.gradcam``; anything else is recomputed for this one track with
        the model that classified the file (~20 ms per 1000-point window) and cached.

        Raises
        ------
        ResandiError
            When a recomputation is needed but the file's model is unknown.
        """
        if not self.is_classified(track_id):
            return None
        wanted = self.target_class(track_id, target)
        key = (track_id, wanted, bool(relu))
        if key not in self._cache:
            if wanted == self.stored_target(track_id) and relu == self.result.relu and track_id in self._gradcam_rows:
                self._cache[key] = _scores_from(self.result.gradcam.iloc[self._gradcam_rows[track_id]], wanted)
            else:
                self._cache[key] = self._recompute(track_id, wanted, relu)
        return self._cache[key]

    def _recompute(self, track_id: object, target: str, relu: bool) -> TrackScores:
        from resandi_core.errors import ResandiError

        if self.entry.model is None:
            raise ResandiError(
                f"Grad-CAM of {target} needs the model that classified {self.entry.name}",
                hint="classify the file again in this session",
            )
        from resandi_core.classify import classify_tracks  # imports torch: only when needed

        rows = self.table_rows(track_id)[["track_id", "frame", "x", "y"]]
        result = classify_tracks(rows, self.entry.model, target_class=target, relu=relu, device="cpu")
        log.debug("recomputed Grad-CAM of %s (relu=%s) for track %s", target, relu, track_id)
        return _scores_from(result.gradcam, target)

    def positions(self, track_id: object, frames: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """x, y of a track in ``units.length``, shape (n,) each.

        At its detections' frames, or at ``frames`` (linear interpolation in missing
        frames, as the classifier filled them).
        """
        i = self.lines.index_of(track_id)
        if i is None:
            return np.zeros(0), np.zeros(0)
        part = slice(int(self.lines.starts[i]), int(self.lines.starts[i + 1]))
        x, y, observed = self.lines.x[part], self.lines.y[part], self.lines.frames[part]
        if frames is None or not len(observed):
            return x, y
        return np.interp(frames, observed, x), np.interp(frames, observed, y)

    def msd(self, track_id: object) -> tuple[np.ndarray, np.ndarray, int]:
        """Time-averaged MSD of one track.

        Returns
        -------
        lag : ndarray, shape (n_lags,)
            Lag times, ``units.time``.
        msd : ndarray, shape (n_lags,)
            ``units.length``²; NaN where no pair.
        n_fit_lags : int
            How many first lags the result's fit used (``min(10, n // 4)``).
        """
        rows = self.table_rows(track_id)
        tracks = self.entry.tracks
        one = Tracks(rows, tracks.source, tracks.position_unit, tracks.pixel_size_um, tracks.frame_interval_s)
        n_finite = int((np.isfinite(rows["x"]) & np.isfinite(rows["y"])).sum())
        table = imsd(one, max_lag=max(1, min(n_finite // 2, MAX_SHOWN_LAG)))
        if table.empty:
            return np.zeros(0), np.zeros(0), 0
        return table.index.to_numpy(dtype=np.float64), table.iloc[:, 0].to_numpy(dtype=np.float64), min(
            DEFAULT_FIT_LAGS, n_finite // 4
        )

    def overview_scores(self) -> np.ndarray:
        """``result.gradcam`` score of every point of :attr:`lines` (NaN where none), computed once."""
        if self._overview_scores is None:
            self._overview_scores = self.lines.scores_from(self.result.gradcam)
        return self._overview_scores

    def overview_classes(self) -> np.ndarray:
        """Predicted class name of each track of :attr:`lines` ("" when not classified)."""
        tracks = self.result.tracks
        classes = pd.Series(tracks["predicted_class"].fillna("").astype(str).to_numpy(), index=tracks["track_id"])
        return classes.reindex(self.lines.track_ids).fillna("").to_numpy(dtype=object)

    def overview_label(self) -> str:
        """What the overview's Grad-CAM colours are: the result's stored target and mode."""
        target = "each track's predicted class" if self.result.target == PREDICTED else self.result.target
        return f"Grad-CAM score ({target}, {'ReLU' if self.result.relu else 'signed'})"


def _source_of(entry: SessionFile) -> tuple:
    tracks = entry.tracks
    calibration = (tracks.position_unit, tracks.pixel_size_um, tracks.frame_interval_s) if tracks is not None else ()
    return (id(entry.result), id(tracks), id(tracks.table) if tracks is not None else 0, *calibration)


def _scores_from(rows: pd.DataFrame, target: str) -> TrackScores:
    rows = rows.sort_values("frame", kind="stable")
    return TrackScores(
        frames=rows["frame"].to_numpy(dtype=np.int64),
        scores=rows["score"].to_numpy(dtype=np.float64),
        interpolated=rows["interpolated"].to_numpy().astype(bool),
        target=target,
    )
