"""The main window's long jobs, as generators for :class:`~resandi_gui.workers.JobRunner`.

Each job reads, links or classifies several files one after the other and
collects a failure per file instead of stopping: one bad file in a batch never
costs the user the others. Qt-free: these are plain generators over the core,
the same calls the CLI makes, so the GUI and ``resandi classify`` agree.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resandi_core.progress import Progress

from .failures import describe_failure

log = logging.getLogger(__name__)

#: Keys of a :class:`~resandi_gui.session.SessionFile`'s ``linking`` dict holding the
#: channel and z-plane chosen for that movie (absent: the first, where it has several).
#: ``LinkingParams.from_dict`` ignores them, as it does the calibration keys.
PLANE_KEYS = ("channel", "z")


def is_movie(path: str | Path) -> bool:
    """Whether ``path`` names a TIFF movie (by its suffix, as ``resandi classify`` decides)."""
    from resandi_core.cli.link import is_stack_path

    return is_stack_path(path)


@dataclass
class FileOutcome:
    """What a job did with one file: its new data, or why it failed.

    Attributes
    ----------
    path : Path
    tracks : Tracks or None
        Tracks read or linked.
    link_result : LinkResult or None
    result : ClassificationResult or None
    failure : str or None
        A readable message naming the file, the place and what to do.
    details : str
        The traceback behind ``failure``, for the dialog's details.
    """

    path: Path
    tracks: Any = None
    link_result: Any = None
    result: Any = None
    failure: str | None = None
    details: str = ""


@dataclass
class ClassifyRequest:
    """One file to classify, as the UI saw it when the job started.

    ``tracks`` is None for a movie that still has to be linked with ``linking``
    over ``frames`` (first, last + 1; None = all) and the user's calibration
    (None = the movie's own metadata), exactly as the Link button would.
    ``channel`` and ``z`` select the plane to link where the movie has several;
    None takes the one remembered in ``linking`` (keys :data:`PLANE_KEYS`), else
    the first (see :func:`choose_planes`).
    """

    path: Path
    tracks: Any = None
    linking: dict[str, Any] = field(default_factory=dict)
    frames: tuple[int, int] | None = None
    pixel_size_um: float | None = None
    frame_interval_s: float | None = None
    channel: int | None = None
    z: int | None = None


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

    from resandi_core.io.stacks import TIME_AXES

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


def _failure(path: Path, exc: BaseException) -> FileOutcome:
    failure = describe_failure(exc)
    if not failure.expected:
        log.error("%s failed:\n%s", path, failure.details)
    message = failure.message if str(path) in failure.message else f"{path}: {failure.message}"
    return FileOutcome(path, failure=message, details=failure.details)


def read_files(paths: Sequence[Path]) -> Generator[Progress, None, list[FileOutcome]]:
    """Read track tables (movies are only checked to open); one outcome per path.

    A movie with several channels or z-planes is checked with the first of each,
    as the Data view shows it (see :func:`choose_planes`).

    Yields ``Progress(i, n, "read")`` before each file.
    """
    outcomes = []
    for i, path in enumerate(paths):
        yield Progress(i, len(paths), "read")
        try:
            if is_movie(path):
                from resandi_core.io.stacks import StackReader

                planes = choose_planes(path)
                # Opens the file and checks its axes (and the plane chosen by default).
                with StackReader(path, channel=planes.channel, z=planes.z) as reader:
                    log.info("opened movie %s", reader.describe())
                outcomes.append(FileOutcome(path))
            else:
                from resandi_core.io import read_tracks

                outcomes.append(FileOutcome(path, tracks=read_tracks(path)))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            outcomes.append(_failure(path, exc))
    yield Progress(len(paths), len(paths), "read")
    return outcomes


def classify_files(
    requests: Sequence[ClassifyRequest],
    model_name: str | None,
    device: str = "auto",
) -> Generator[Progress, None, tuple[Any, list[FileOutcome]]]:
    """Link the movies that need it, then classify every file with one model.

    Parameters
    ----------
    requests : sequence of ClassifyRequest
    model_name : str or None
        Name or folder of the model; None or "" for the bundled default.
    device : str
        ``auto``, ``cpu``, ``cuda`` or ``mps``.

    Grad-CAM is stored signed, as ``resandi classify`` writes it by default; the
    views clip it for display only, so an export never mixes the two.

    Returns
    -------
    (LoadedModel, list of FileOutcome)
        The model (kept by the UI to recompute Grad-CAM of other classes) and
        one outcome per request, in order.

    Progress stages read ``"<file name> (i/n): locate"`` (link, filter, drift) or ``"… classify"``.
    """
    from resandi_core.classify import iter_classify
    from resandi_core.model.store import load_model

    yield Progress(0, 0, "load model")
    model = load_model(model_name or None)
    outcomes = []
    for i, request in enumerate(requests):
        label = f"{request.path.name} ({i + 1}/{len(requests)})"
        try:
            tracks, link_result = request.tracks, None
            if tracks is None:
                from resandi_core.linking import LinkingParams, iter_link

                # The plane asked for, else the one remembered with the movie, else the
                # first: the one the Data view shows it with until the user picks another.
                channel, z = (value if value is not None else request.linking.get(key)
                              for value, key in zip((request.channel, request.z), PLANE_KEYS))
                planes = choose_planes(request.path, channel, z)
                job = iter_link(
                    request.path,
                    LinkingParams.from_dict(request.linking),
                    frames=request.frames,
                    channel=planes.channel,
                    z=planes.z,
                    pixel_size_um=request.pixel_size_um,
                    frame_interval_s=request.frame_interval_s,
                )
                link_result = yield from _relabel(job, f"{label}:")
                tracks = link_result.tracks
            job = iter_classify(tracks, model, device=device)
            result = yield from _relabel(job, f"{label}:")
            outcomes.append(FileOutcome(request.path, tracks=tracks, link_result=link_result, result=result))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            outcomes.append(_failure(request.path, exc))
    return model, outcomes


def _relabel(job: Generator[Any, None, Any], label: str) -> Generator[Progress, None, Any]:
    """Pass a sub-job's events on as ``"<label> <its stage>"``; return its result; close it if closed.

    The sub-job's own stage (locate, link, filter, classify) stays the last word,
    so the progress bar restarts its ETA at each stage and names what it counts.
    """
    try:
        while True:
            try:
                event = next(job)
            except StopIteration as stop:
                return stop.value
            yield Progress(event.done, event.total, f"{label} {event.stage}")
    finally:
        job.close()


def export_results(results: Sequence[Any], folder: Path) -> Generator[Progress, None, list[Path]]:
    """Write the classification results of several files into one folder, as
    ``resandi classify --out`` does (atomically: a good old file is never half-overwritten)."""
    import pandas as pd

    from resandi_core.io.results import write_classification

    yield Progress(0, 1, "export")
    written = write_classification(
        pd.concat([r.tracks for r in results], ignore_index=True),
        pd.concat([r.gradcam for r in results], ignore_index=True),
        pd.concat([r.windows for r in results], ignore_index=True),
        folder,
    )
    yield Progress(1, 1, "export")
    return written
