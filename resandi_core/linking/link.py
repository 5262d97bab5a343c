"""TIFF movie in, tracks out: locate particles with trackpy and link them, streamed.

:func:`iter_link` is the job, a generator that yields :class:`LinkProgress` and
returns a :class:`LinkResult`; :func:`link_stack` runs it to the end. Closing the
generator cancels: worker processes are stopped and the file is closed.

How the work is spread
    Frames are located in worker processes (``processes``, default: the CPUs this
    process may use), each of which opens the movie itself and reads its own
    frames, so frames never travel between processes and only a few are in memory
    at once whatever the movie's size (trackpy's ``batch`` sends every frame
    through a pipe and needs the whole movie indexable). The features come back
    in frame order; they are then linked in this process frame by frame with
    trackpy's linker (``link_iter``, the engine of ``trackpy.link``), so linking
    reports progress and can be cancelled too.

The numbers are trackpy's: the same ``locate`` on each frame, the same linker with
the same options, frames without any feature skipped as ``trackpy.batch`` does,
and ``filter_stubs``' rule (a track is kept when it has at least ``min_length``
detections), so the tracks equal those of a plain trackpy script up to the
particle numbers.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

from ..errors import ResandiError
from ..io.stacks import StackError, StackReader, StackSpec, open_stack, parse_frames
from ..progress import run_job
from ..tracks import Tracks

log = logging.getLogger(__name__)

__all__ = [
    "LinkingError", "LinkingParams", "LinkProgress", "LinkResult", "StackError",
    "iter_link", "link_stack", "locate_preview", "default_processes",
]

STAGE_LOCATE = "locate"
STAGE_LINK = "link"
STAGE_FILTER = "filter"
STAGE_DRIFT = "drift"


class LinkingError(ResandiError):
    """Particles cannot be located or linked with the given parameters."""


@dataclass
class LinkingParams:
    """Everything that decides which particles are found and how they are linked.

    Defaults suit the bundled ``bulk_water.tif`` example (1 µm beads, 2.85 px/µm)
    except ``invert``: most single-particle movies show bright spots.

    Attributes
    ----------
    diameter : int
        Feature size in px, odd (trackpy ``diameter``); a bit larger than the spots.
    minmass : float
        Least integrated brightness of a feature, in the image's intensity units
        times px (trackpy ``minmass``); raise it to drop dim noise.
    invert : bool
        Dark particles on a bright background.
    separation : float or None
        Least distance between features in px; None: ``diameter + 1``.
    maxsize : float or None
        Largest radius of gyration in px; None: no limit.
    percentile : float
        Peaks below this percentile of the smoothed image are ignored (0-100).
    search_range : float
        Farthest a particle may move between two frames, in px.
    memory : int
        Frames a particle may vanish and still keep its track.
    adaptive_stop : float or None
        Enables adaptive search: when too many candidates make linking
        intractable, the search range shrinks down to this many px instead of
        failing. None: no adaptive search.
    adaptive_step : float
        Factor (0-1) applied to the search range at each adaptive step.
    min_length : int
        Least number of detections a track needs to be kept (``filter_stubs``).
    subtract_drift : bool
        Subtract the ensemble drift (mean frame-to-frame motion of all tracks);
        the raw positions stay in ``x_raw``, ``y_raw``.
    drift_smoothing : int
        Frames of forward-looking rolling mean applied to the drift; 0: none.
    """

    diameter: int = 11
    minmass: float = 20.0
    invert: bool = False
    separation: float | None = None
    maxsize: float | None = None
    percentile: float = 64.0
    search_range: float = 5.0
    memory: int = 3
    adaptive_stop: float | None = None
    adaptive_step: float = 0.95
    min_length: int = 25
    subtract_drift: bool = False
    drift_smoothing: int = 0

    def check(self) -> None:
        """Raise :class:`LinkingError` naming the first bad parameter and a good value."""

        def bad(message: str, hint: str) -> LinkingError:
            return LinkingError(message, where="linking parameters", hint=hint)

        if int(self.diameter) != self.diameter or self.diameter < 3 or self.diameter % 2 == 0:
            raise bad(f"diameter must be an odd whole number of px, at least 3, not {self.diameter}",
                      f"use {max(3, int(self.diameter) | 1)}")
        if not self.search_range > 0:
            raise bad(f"search range must be positive, not {self.search_range} px", "try about half the diameter")
        if self.memory < 0 or int(self.memory) != self.memory:
            raise bad(f"memory must be a whole number of frames >= 0, not {self.memory}", "use 0 to 5")
        if self.min_length < 1 or int(self.min_length) != self.min_length:
            raise bad(f"minimum track length must be a whole number >= 1, not {self.min_length}", "the default is 25 frames")
        if self.adaptive_stop is not None and not 0 < self.adaptive_stop < self.search_range:
            raise bad(f"adaptive stop must lie between 0 and the search range ({self.search_range} px), "
                      f"not {self.adaptive_stop}", "try a tenth of the search range")
        if not 0 < self.adaptive_step < 1:
            raise bad(f"adaptive step must lie between 0 and 1, not {self.adaptive_step}", "the default is 0.95")
        if not 0 <= self.percentile <= 100:
            raise bad(f"percentile must lie between 0 and 100, not {self.percentile}", "the default is 64")
        if self.drift_smoothing < 0:
            raise bad(f"drift smoothing must be >= 0 frames, not {self.drift_smoothing}", "use 0 for none")

    def locate_kwargs(self) -> dict:
        """Keyword arguments of ``trackpy.locate``."""
        options = {"diameter": int(self.diameter), "minmass": self.minmass, "invert": self.invert,
                   "percentile": self.percentile}
        if self.separation is not None:
            options["separation"] = self.separation
        if self.maxsize is not None:
            options["maxsize"] = self.maxsize
        return options

    def link_kwargs(self) -> dict:
        """Keyword arguments of ``trackpy.link`` (after the search range)."""
        options = {"memory": int(self.memory)}
        if self.adaptive_stop is not None:
            options.update(adaptive_stop=self.adaptive_stop, adaptive_step=self.adaptive_step)
        return options

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> LinkingParams:
        """From a dict such as a saved settings file; unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


