"""What the Results view reads from one classified file, prepared once per result.

Kept apart from the widgets so the lookups (a track's rows, its Grad-CAM scores
for any target class, its MSD) are plain functions of the result that tests can
compare with the core. Nothing here imports torch or runs the network: Grad-CAM
of another target class comes from the maps of all classes the result keeps.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from resandi_core.model.spec import CLASS_NAMES
from resandi_core.msd import MsdUnits, imsd, msd_units
from resandi_core.tracks import Tracks

from ..session import SessionFile
from ..widgets.track_lines import TrackLines
from ..widgets.track_table_model import TableColumns, prepare_columns

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


@dataclass(eq=False)
class FileResults:
    """One file's result, indexed for fast per-track lookups.

    Holds the result and tracks it was built from, and its file only weakly: a
    cache keyed by the file (:class:`weakref.WeakKeyDictionary`) can keep it
    without keeping a closed file alive.

    Attributes
    ----------
    result : ClassificationResult
        The result indexed (``entry.result`` when built).
    tracks : Tracks
        The tracks indexed (``entry.tracks`` when built).
    units : MsdUnits
        Length and time units of plots (µm and s when calibrated).
    lines : TrackLines
        Every track's finite points, scaled to ``units.length``.
    """

    result: Any  # ClassificationResult (not imported: it pulls in torch)
    tracks: Tracks
    units: MsdUnits
    lines: TrackLines
    _entry: weakref.ref = field(repr=False)
    _rows: dict = field(default_factory=dict, repr=False)
    _result_rows: dict = field(default_factory=dict, repr=False)
    _gradcam_rows: dict = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)
    _overview_scores: np.ndarray | None = field(default=None, repr=False)
    _table_columns: TableColumns | None = field(default=None, repr=False)
    #: The table and calibration the indexes were built from; see :meth:`is_current`.
    _table: pd.DataFrame | None = field(default=None, repr=False)
    _calibration: tuple = field(default=(), repr=False)

    @classmethod
    def build(cls, entry: SessionFile) -> FileResults:
        """Index ``entry.tracks`` and ``entry.result`` (both must be set)."""
        tracks, result = entry.tracks, entry.result
        units = msd_units(tracks)
        lines = TrackLines.from_table(tracks.table, units.length_scale, units.length)
        data = cls(result, tracks, units, lines, weakref.ref(entry))
        data._table, data._calibration = tracks.table, _calibration_of(tracks)
        data._rows = tracks.table.groupby("track_id", sort=False).indices
        data._result_rows = {tid: i for i, tid in enumerate(result.tracks["track_id"].tolist())}
        if not result.gradcam.empty:
            data._gradcam_rows = result.gradcam.groupby("track_id", sort=False).indices
        return data

    @property
    def entry(self) -> SessionFile | None:
        """The file this was built for; None once it was closed and forgotten."""
        return self._entry()

    def is_current(self) -> bool:
        """False once the file was re-classified, re-read or re-calibrated (or closed): rebuild then.

        Compares the objects themselves, not their ``id()``: a new result may
        reuse a freed one's id. Holding them also keeps that from happening.
        """
        entry = self.entry
        return (
            entry is not None
            and entry.result is self.result
            and entry.tracks is self.tracks
            # Tracks is a mutable dataclass: a table or calibration set in place counts too.
            and self.tracks.table is self._table
            and _calibration_of(self.tracks) == self._calibration
        )

    @property
    def track_ids(self) -> list[object]:
        return list(self._result_rows)

    def table_columns(self) -> TableColumns:
        """The track table's formatted columns of this result, prepared on the first call."""
        if self._table_columns is None:
            self._table_columns = prepare_columns(self.result.tracks)
        return self._table_columns

    def has_track(self, track_id: object) -> bool:
        return track_id in self._result_rows

    def row(self, track_id: object) -> pd.Series:
        """The track's row of ``result.tracks``."""
        return self.result.tracks.iloc[self._result_rows[track_id]]

    def table_rows(self, track_id: object) -> pd.DataFrame:
        """The track's detections (rows of the tracks table), in frame order."""
        return self.tracks.table.iloc[self._rows[track_id]].sort_values("frame", kind="stable")

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
        ``result.gradcam``; any other class or setting is stitched from the
        all-class maps the result keeps (``result.window_maps``, no network run)
        and cached.

        Raises
        ------
        ResandiError
            When the result was made without Grad-CAM maps.
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
        # From the all-class maps the result keeps: no network, no torch, no model needed.
        scores = self.result.track_gradcam(track_id, target, relu=relu)
        log.debug("Grad-CAM of %s (relu=%s) for track %s from the stored maps", target, relu, track_id)
        return _scores_from(scores, target)

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
        """Time-averaged MSD of one track, and how many of its lags the result's fit used.

        Returns
        -------
        lag : ndarray, shape (n_lags,)
            Lag times, ``units.time``.
        msd : ndarray, shape (n_lags,)
            ``units.length``²; NaN where no pair.
        n_fit_lags : int
            The result's ``msd_n_lags``: the fit used the first ``n_fit_lags`` lags
            that have a positive MSD (:func:`resandi_core.msd.fit_msd` leaves out
            lags without a pair or with zero MSD). 0 when the result has no such
            column (nothing is then marked as fitted rather than guessed).
        """
        rows = self.table_rows(track_id)
        tracks = self.tracks
        one = Tracks(rows, tracks.source, tracks.position_unit, tracks.pixel_size_um, tracks.frame_interval_s)
        n_finite = int((np.isfinite(rows["x"]) & np.isfinite(rows["y"])).sum())
        table = imsd(one, max_lag=max(1, min(n_finite // 2, MAX_SHOWN_LAG)))
        if table.empty:
            return np.zeros(0), np.zeros(0), 0
        # The count the core's fit stored, not a rule of our own: the core's rule
        # (max_lag, min_lags, which lags are usable) may change, and the marked
        # points must stay the ones the α and D in the table were fitted on.
        n_fit = pd.to_numeric(self.row(track_id).get("msd_n_lags", np.nan), errors="coerce")
        n_fit = int(n_fit) if np.isfinite(n_fit) else 0
        return table.index.to_numpy(dtype=np.float64), table.iloc[:, 0].to_numpy(dtype=np.float64), n_fit

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

    def overview_uncertain(self) -> np.ndarray:
        """Whether each track of :attr:`lines` is flagged ``uncertain``, shape (n_tracks,), bool."""
        tracks = self.result.tracks
        if "uncertain" not in tracks.columns:
            return np.zeros(len(self.lines.track_ids), dtype=bool)
        flags = pd.Series(tracks["uncertain"].fillna(False).astype(bool).to_numpy(), index=tracks["track_id"])
        return flags.reindex(self.lines.track_ids).fillna(False).to_numpy(dtype=bool)

    def overview_label(self) -> str:
        """What the overview's Grad-CAM colours are: the result's stored target and mode."""
        target = "each track's predicted class" if self.result.target == PREDICTED else self.result.target
        return f"Grad-CAM score ({target}, {'ReLU' if self.result.relu else 'signed'})"


def _calibration_of(tracks: Tracks) -> tuple:
    """What scales positions and lags: when it changes, :attr:`FileResults.lines` and the units are stale."""
    return (tracks.position_unit, tracks.pixel_size_um, tracks.frame_interval_s)


def _scores_from(rows: pd.DataFrame, target: str) -> TrackScores:
    rows = rows.sort_values("frame", kind="stable")
    return TrackScores(
        frames=rows["frame"].to_numpy(dtype=np.int64),
        scores=rows["score"].to_numpy(dtype=np.float64),
        interpolated=rows["interpolated"].to_numpy().astype(bool),
        target=target,
    )
