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
import os
import time
from collections.abc import Callable, Generator

import numpy as np
import pandas as pd

from ..errors import LinkingError, StackError
from ..io.stacks import StackSpec, open_stack, parse_frames
from ..progress import run_job
from ..tracks import Tracks
from .locate import default_processes, iter_located, quiet_trackpy
from .params import STAGE_DRIFT, STAGE_FILTER, STAGE_LINK, STAGE_LOCATE, LinkingParams, LinkProgress, LinkResult

log = logging.getLogger(__name__)

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
        quiet_trackpy()
        seen = [0, 0]
        parts = []
        yield LinkProgress(0, n_frames, STAGE_LOCATE)
        located = iter_located(spec, reader, params.locate_kwargs(), processes, seen)
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