@dataclass(frozen=True)
class LinkProgress:
    """Progress of :func:`iter_link`.

    ``stage`` is ``"locate"`` (``done`` of ``total`` frames located), then
    ``"link"`` (frames linked), ``"filter"`` and, when asked, ``"drift"`` (0 of 1,
    then 1 of 1). ``n_features`` counts the features located so far. The fields
    match :class:`resandi_core.classify.Progress`, so one progress bar serves both.
    """

    done: int
    total: int
    stage: str = STAGE_LOCATE
    n_features: int = 0

    @property
    def phase(self) -> str:
        """Alias of ``stage``."""
        return self.stage


@dataclass
class LinkResult:
    """Tracks of one movie and what it took to get them.

    Attributes
    ----------
    tracks : Tracks
        In px, with the calibration of the file or the user (None when unknown).
        Table columns ``track_id, frame, x, y`` then trackpy's ``mass, size, ecc,
        signal, raw_mass, ep`` (and ``x_raw, y_raw`` when drift was subtracted),
        sorted by track and frame.
    n_frames : int
        Frames located.
    n_features : int
        Features located in all frames.
    n_tracks_linked : int
        Tracks before the minimum-length filter.
    n_tracks_kept : int
        Tracks of at least ``params.min_length`` detections.
    params : LinkingParams
    stack : str
        One line describing the movie and the selection.
    drift : DataFrame or None
        Drift subtracted, px, columns ``x, y`` indexed by frame; None when not asked.
    elapsed_s : float
        Wall time of the whole job.
    calibration_source : dict
        For ``pixel_size_um`` and ``frame_interval_s`` when known: ``"given"``
        (by the caller) or ``"from the file"``.
    """

    tracks: Tracks
    n_frames: int
    n_features: int
    n_tracks_linked: int
    n_tracks_kept: int
    params: LinkingParams
    stack: str = ""
    drift: pd.DataFrame | None = None
    elapsed_s: float = 0.0
    calibration_source: dict = field(default_factory=dict)

    def summary(self) -> str:
        """A few lines for people: counts, lengths and units."""
        table = self.tracks.table
        lengths = table.groupby("track_id").size() if len(table) else pd.Series(dtype=int)
        lines = [
            f"{self.tracks.source}: {self.stack}",
            f"{self.n_features} features in {self.n_frames} frames ({self.n_features / max(self.n_frames, 1):.1f} per frame); "
            f"{self.n_tracks_linked} tracks linked, {self.n_tracks_kept} kept with >= {self.params.min_length} detections"
            + (f" (median length {int(lengths.median())}, longest {int(lengths.max())})" if len(lengths) else ""),
            "positions in px; pixel size "
            + (f"{self.tracks.pixel_size_um:g} µm ({self.calibration_source.get('pixel_size_um', '?')})"
               if self.tracks.pixel_size_um else "unknown (give --pixel-size-um)")
            + "; frame interval "
            + (f"{self.tracks.frame_interval_s:g} s ({self.calibration_source.get('frame_interval_s', '?')})"
               if self.tracks.frame_interval_s else "unknown (give --frame-interval-s)"),
        ]
        if self.drift is not None and len(self.drift):
            end = self.drift.iloc[-1]
            lines.append(f"drift subtracted: {math.hypot(end['x'], end['y']):.2f} px over the movie")
        lines.append(f"took {self.elapsed_s:.1f} s")
        return "\n".join(lines)


