"""Track tables for tests: random walks of chosen lengths, with the defects real files have."""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_walk(n_points: int, rng: np.random.Generator, step_px: float = 1.5) -> np.ndarray:
    """Brownian positions (n_points, 2) in pixels, starting near (100, 100)."""
    return 100 + np.cumsum(rng.normal(0, step_px, size=(n_points, 2)), axis=0)


def mixed_tracks_table(
    n_tracks: int = 300,
    seed: int = 0,
    max_length: int = 3000,
    n_too_short: int = 5,
    n_with_gaps: int = 10,
    gap_every: int = 7,
) -> pd.DataFrame:
    """A tracks table like a real experiment's.

    Lengths drawn log-uniformly from 10 to ``max_length``; the first
    ``n_too_short`` tracks have fewer than 10 points; the next ``n_with_gaps``
    tracks miss every ``gap_every``-th frame (a linker's memory); the last track
    has one NaN x position. Rows are shuffled.
    """
    rng = np.random.default_rng(seed)
    lengths = np.exp(rng.uniform(np.log(10), np.log(max_length), n_tracks)).astype(int)
    lengths[:n_too_short] = rng.integers(2, 10, n_too_short)
    gaps = slice(n_too_short, n_too_short + n_with_gaps)
    lengths[gaps] = np.maximum(lengths[gaps], 30)  # still >= 10 points after the gaps
    parts = []
    for tid, length in enumerate(lengths):
        frames = np.arange(length) + int(rng.integers(0, 50))
        xy = random_walk(length, rng)
        if n_too_short <= tid < n_too_short + n_with_gaps:
            keep = (np.arange(length) % gap_every) != gap_every // 2
            frames, xy = frames[keep], xy[keep]
        part = pd.DataFrame({"track_id": tid, "frame": frames, "x": xy[:, 0], "y": xy[:, 1]})
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    last = table.index[table["track_id"] == n_tracks - 1][len(parts[-1]) // 2]
    table.loc[last, "x"] = np.nan
    return table.sample(frac=1.0, random_state=seed).reset_index(drop=True)
