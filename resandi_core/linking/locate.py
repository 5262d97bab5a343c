"""Finding particles in frames with trackpy's ``locate``, in worker processes.

Frames are located in worker processes (``processes``, default: the CPUs this
process may use), each of which opens the movie itself and reads its own frames,
so frames never travel between processes and only a few are in memory at once
whatever the movie's size (trackpy's ``batch`` sends every frame through a pipe
and needs the whole movie indexable). Features come back in frame order.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
import warnings
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from ..errors import LinkingError
from ..limits import LOCATE_TIMEOUT_ENV, locate_timeout_s
from ..processes import child_context
from ..io.stacks import StackReader, StackSpec, open_stack
from .params import LinkingParams


def default_processes() -> int:
    """CPUs this process may use (its affinity where the OS tells), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def quiet_trackpy():
    import trackpy

    trackpy.quiet()  # trackpy prints a line per frame otherwise; we count and report instead
    return trackpy


def locate_preview(frame_image: np.ndarray, params: LinkingParams | None = None) -> pd.DataFrame:
    """Locate the particles of one frame, for a live preview of the parameters.

    Parameters
    ----------
    frame_image : ndarray, shape (height, width)
        One frame, e.g. ``StackReader.read(i)``.
    params : LinkingParams, optional

    Returns
    -------
    DataFrame
        One row per feature: ``x, y`` (px), ``mass, size, ecc, signal, raw_mass, ep``.
    """
    params = params or LinkingParams()
    params.check()
    image = np.asarray(frame_image)
    if image.ndim != 2:
        raise LinkingError(f"a frame must be a 2-D image, not an array of shape {image.shape}")
    trackpy = quiet_trackpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "image is completely black" and the like
        warnings.filterwarnings("ignore", "The invert argument", PendingDeprecationWarning)
        return trackpy.locate(image, **params.locate_kwargs())


# -- locating, in this process or in workers ------------------------------------------

_worker_readers: dict[StackSpec, StackReader] = {}


def _worker_init() -> None:
    import signal

    # Ctrl-C reaches the whole process group; the parent alone handles it (and
    # stops the pool), so workers do not each print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    quiet_trackpy()


def _locate_frames(reader: StackReader, frame_numbers: Iterable[int], locate_kwargs: dict) -> list[pd.DataFrame]:
    """Features of each frame, ``frame`` column added (empty frames included)."""
    import trackpy

    out = []
    with warnings.catch_warnings():
        # trackpy warns on every frame that `invert` may move to PIMS one day, and
        # on every frame without features; those are counted and reported instead.
        warnings.filterwarnings("ignore", "The invert argument", PendingDeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        for frame in frame_numbers:
            features = trackpy.locate(reader.read(frame), **locate_kwargs)
            features["frame"] = frame
            out.append(features)
    return out


def _locate_chunk(task: tuple[StackSpec, list[int], dict]) -> list[pd.DataFrame]:
    """Worker task: open the movie once per process (kept open), locate some frames."""
    spec, frame_numbers, locate_kwargs = task
    reader = _worker_readers.get(spec)
    if reader is None:
        reader = _worker_readers[spec] = open_stack(spec)
    return _locate_frames(reader, frame_numbers, locate_kwargs)


def _pool_context():
    """How worker processes start (:func:`resandi_core.processes.child_context`; the fork server preloads trackpy).

    Like any multiprocessing code, a script that links on macOS or Windows, or
    beside threads, needs the ``if __name__ == "__main__":`` guard.
    """
    return child_context([__name__, "trackpy"])


def _chunks(frame_numbers: range, processes: int, most: int = 8) -> list[list[int]]:
    """Frames per worker task, shrinking towards the end (guided scheduling).

    A task of several frames saves messages on small frames; shrinking to one
    frame at the end keeps every worker busy to the last frame, and no task is
    longer than ``most`` frames, so a cancelled job stops within a few frames.
    """
    chunks, start = [], 0
    while start < len(frame_numbers):
        size = max(1, min(most, math.ceil((len(frame_numbers) - start) / (processes * 4))))
        chunks.append(list(frame_numbers[start : start + size]))
        start += size
    return chunks


def _over_budget(spec: StackSpec) -> LinkingError:
    return LinkingError(
        f"locating particles took longer than the budget of {locate_timeout_s():g} s",
        where=spec.path,
        hint=f"check the movie (a damaged frame can stall a decoder); a larger one needs {LOCATE_TIMEOUT_ENV}",
    )


def _next_or_crash(results, workers: list, spec: StackSpec, deadline: float) -> list[pd.DataFrame]:
    """The next chunk's features; an error if a worker died meanwhile or the time budget is spent.

    ``multiprocessing.Pool`` replaces a worker that crashes (a damaged frame can
    segfault a decoder) and its task is lost: waiting on it would never end.
    """
    while True:
        if time.monotonic() > deadline:
            raise _over_budget(spec)
        try:
            return results.next(timeout=1.0)
        except multiprocessing.TimeoutError:
            dead = [w for w in workers if not w.is_alive()]
            if dead:
                code = dead[0].exitcode
                how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                raise LinkingError(
                    f"a worker process locating particles crashed ({how}); the movie's data may be damaged",
                    where=spec.path,
                    hint="check the movie in Fiji, or link with --processes 1 to find the frame",
                ) from None


def iter_located(
    spec: StackSpec, reader: StackReader, locate_kwargs: dict, processes: int, seen: list[int]
) -> Iterator[pd.DataFrame]:
    """Features frame by frame, in order; frames without any feature are left out.

    ``seen`` is ``[frames located, features found]``, updated as frames come in.
    """
    def keep(features: pd.DataFrame) -> bool:
        seen[0] += 1
        seen[1] += len(features)
        return len(features) > 0

    if processes <= 1:
        deadline = time.monotonic() + locate_timeout_s()
        for frame in reader.frame_numbers:
            if time.monotonic() > deadline:  # checked between frames (one process cannot stop a frame)
                raise _over_budget(spec)
            (features,) = _locate_frames(reader, [frame], locate_kwargs)
            if keep(features):
                yield features
        return
    pool = _pool_context().Pool(processes, initializer=_worker_init)
    workers = list(pool._pool)  # noqa: SLF001 - the only way to see a worker die
    try:
        tasks = [(spec, chunk, locate_kwargs) for chunk in _chunks(reader.frame_numbers, processes)]
        results = pool.imap(_locate_chunk, tasks)
        deadline = time.monotonic() + locate_timeout_s()
        for _ in tasks:
            for features in _next_or_crash(results, workers, spec, deadline):
                if keep(features):
                    yield features
    finally:
        # Runs on completion, on error and when the job is closed (cancelled).
        pool.terminate()
        pool.join()
