"""Guess from a movie's own pixels whether its particles are dark on a bright background.

trackpy looks for bright spots; a bright-field movie of dark beads (like the
bundled ``bulk_water`` sample) is located on its bright background unless
``invert`` is set, and nothing on screen says so. Particles are few and small,
so their pixels form the long tail of a frame's brightness distribution: a tail
towards dark values (negative skewness) means dark particles, towards bright
values bright ones. Near zero (no clear tail: empty, flat or crowded frames) the
guess is "unsure" and the caller keeps its setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Skewness beyond which the tail is taken as particles (the sample has about -1.9;
#: a bright-spot fluorescence movie well above +1). Between -SURE and +SURE: unsure.
SURE_SKEWNESS = 0.5


@dataclass(frozen=True)
class ParticleGuess:
    """What a frame's statistics say about its particles.

    Attributes
    ----------
    dark : bool or None
        True: dark particles on a bright background (link with ``invert``);
        False: bright particles; None: the frame does not tell.
    skewness : float
        Skewness of the frame's pixel values (dimensionless).
    """

    dark: bool | None
    skewness: float

    def describe(self) -> str:
        """One line for the user, e.g. ``"dark particles on a bright background"``."""
        if self.dark is None:
            return "unsure whether the particles are dark or bright"
        return "dark particles on a bright background" if self.dark else "bright particles on a dark background"


def skewness(values: np.ndarray) -> float:
    """Sample skewness of ``values`` (0 for a constant array)."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    flat = flat[np.isfinite(flat)]
    if flat.size < 3:
        return 0.0
    centred = flat - flat.mean()
    variance = float(np.mean(centred**2))
    if variance <= 0:
        return 0.0
    return float(np.mean(centred**3) / variance**1.5)


def guess_dark_particles(frame: np.ndarray) -> ParticleGuess:
    """Guess from one frame whether its particles are dark on a bright background.

    Parameters
    ----------
    frame : ndarray
        One 2-D frame, any numeric dtype.

    Returns
    -------
    ParticleGuess
    """
    skew = skewness(frame)
    dark = None if abs(skew) < SURE_SKEWNESS else skew < 0
    return ParticleGuess(dark, skew)


def guess_movie(path: str | Path, channel: int | None = None, z: int | None = None) -> ParticleGuess:
    """:func:`guess_dark_particles` of the middle frame of a TIFF movie (its first plane by default).

    Raises
    ------
    StackError
        When the movie cannot be read.
    """
    from ..io.planes import choose_planes
    from ..io.stacks import StackReader

    planes = choose_planes(path, channel, z)
    with StackReader(path, channel=planes.channel, z=planes.z) as reader:
        # The middle frame: the first may be a blank or a shutter frame.
        return guess_dark_particles(reader.read(reader.n_file_frames // 2))
