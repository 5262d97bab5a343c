"""The paper's input preprocessing and the windowing of long tracks.

Per trajectory and per coordinate (REFERENCE.md, "Input preprocessing"):

1. AnDi normalisation: increments divided by their standard deviation, cumulative
   sum, starting at 0. This makes the input independent of units, translation and
   diffusivity, which is why classification needs no pixel size or frame interval.
2. Left zero-padding to 1000 points.
3. Min-max scaling to [0, 1] over all 1000 points, padding included.

Tracks longer than 1000 points are cut into windows of 1000 points; each window
is preprocessed on its own.
"""

from __future__ import annotations

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
