"""The paper's input preprocessing and the windowing of long tracks.

Per trajectory and per coordinate (REFERENCE.md, "Input preprocessing"):

1. AnDi normalisation: increments divided by their standard deviation, cumulative
   sum, starting at 0. This makes the input independent of units, translation and
   diffusivity, which is why classification needs no pixel size or frame interval.
2. Left zero-padding to 1000 points.
3. Min-max scaling to [0, 1] over all 1000 points, padding included.

Tracks longer than 1000 points are cut into windows of 1000 points; each window
is preprocessed on its own.

Real tracks are not the paper's clean synthetic ones, so each track is first
checked and prepared (:func:`prepare_track`):

- fewer than :data:`MIN_POINTS` observed points: status ``too_short``, not classified;
- NaN or infinite positions: status ``non_finite``; a frame listed twice:
  status ``duplicate_frames``; no motion at all: ``no_motion``; none is classified;
- missing frames inside a track (a linker's memory) are filled by linear
  interpolation and counted in ``n_filled``; a track that would be more than
  half interpolated is not classified (``too_sparse``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from .spec import INPUT_LENGTH

#: Default step between the starts of consecutive windows of a long track, in points.
#: Half a window: every point (but the first and last 500) is seen by two windows,
#: so no point is only ever at a window's edge.
DEFAULT_WINDOW_STRIDE = 500


def andi_normalise(positions: np.ndarray) -> np.ndarray:
    """AnDi normalisation of one trajectory.

    Parameters
    ----------
    positions : ndarray, shape (T, D)
        Positions in any length unit, one row per frame, T >= 2.

    Returns
    -------
    ndarray, shape (T, D), float64
        Cumulative sum of the increments divided by their standard deviation
        (population std, per coordinate), starting at 0. A coordinate that never
        moves keeps unit divisor (as andi-datasets does) and stays 0.
    """
    increments = np.diff(np.asarray(positions, dtype=np.float64), axis=0)
    std = increments.std(axis=0)
    std[std == 0] = 1.0
    normalised = np.zeros((increments.shape[0] + 1, increments.shape[1]))
    np.cumsum(increments / std, axis=0, out=normalised[1:])
    return normalised


def pad_and_scale(normalised: np.ndarray, length: int = INPUT_LENGTH) -> np.ndarray:
    """Left-pad with zeros to ``length`` and min-max scale each coordinate to [0, 1].

    Parameters
    ----------
    normalised : ndarray, shape (T, D)
        An AnDi-normalised trajectory, T <= ``length``.
    length : int
        Network input length in points.

    Returns
    -------
    ndarray, shape (D, length), float32
        Channels-first network input. The scaling runs over all ``length`` points,
        padding included, exactly as in the paper. A coordinate that is constant
        over the padded input (no motion at all) becomes all zeros.
    """
    n_points, n_dims = normalised.shape
    if n_points > length:
        raise ValueError(f"trajectory of {n_points} points is longer than the input length {length}")
    padded = np.zeros((n_dims, length))
    padded[:, length - n_points :] = normalised.T
    low = padded.min(axis=1, keepdims=True)
    span = padded.max(axis=1, keepdims=True) - low
    span[span == 0] = 1.0
    return ((padded - low) / span).astype(np.float32)


def preprocess(positions: np.ndarray, length: int = INPUT_LENGTH) -> np.ndarray:
    """Network input for one trajectory of at most ``length`` points.

    Parameters
    ----------
    positions : ndarray, shape (T, 2)
        x, y positions (any unit), 2 <= T <= ``length``.

    Returns
    -------
    ndarray, shape (2, length), float32
    """
    return pad_and_scale(andi_normalise(positions), length)


def window_starts(n_points: int, length: int = INPUT_LENGTH, stride: int = DEFAULT_WINDOW_STRIDE) -> list[int]:
    """Start indices of the windows that cover a track of ``n_points`` points.

    A track of at most ``length`` points is one window starting at 0. A longer
    one gets windows every ``stride`` points, plus a last window that ends on the
    track's last point, so that every point is covered.

    Examples
    --------
    >>> window_starts(800)
    [0]
    >>> window_starts(2100)
    [0, 500, 1000, 1100]
    """
    if not 1 <= stride <= length:
        # a stride above the window length would leave points no window sees
        raise ValueError(f"window stride must be between 1 and {length} points, not {stride}")
    if n_points <= length:
        return [0]
    last = n_points - length
    starts = list(range(0, last, stride))
    starts.append(last)
    return starts


#: Fewest observed points a track needs to be classified.
MIN_POINTS = 10


class TrackStatus(str, Enum):
    """Whether a track was classified, and if not why; the value is what ``results.csv`` says."""

    OK = "ok"
    TOO_SHORT = "too_short"
    NON_FINITE = "non_finite"
    DUPLICATE_FRAMES = "duplicate_frames"
    NO_MOTION = "no_motion"
    TOO_SPARSE = "too_sparse"

    def __str__(self) -> str:
        return self.value


@dataclass
class PreparedTrack:
    """One track checked and made gap-free, ready to be cut into windows.

    Attributes
    ----------
    track_id : object
    frames : ndarray, shape (T,), int
        Consecutive frame numbers (gaps filled).
    positions : ndarray, shape (T, 2), float64
        x, y per frame, in the file's unit; interpolated where a frame was missing.
    interpolated : ndarray, shape (T,), bool
        True where the position was filled in.
    n_points : int
        Observed detections (rows in the file).
    status : str
    message : str
        Human-readable reason when ``status`` is not ``ok``.
    starts : list of int
        Window start indices (empty when not classified).
    """

    track_id: object
    frames: np.ndarray
    positions: np.ndarray
    interpolated: np.ndarray
    n_points: int
    status: TrackStatus
    message: str = ""
    starts: list[int] = field(default_factory=list)

    @property
    def n_filled(self) -> int:
        return int(self.interpolated.sum())


def prepare_track(
    track_id: object,
    frames: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    window_stride: int = DEFAULT_WINDOW_STRIDE,
) -> PreparedTrack:
    """Check one track, sort it by frame and fill missing frames.

    Parameters
    ----------
    track_id : object
    frames : ndarray, shape (n,), int
        Frame numbers, in any order.
    x, y : ndarray, shape (n,)
        Positions, any length unit.
    window_stride : int
        Points between the starts of windows of a track longer than 1000 points.
    """
    order = np.argsort(frames, kind="stable")
    frames = np.asarray(frames, dtype=np.int64)[order]
    positions = np.column_stack([np.asarray(x, dtype=np.float64)[order], np.asarray(y, dtype=np.float64)[order]])
    n_points = len(frames)

    def rejected(status: TrackStatus, message: str) -> PreparedTrack:
        return PreparedTrack(track_id, frames, positions, np.zeros(n_points, dtype=bool), n_points, status, message)

    if n_points < MIN_POINTS:
        return rejected(TrackStatus.TOO_SHORT, f"{n_points} points; at least {MIN_POINTS} are needed")
    if not np.isfinite(positions).all():
        bad = frames[~np.isfinite(positions).all(axis=1)]
        return rejected(TrackStatus.NON_FINITE, f"NaN or infinite position at frame(s) {', '.join(map(str, bad[:5]))}")
    with np.errstate(over="ignore", invalid="ignore"):
        steps = np.diff(positions, axis=0)
        # Finite positions whose steps (or their squares, as the normalisation takes) overflow:
        # 1e308 then -1e308 is not a track, and would come out as one that never moves.
        overflow = ~np.isfinite(steps).all(axis=1) | ~np.isfinite(steps**2).all(axis=1)
    if overflow.any():
        bad = frames[1:][overflow]
        return rejected(
            TrackStatus.NON_FINITE,
            f"positions so large that the step to frame(s) {', '.join(map(str, bad[:5]))} overflows; "
            "check the file's numbers and units",
        )
    duplicated = frames[1:][np.diff(frames) == 0]
    if duplicated.size:
        return rejected(
            TrackStatus.DUPLICATE_FRAMES,
            f"frame(s) {', '.join(map(str, duplicated[:5]))} appear more than once; "
            "split or relink the track",
        )
    n_frames = int(frames[-1] - frames[0]) + 1
    # Checked before allocating: frames 0 and 10**9 must not allocate 10**9 points.
    if n_frames - n_points > n_points:
        return rejected(
            TrackStatus.TOO_SPARSE,
            f"{n_points} detections over {n_frames} frames; more than half would be interpolated",
        )
    full_frames = np.arange(frames[0], frames[-1] + 1)
    interpolated = np.ones(n_frames, dtype=bool)
    interpolated[frames - frames[0]] = False  # frames are sorted and unique here
    if interpolated.any():
        positions = np.column_stack([np.interp(full_frames, frames, positions[:, d]) for d in range(2)])
    if np.all(positions == positions[0]):
        return PreparedTrack(
            track_id, full_frames, positions, interpolated, n_points, TrackStatus.NO_MOTION, "the position never changes"
        )
    return PreparedTrack(
        track_id,
        full_frames,
        positions,
        interpolated,
        n_points,
        TrackStatus.OK,
        starts=window_starts(len(full_frames), INPUT_LENGTH, window_stride),
    )
