"""Track tails drawn over a movie: colours, and the table arranged for fast drawing.

Kept apart from :mod:`.movie_view` (the widget), which imports everything here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: Frames of history drawn behind each particle.
TAIL_FRAMES = 30
#: Track colours (Tableau 10): distinct on grey bright-field and dark fluorescence images.
TRACK_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#f4e04d"]
PREVIEW_COLOUR = "#ff3030"
HIGHLIGHT_COLOUR = "#ffff00"


class TrackTails:
    """A track table arranged for drawing tails quickly at any frame.

    Rows are sorted by colour, then track, then frame, so the rows of one colour
    form one slice and each track's rows are consecutive within it: a frame's
    tails are a boolean mask per slice, with no per-track loop.

    Parameters
    ----------
    table : DataFrame
        ``track_id, frame, x, y`` (x, y in the display's units).
    n_colours : int
    """

    def __init__(self, table: pd.DataFrame, n_colours: int = len(TRACK_COLOURS)) -> None:
        import pandas as pd

        codes, self.track_ids = pd.factorize(table["track_id"], sort=True)
        frame = table["frame"].to_numpy(np.int64)
        # Neighbouring particles get consecutive ids from trackpy, hence different colours.
        colour = codes % n_colours
        order = np.lexsort((frame, codes, colour))
        self.code, self.frame, self.colour = codes[order], frame[order], colour[order]
        self.x = table["x"].to_numpy(float)[order]
        self.y = table["y"].to_numpy(float)[order]
        last = pd.Series(frame).groupby(codes).transform("max").to_numpy()
        self.last = last[order]
        self.bounds = np.searchsorted(self.colour, np.arange(n_colours + 1))

    def tails(self, frame: int, tail: int = TAIL_FRAMES) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per colour: ``(x, y, connect)`` of the tracks alive at ``frame``, last ``tail`` frames.

        ``connect[i]`` joins point i to i + 1 (same track), as pyqtgraph expects.
        """
        out = []
        for a, b in zip(self.bounds[:-1], self.bounds[1:]):
            f = self.frame[a:b]
            keep = (f <= frame) & (f >= frame - tail) & (self.last[a:b] >= frame)
            code = self.code[a:b][keep]
            connect = np.zeros(len(code), dtype=bool)
            connect[:-1] = code[:-1] == code[1:]
            out.append((self.x[a:b][keep], self.y[a:b][keep], connect))
        return out

    def at(self, frame: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``x, y, colour index`` of the detections in ``frame``."""
        keep = self.frame == frame
        return self.x[keep], self.y[keep], self.colour[keep]


def nice_length(approx: float) -> float:
    """1, 2 or 5 times a power of ten, at most ``approx`` (for a scale bar)."""
    power = 10 ** math.floor(math.log10(approx))
    return max(m * power for m in (1, 2, 5) if m * power <= approx)
