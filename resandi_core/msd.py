"""Mean squared displacement (MSD): per track, over the ensemble, and power-law fits.

Definitions (2-D)
    The time-averaged MSD of a track at lag ``k`` frames is the mean of
    ``(x(t+k) - x(t))**2 + (y(t+k) - y(t))**2`` over every pair of detections
    exactly ``k`` frames apart. Lags count frame numbers, not rows: a track with
    missing frames (a linker's memory) simply has fewer pairs at some lags, as in
    trackpy's ``imsd``.

    The fit is ``MSD(t) = 4 D t**alpha``, i.e. the straight line
    ``log MSD = log(4 D) + alpha log t`` fitted by ordinary least squares on the
    first lags, ``t = k * frame_interval``. ``alpha`` is 1 for Brownian motion,
    below 1 for subdiffusion, above for superdiffusion; ``D`` is then in
    ``length**2 / time**alpha``.

Which lags are fitted
    Lags ``1 .. min(max_lag, n // 4)`` where ``n`` is the track's number of
    detections and ``max_lag`` is 10 by default. Longer lags average over fewer,
    strongly overlapping pairs, so their MSD is noisy and biases the fit; the
    first ~10 lags, and never more than a quarter of the track, is the common
    rule (Saxton 1997; Michalet 2010). Lags without any pair or with zero MSD are
    left out; a track with fewer than ``min_lags`` (3) usable lags gets NaN.

Units
    Positions are scaled to µm when the pixel size is known (or the tracks are
    already in µm) and lags to seconds when the frame interval is known;
    otherwise px and frames are kept. The unit of ``D`` is given in the
    ``D_msd_unit`` column and in ``DataFrame.attrs``.

Everything is vectorised over all tracks at once: each track is laid on a frame
grid, tracks separated by empty cells, so a lag is one gather and two
``bincount`` calls over all detections.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ResandiError
from .tracks import Tracks

log = logging.getLogger(__name__)

#: Default number of lags fitted (never more than a quarter of the track's detections).
DEFAULT_FIT_LAGS = 10
#: Fewest usable lags for a fit.
MIN_FIT_LAGS = 3

FIT_COLUMNS = ["alpha_msd", "D_msd", "msd_r2", "msd_n_lags", "D_msd_unit"]


@dataclass(frozen=True)
class MsdUnits:
    """Scales and names of the MSD's units.

    Attributes
    ----------
    length_scale : float
        Factor from the table's positions to ``length``.
    length : str
        ``"µm"`` or ``"px"``.
    time_scale : float
        Seconds per frame, or 1 when time stays in frames.
    time : str
        ``"s"`` or ``"frame"``.
    """

    length_scale: float
    length: str
    time_scale: float
    time: str

    @property
    def msd(self) -> str:
        return f"{self.length}^2"

    @property
    def diffusion(self) -> str:
        """Unit of ``D`` in ``MSD = 4 D t**alpha``."""
        return f"{self.length}^2/{self.time}^alpha"


def msd_units(
    tracks: Tracks | pd.DataFrame, pixel_size_um: float | None = None, frame_interval_s: float | None = None
) -> MsdUnits:
    """The units an MSD of ``tracks`` will have; arguments override the tracks' calibration."""
    unit = tracks.position_unit if isinstance(tracks, Tracks) else "px"
    if isinstance(tracks, Tracks):
        pixel_size_um = pixel_size_um if pixel_size_um is not None else tracks.pixel_size_um
        frame_interval_s = frame_interval_s if frame_interval_s is not None else tracks.frame_interval_s
    for name, value in (("pixel size", pixel_size_um), ("frame interval", frame_interval_s)):
        if value is not None and not (np.isfinite(value) and value > 0):
            raise ResandiError(f"the {name} must be a positive number, not {value}", hint="leave it out if unknown")
    if unit in ("µm", "um"):
        length_scale, length = 1.0, "µm"
    elif pixel_size_um is not None:
        length_scale, length = float(pixel_size_um), "µm"
    else:
        length_scale, length = 1.0, unit or "px"
    if frame_interval_s is not None:
        return MsdUnits(length_scale, length, float(frame_interval_s), "s")
    return MsdUnits(length_scale, length, 1.0, "frame")