def default_processes() -> int:
    """CPUs this process may use (its affinity where the OS tells), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _quiet_trackpy():
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
    trackpy = _quiet_trackpy()
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
    _quiet_trackpy()


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


def _other_threads() -> list[threading.Thread]:
    """Threads besides this one, ignoring tqdm's progress-bar monitor.

    The monitor only sleeps and reads tqdm's own state, which workers never use,
    so forking beside it is safe.
    """
    return [t for t in threading.enumerate() if t is not threading.current_thread() and type(t).__name__ != "TMonitor"]


def _pool_context():
    """How worker processes start.

    ``fork`` (Linux) starts instantly, like trackpy's own pool, but copying a
    process that runs other threads (a GUI, a data loader) can deadlock the copy;
    there the ``forkserver`` forks from a clean helper process instead (once
    about a second to start it, then instant). Elsewhere the platform's default
    (``spawn``) is the only safe choice. Like any multiprocessing code, a script
    that links on macOS or Windows, or beside threads, needs the
    ``if __name__ == "__main__":`` guard: workers import the main module.
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and not _other_threads():
        return multiprocessing.get_context("fork")
    if "forkserver" in methods and sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, "trackpy"])
        return context
    return multiprocessing.get_context()


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


def _iter_located(
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
        for frame in reader.frame_numbers:
            (features,) = _locate_frames(reader, [frame], locate_kwargs)
            if keep(features):
                yield features
        return
    pool = _pool_context().Pool(processes, initializer=_worker_init)
    try:
        tasks = [(spec, chunk, locate_kwargs) for chunk in _chunks(reader.frame_numbers, processes)]
        for located in pool.imap(_locate_chunk, tasks):
            for features in located:
                if keep(features):
                    yield features
    finally:
        # Runs on completion, on error and when the job is closed (cancelled).
        pool.terminate()
        pool.join()


def _check_calibration(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    if not (math.isfinite(value) and value > 0):
        raise LinkingError(f"{name} must be a positive number, not {value}", hint=f"leave out {name} if unknown")
    return float(value)


def iter_link(
    path: str | os.PathLike,
    params: LinkingParams | None = None,
    *,
    frames: tuple[int | None, int | None] | str | None = None,
    channel: int | None = None,
    z: int | None = None,
    pixel_size_um: float | None = None,
    frame_interval_s: float | None = None,
    processes: int | None = None,
) -> Generator[LinkProgress, None, LinkResult]:
    """Locate and link the particles of a movie; yield progress, return the result.

    Parameters
    ----------
    path : path
        TIFF, OME-TIFF or ImageJ stack (see :class:`~resandi_core.io.stacks.StackReader`).
    params : LinkingParams, optional
    frames : (start, stop) or "START:STOP", optional
        Frames to use (stop excluded); frame numbers in the output stay the file's.
    channel, z : int, optional
        Channel and z-plane where the movie has several.
    pixel_size_um, frame_interval_s : float, optional
        Calibration (µm per pixel, s per frame); overrides the file's metadata.
    processes : int, optional
        Worker processes for locating; default :func:`default_processes`. 1 runs
        everything in this process.

    Returns
    -------
    LinkResult
        As the generator's return value (``result = yield from iter_link(...)``).

    Raises
    ------
    StackError
        The movie cannot be read (names the file and the fix).
    LinkingError
        Bad parameters, no particle found, no track long enough, or linking
        that trackpy finds intractable.
    """
    started = time.perf_counter()
    params = params or LinkingParams()
    params.check()
    if isinstance(frames, str):
        frames = parse_frames(frames)
    pixel_size_um = _check_calibration(pixel_size_um, "--pixel-size-um")
    frame_interval_s = _check_calibration(frame_interval_s, "--frame-interval-s")
    processes = default_processes() if processes is None else int(processes)
    if processes < 1:
        raise LinkingError(f"processes must be at least 1, not {processes}")
    spec = StackSpec(str(path), channel, z, frames)
    reader = open_stack(spec)
    where = str(path)
    try:
        n_frames = reader.n_frames
        if n_frames < 2:
            raise StackError(f"only {n_frames} frame selected; linking needs at least 2", where=where,
                             hint="select more frames")
        processes = min(processes, n_frames)
        description = reader.describe()
        log.info("linking %s: %s; %d process(es)", where, description, processes)
        _quiet_trackpy()
        seen = [0, 0]
        parts = []
        yield LinkProgress(0, n_frames, STAGE_LOCATE)
        located = _iter_located(spec, reader, params.locate_kwargs(), processes, seen)
        try:
            for features in located:
                parts.append(features)
                yield LinkProgress(seen[0], n_frames, STAGE_LOCATE, seen[1])
        finally:
            located.close()  # stops the workers when the job is closed (cancelled)
        yield LinkProgress(n_frames, n_frames, STAGE_LOCATE, seen[1])
    finally:
        reader.close()

    n_features = seen[1]
    if n_features == 0:
        raise LinkingError(
            f"no particle found in {n_frames} frames",
            where=where,
            hint="lower --minmass, check --diameter, and use --invert for dark particles on a bright background",
        )
    linked = yield from _link(pd.concat(parts, ignore_index=True), params, n_features, where)
    del parts
    n_tracks_linked = int(linked["particle"].nunique())

    yield LinkProgress(0, 1, STAGE_FILTER, n_features)
    length = linked.groupby("particle")["frame"].transform("count")
    kept = linked[length.to_numpy() >= params.min_length]
    n_tracks_kept = int(kept["particle"].nunique())
    if n_tracks_kept == 0:
        raise LinkingError(
            f"no track has {params.min_length} detections or more ({n_tracks_linked} tracks linked, "
            f"longest {int(length.max())})",
            where=where,
            hint="lower --min-length, or raise --search-range or --memory",
        )
    yield LinkProgress(1, 1, STAGE_FILTER, n_features)

    drift = None
    if params.subtract_drift:
        yield LinkProgress(0, 1, STAGE_DRIFT, n_features)
        kept, drift = _subtract_drift(kept, params.drift_smoothing)
        yield LinkProgress(1, 1, STAGE_DRIFT, n_features)

    sources = {}
    if pixel_size_um is not None:
        sources["pixel_size_um"] = "given"
    elif reader.pixel_size_um is not None:
        pixel_size_um, sources["pixel_size_um"] = reader.pixel_size_um, "from the file"
    if frame_interval_s is not None:
        sources["frame_interval_s"] = "given"
    elif reader.frame_interval_s is not None:
        frame_interval_s, sources["frame_interval_s"] = reader.frame_interval_s, "from the file"
    tracks = Tracks(
        table=_tracks_table(kept),
        source=where,
        position_unit="px",
        pixel_size_um=pixel_size_um,
        frame_interval_s=frame_interval_s,
        dropped={f"tracks shorter than {params.min_length} detections": n_tracks_linked - n_tracks_kept}
        if n_tracks_linked > n_tracks_kept
        else {},
    )
    result = LinkResult(
        tracks=tracks,
        n_frames=n_frames,
        n_features=n_features,
        n_tracks_linked=n_tracks_linked,
        n_tracks_kept=n_tracks_kept,
        params=params,
        stack=description,
        drift=drift,
        elapsed_s=time.perf_counter() - started,
        calibration_source=sources,
    )
    log.info("linked %s: %d features, %d tracks, %d kept", where, n_features, n_tracks_linked, n_tracks_kept)
    return result


def _link(features: pd.DataFrame, params: LinkingParams, n_features: int, where: str):
    """Add trackpy's ``particle`` column, yielding progress per frame (a sub-generator).

    Does what ``trackpy.link`` does (same linker, positions ``y, x``, frames in
    order), so the ids are trackpy's.
    """
    from trackpy.linking import SubnetOversizeException, link_iter

    frames = features["frame"].to_numpy()
    positions = features[["y", "x"]].to_numpy()
    bounds = np.r_[0, np.flatnonzero(np.diff(frames)) + 1, len(frames)]
    n_frames = len(bounds) - 1
    ids = np.empty(len(frames), dtype=np.int64)
    per_frame = ((int(frames[a]), positions[a:b]) for a, b in zip(bounds[:-1], bounds[1:]))
    linker = link_iter(per_frame, params.search_range, **params.link_kwargs())
    step = max(1, n_frames // 200)  # a few hundred events at most
    try:
        for done, (_, frame_ids) in enumerate(linker, start=1):
            ids[bounds[done - 1] : bounds[done]] = frame_ids
            if done % step == 0 or done == n_frames:
                yield LinkProgress(done, n_frames, STAGE_LINK, n_features)
    except SubnetOversizeException as exc:
        raise LinkingError(
            f"linking is intractable: too many candidate particles within the search range ({exc})",
            where=where,
            hint="lower --search-range, or enable adaptive search (adaptive_stop)",
        ) from None
    finally:
        linker.close()
    features["particle"] = ids
    return features


def _subtract_drift(tracks: pd.DataFrame, smoothing: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tracks with trackpy's ensemble drift subtracted, and that drift (px, by frame).

    trackpy's ``subtract_drift`` treats a frame without any consecutive step as
    drift 0, which would jump every track there; the drift is carried forward
    across such frames instead.
    """
    import trackpy

    drift = trackpy.compute_drift(tracks, smoothing=smoothing)[["x", "y"]]
    first, last = int(tracks["frame"].min()), int(tracks["frame"].max())
    drift = drift.reindex(pd.RangeIndex(first, last + 1, name="frame")).ffill().fillna(0.0)
    at = drift.reindex(tracks["frame"].to_numpy())
    corrected = tracks.copy()
    corrected["x_raw"], corrected["y_raw"] = tracks["x"].to_numpy(), tracks["y"].to_numpy()
    corrected["x"] = tracks["x"].to_numpy() - at["x"].to_numpy()
    corrected["y"] = tracks["y"].to_numpy() - at["y"].to_numpy()
    return corrected, drift


def _tracks_table(linked: pd.DataFrame) -> pd.DataFrame:
    """trackpy's frame of linked features as a Tracks table: ids first, sorted."""
    table = linked.rename(columns={"particle": "track_id"})
    first = ["track_id", "frame", "x", "y"]
    table = table[first + [c for c in table.columns if c not in first]]
    table = table.sort_values(["track_id", "frame"], kind="stable").reset_index(drop=True)
    table["frame"] = table["frame"].astype(np.int64)
    table["track_id"] = table["track_id"].astype(np.int64)
    return table


def run_link(job: Generator[LinkProgress, None, LinkResult], progress: Callable[[LinkProgress], None] | None = None) -> LinkResult:
    """Drive :func:`iter_link` to its end (see :func:`resandi_core.progress.run_job`)."""
    return run_job(job, progress)


def link_stack(
    path: str | os.PathLike,
    params: LinkingParams | None = None,
    progress: Callable[[LinkProgress], None] | None = None,
    **options,
) -> Tracks:
    """Run :func:`iter_link` to completion and return its tracks.

    Keyword options are those of :func:`iter_link`; use :func:`iter_link` (or
    :func:`run_link`) for the counts of :class:`LinkResult`.
    """
    return run_link(iter_link(path, params, **options), progress).tracks
