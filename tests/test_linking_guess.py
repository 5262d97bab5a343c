"""The dark/bright particle guess from a movie's own statistics (issue 15)."""

from __future__ import annotations

import numpy as np

from resandi_core.linking.guess import guess_dark_particles, guess_movie, skewness
from resandi_core.paths import sample_path


def _frame(dark: bool) -> np.ndarray:
    """A noisy 64x64 background with a few Gaussian spots, darker or brighter than it."""
    rng = np.random.default_rng(0)
    frame = 100 + rng.normal(0, 2, (64, 64))
    yy, xx = np.mgrid[:64, :64]
    for cy, cx in [(10, 12), (30, 40), (50, 20), (45, 55)]:
        spot = 60 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8)
        frame += -spot if dark else spot
    return frame


def test_dark_spots_on_a_bright_background_are_guessed_dark():
    guess = guess_dark_particles(_frame(dark=True))
    assert guess.dark is True and guess.skewness < 0
    assert guess.describe() == "dark particles on a bright background"


def test_bright_spots_are_guessed_bright():
    guess = guess_dark_particles(_frame(dark=False).astype(np.uint16))
    assert guess.dark is False and guess.skewness > 0


def test_a_frame_without_a_tail_is_unsure():
    assert guess_dark_particles(np.random.default_rng(1).normal(100, 5, (64, 64))).dark is None
    assert guess_dark_particles(np.zeros((8, 8))).dark is None
    assert skewness(np.array([1.0])) == 0.0


def test_the_sample_movie_has_dark_beads():
    guess = guess_movie(sample_path("bulk_water_50frames.tif"))
    assert guess.dark is True and guess.skewness < -1
