"""Which channel and z-plane of a movie to read, from its axes alone.

A movie with several channels or z-planes cannot be read without a choice
(:class:`~resandi_core.io.stacks.StackReader` refuses); the app and the batch
loop take the one asked for, else the first, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Keys of a movie's linking settings (a ``dict``) holding the channel and z-plane
#: chosen for that movie (absent: the first, where it has several).
#: ``LinkingParams.from_dict`` ignores them, as it does the calibration keys.
PLANE_KEYS = ("channel", "z")


@dataclass(frozen=True)
class PlaneChoice:
    """Which channel and z-plane of a movie to read, and how many it has to choose from.

    Attributes
    ----------
    channel, z : int or None
        What to pass to ``StackReader`` and ``iter_link``: an index where the movie
        has several channels (z-planes besides time), None where it has one.
    n_channels, n_z : int
        Channels (``C`` axis) and z-planes (``Z`` axis, when it is not the time axis).
    """

    channel: int | None = None
    z: int | None = None
    n_channels: int = 1
    n_z: int = 1


def movie_planes(path: str | Path) -> tuple[int, int]:
    """Number of channels and of z-planes (besides time) of a movie, from its axes alone.

    Reads the TIFF's headers and metadata only, never pixel data, and mirrors how
    :class:`~resandi_core.io.stacks.StackReader` picks the time axis (``T``, else
    ``I``/``Q``, else ``Z``: a ``Z`` that serves as time is no z-plane to choose).
    An RGB movie without a ``C`` axis counts as one channel: it is read as gray.
    ``(1, 1)`` when the file cannot be inspected: opening it then reports why.
    """
    import tifffile

    from .stacks import TIME_AXES

    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            # Only the axes above the pages are stack axes, as in StackReader._setup.
            n_lead = len(series.axes) - len(series.keyframe.axes)
            sizes = dict(zip(series.axes[:n_lead], series.shape[:n_lead]))
    except Exception:  # noqa: BLE001 - the reader that opens the file next says what is wrong
        return 1, 1
    z_is_time = not any(axis in sizes for axis in TIME_AXES)
    return int(sizes.get("C", 1)), 1 if z_is_time else int(sizes.get("Z", 1))


def choose_planes(path: str | Path, channel: Any = None, z: Any = None) -> PlaneChoice:
    """The channel and z-plane to read from ``path``: those asked for, else the first.

    A movie with several channels or z-planes cannot be read without a choice
    (``StackReader`` refuses); the app shows and links the first one until the
    user picks another, and says so.

    Parameters
    ----------
    path : path
    channel, z : int or None
        The user's choice (e.g. from a movie's ``linking`` dict). None, or anything
        that is not an index of this movie (a hand-edited session, a file changed
        since), means the first where the movie has several; a movie with one
        channel (z-plane) always gets None, so an RGB movie stays gray.
    """
    n_channels, n_z = movie_planes(path)

    def pick(value: Any, count: int) -> int | None:
        if count <= 1:
            return None
        usable = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < count
        return value if usable else 0

    return PlaneChoice(pick(channel, n_channels), pick(z, n_z), n_channels, n_z)