@dataclass
class PairSums:
    """Sums of squared displacements per track and lag.

    Attributes
    ----------
    track_ids : Index, shape (n_tracks,)
    sums : ndarray, shape (n_tracks, max_lag)
        Sum over pairs ``k`` frames apart of the squared displacement (position unit²),
        column ``k - 1``.
    counts : ndarray, shape (n_tracks, max_lag), int64
        Number of such pairs.
    n_points : ndarray, shape (n_tracks,), int64
        Detections per track.
    valid : ndarray, shape (n_tracks,), bool
        False for tracks with a frame listed twice (their sums are 0).
    """

    track_ids: pd.Index
    sums: np.ndarray
    counts: np.ndarray
    n_points: np.ndarray
    valid: np.ndarray

    @property
    def msd(self) -> np.ndarray:
        """Time-averaged MSD, shape (n_tracks, max_lag); NaN where no pair exists."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, self.sums / np.maximum(self.counts, 1), np.nan)


def _table(tracks: Tracks | pd.DataFrame) -> pd.DataFrame:
    table = tracks.table if isinstance(tracks, Tracks) else tracks
    if "track_id" not in table.columns and "particle" in table.columns:
        table = table.rename(columns={"particle": "track_id"})
    missing = [c for c in ("track_id", "frame", "x", "y") if c not in table.columns]
    if missing:
        raise ResandiError(f"the tracks lack column(s) {', '.join(missing)}", hint="give track_id, frame, x and y")
    return table


def pair_sums(tracks: Tracks | pd.DataFrame, max_lag: int) -> PairSums:
    """Squared-displacement sums of every track at lags 1..``max_lag`` frames.

    Rows with a non-finite position are ignored. Positions stay in the table's unit.
    """
    if max_lag < 1:
        raise ResandiError(f"the largest lag must be at least 1 frame, not {max_lag}")
    table = _table(tracks)
    x_all = table["x"].to_numpy(dtype=np.float64)
    y_all = table["y"].to_numpy(dtype=np.float64)
    finite = np.isfinite(x_all) & np.isfinite(y_all)
    codes, track_ids = pd.factorize(table["track_id"], sort=True)
    n_tracks = len(track_ids)
    codes = codes[finite]
    frames = table["frame"].to_numpy()[finite].astype(np.int64)
    x, y = x_all[finite], y_all[finite]
    if not (np.all(np.diff(codes) >= 0) and np.all((np.diff(frames) > 0) | (np.diff(codes) != 0))):
        order = np.lexsort((frames, codes))
        codes, frames, x, y = codes[order], frames[order], x[order], y[order]
    n_points = np.bincount(codes, minlength=n_tracks).astype(np.int64)

    same_track = np.diff(codes) == 0
    duplicated = same_track & (np.diff(frames) == 0)
    valid = np.ones(n_tracks, dtype=bool)
    if duplicated.any():
        valid[np.unique(codes[1:][duplicated])] = False
        log.warning("%d track(s) list a frame twice; their MSD is not computed", int((~valid).sum()))
        keep = valid[codes]
        codes, frames, x, y = codes[keep], frames[keep], x[keep], y[keep]
        same_track = np.diff(codes) == 0

    # Lags longer than the longest track's span have no pair: work up to `reach`.
    first_of_track = np.r_[True, ~same_track]
    last_of_track = np.r_[~same_track, True]
    span = int((frames[last_of_track] - frames[first_of_track]).max()) if len(frames) else 0
    reach = max(1, min(max_lag, span))

    # Grid cells: consecutive detections of a track are their frame gap apart,
    # but a gap longer than reach shrinks to reach + 1 cells (no lag in range
    # spans it either way), and tracks are reach + 1 empty cells apart, so the
    # grid is at most (reach + 1) times the number of detections.
    gap = np.where(same_track, np.minimum(np.diff(frames), reach + 1), reach + 1)
    cell = np.concatenate([[0], np.cumsum(gap)]) if len(frames) else np.zeros(0, dtype=np.int64)
    size = (int(cell[-1]) if len(cell) else 0) + reach + 1
    grid_x = np.full(size, np.nan)
    grid_y = np.full(size, np.nan)
    grid_x[cell], grid_y[cell] = x, y

    # Pairs k apart are grid[k:] - grid[:-k]; empty cells give NaN. Each track's
    # pairs start in its own run of cells, so sums per track are segment sums.
    present = codes[first_of_track] if len(codes) else np.zeros(0, dtype=np.int64)
    starts = cell[first_of_track] if len(codes) else np.zeros(0, dtype=np.int64)
    sums = np.zeros((n_tracks, max_lag))
    counts = np.zeros((n_tracks, max_lag), dtype=np.int64)
    if len(present):
        for lag in range(1, reach + 1):
            dx = grid_x[lag:] - grid_x[:-lag]
            dy = grid_y[lag:] - grid_y[:-lag]
            np.multiply(dx, dx, out=dx)
            np.multiply(dy, dy, out=dy)
            np.add(dx, dy, out=dx)
            paired = ~np.isnan(dx)
            np.nan_to_num(dx, copy=False, nan=0.0)
            sums[present, lag - 1] = np.add.reduceat(dx, starts)
            counts[present, lag - 1] = np.add.reduceat(paired, starts, dtype=np.int64)
    return PairSums(pd.Index(track_ids, name="track_id"), sums, counts, n_points, valid)


def imsd(
    tracks: Tracks | pd.DataFrame,
    max_lag: int = 100,
    *,
    pixel_size_um: float | None = None,
    frame_interval_s: float | None = None,
) -> pd.DataFrame:
    """Time-averaged MSD of each track, like ``trackpy.imsd``.

    Parameters
    ----------
    tracks : Tracks or DataFrame
        Columns ``track_id`` (or ``particle``), ``frame``, ``x``, ``y``.
    max_lag : int
        Largest lag, frames.
    pixel_size_um, frame_interval_s : float, optional
        Override the tracks' calibration.

    Returns
    -------
    DataFrame, shape (n_lags, n_tracks)
        Index: lag time (s, or frames when the frame interval is unknown); one
        column per track; NaN where a lag has no pair. Units in ``attrs``.
    """
    units = msd_units(tracks, pixel_size_um, frame_interval_s)
    sums = pair_sums(tracks, max_lag)
    msd = sums.msd * units.length_scale**2
    msd[~sums.valid] = np.nan
    used = np.flatnonzero((sums.counts > 0).any(axis=0))
    n_lags = int(used[-1]) + 1 if len(used) else 0
    lags = np.arange(1, n_lags + 1)
    result = pd.DataFrame(
        msd[:, :n_lags].T,
        index=pd.Index(lags * units.time_scale, name=f"lag time [{units.time}]"),
        columns=sums.track_ids,
    )
    result.attrs.update(msd_unit=units.msd, time_unit=units.time)
    return result


def emsd(
    tracks: Tracks | pd.DataFrame,
    max_lag: int = 100,
    *,
    pixel_size_um: float | None = None,
    frame_interval_s: float | None = None,
) -> pd.DataFrame:
    """Ensemble MSD: all pairs of all tracks at each lag, pooled.

    Each displacement pair counts once, so long tracks weigh in proportion to
    their pairs. (trackpy's ``emsd`` weighs each track's MSD by an estimate of
    its independent measurements instead; the two agree exactly when all tracks
    have the same length and no gaps.)

    Returns
    -------
    DataFrame
        Index: lag time (s or frames); columns ``msd`` (length unit²),
        ``lag_frames``, ``n_pairs``, ``n_tracks`` (tracks with a pair at that
        lag). Units in ``attrs``.
    """
    units = msd_units(tracks, pixel_size_um, frame_interval_s)
    sums = pair_sums(tracks, max_lag)
    total = sums.sums[sums.valid].sum(axis=0)
    pairs = sums.counts[sums.valid].sum(axis=0)
    n_lags = int(np.flatnonzero(pairs)[-1]) + 1 if pairs.any() else 0
    lags = np.arange(1, n_lags + 1)
    with np.errstate(invalid="ignore"):
        msd = total[:n_lags] / pairs[:n_lags] * units.length_scale**2
    result = pd.DataFrame(
        {
            "msd": msd,
            "lag_frames": lags,
            "n_pairs": pairs[:n_lags],
            "n_tracks": (sums.counts[sums.valid][:, :n_lags] > 0).sum(axis=0),
        },
        index=pd.Index(lags * units.time_scale, name=f"lag time [{units.time}]"),
    )
    result.attrs.update(msd_unit=units.msd, time_unit=units.time)
    return result


def fit_msd(
    tracks: Tracks | pd.DataFrame,
    max_lag: int = DEFAULT_FIT_LAGS,
    *,
    min_lags: int = MIN_FIT_LAGS,
    pixel_size_um: float | None = None,
    frame_interval_s: float | None = None,
) -> pd.DataFrame:
    """Anomalous exponent and generalised diffusion coefficient of each track.

    Fits ``log MSD = log(4 D) + alpha log t`` on lags ``1 .. min(max_lag, n // 4)``
    (see the module notes).

    Parameters
    ----------
    tracks : Tracks or DataFrame
        Columns ``track_id`` (or ``particle``), ``frame``, ``x``, ``y``.
    max_lag : int
        Most lags fitted, frames.
    min_lags : int
        Fewest usable lags for a fit; below it the track gets NaN.
    pixel_size_um, frame_interval_s : float, optional
        Override the tracks' calibration.

    Returns
    -------
    DataFrame
        Indexed by ``track_id``: ``alpha_msd`` (1), ``D_msd`` (``D_msd_unit``),
        ``msd_r2`` (R² of the log-log line), ``msd_n_lags`` (lags used),
        ``D_msd_unit`` (e.g. ``"µm^2/s^alpha"``). NaN where no fit was possible
        (too short, a frame listed twice, no motion).
    """
    if min_lags < 2:
        raise ResandiError(f"a line needs at least 2 lags, not {min_lags}")
    units = msd_units(tracks, pixel_size_um, frame_interval_s)
    sums = pair_sums(tracks, max_lag)
    msd = sums.msd * units.length_scale**2
    lag_index = np.arange(max_lag)
    fit_lags = np.minimum(max_lag, sums.n_points // 4)
    with np.errstate(invalid="ignore", divide="ignore"):
        use = (lag_index < fit_lags[:, None]) & (msd > 0) & sums.valid[:, None]
        n = use.sum(axis=1)
        log_t = np.log((lag_index + 1) * units.time_scale)[None, :]
        log_msd = np.where(use, np.log(np.where(use, msd, 1.0)), 0.0)
        log_t = np.where(use, log_t, 0.0)
        sum_x, sum_y = log_t.sum(axis=1), log_msd.sum(axis=1)
        sxx = (log_t * log_t).sum(axis=1) - sum_x**2 / n
        sxy = (log_t * log_msd).sum(axis=1) - sum_x * sum_y / n
        syy = (log_msd * log_msd).sum(axis=1) - sum_y**2 / n
        alpha = sxy / sxx
        intercept = (sum_y - alpha * sum_x) / n
        diffusion = np.exp(intercept) / 4.0
        r2 = np.where(syy > 0, sxy * sxy / (sxx * syy), np.nan)
    ok = n >= min_lags
    result = pd.DataFrame(
        {
            "alpha_msd": np.where(ok, alpha, np.nan),
            "D_msd": np.where(ok, diffusion, np.nan),
            "msd_r2": np.where(ok, r2, np.nan),
            "msd_n_lags": n.astype(np.int64),
            "D_msd_unit": units.diffusion,
        },
        index=sums.track_ids,
    )
    result.attrs.update(D_msd_unit=units.diffusion, msd_unit=units.msd, time_unit=units.time)
    return result
