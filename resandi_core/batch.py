"""The one classify-files loop: inputs in, one outcome per file out.

``resandi classify`` and the desktop app both run :func:`iter_classify_files`:
each file is read (a track file) or located and linked (a TIFF movie), then
classified with one model, and whatever goes wrong with one file becomes that
file's failure instead of stopping the others. :func:`iter_read_files` is the
app's Open (read track files, check that movies open) and
:func:`write_results` writes the results of several files into one folder.

May import: :mod:`resandi_core.classify`, :mod:`resandi_core.linking`,
:mod:`resandi_core.io`, the model registry and the base modules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import describe_failure
from .io.inputs import is_stack_path
from .io.planes import PLANE_KEYS, choose_planes
from .progress import Progress, relabel

if TYPE_CHECKING:
    from .classify import ClassificationResult
    from .linking import LinkResult
    from .model.store import LoadedModel
    from .tracks import Tracks

log = logging.getLogger(__name__)


@dataclass
class FileRequest:
    """One file to classify, and how to get its tracks.

    Attributes
    ----------
    path : Path
    tracks : Tracks or None
        Tracks already read or linked (classified as they are); None: read the
        track file, or link the movie.
    read_options : dict
        Keyword options of :func:`~resandi_core.io.read_tracks` for a track file
        (``format``, ``columns``, ``pixel_size_um``, ``frame_interval_s``, ...).
    linking : dict
        :class:`~resandi_core.linking.LinkingParams` as a dict (unknown keys such
        as the calibration are ignored), for a movie; may hold the movie's
        remembered channel and z-plane under :data:`~resandi_core.io.planes.PLANE_KEYS`.
    frames : (int, int) or str or None
        Frames to link, stop excluded; None: all.
    pixel_size_um, frame_interval_s : float or None
        Calibration of a movie (µm per px, s per frame); None: its own metadata.
    channel, z : int or None
        Plane of a movie with several channels or z-planes.
    first_plane_by_default : bool
        Where no plane is asked for (nor remembered in ``linking``), take the
        first, as the app shows the movie; False lets the reader refuse a movie
        with several planes and say which option to give (the command line).
    processes : int or None
        Worker processes that locate particles; None: all CPUs.
    """

    path: Path
    tracks: Tracks | None = None
    read_options: dict[str, Any] = field(default_factory=dict)
    linking: dict[str, Any] = field(default_factory=dict)
    frames: tuple[int | None, int | None] | str | None = None
    pixel_size_um: float | None = None
    frame_interval_s: float | None = None
    channel: int | None = None
    z: int | None = None
    first_plane_by_default: bool = False
    processes: int | None = None


@dataclass
class FileOutcome:
    """What the loop did with one file: its new data, or why it failed.

    Attributes
    ----------
    path : Path
    tracks : Tracks or None
        Tracks read or linked.
    link_result : LinkResult or None
        The counts of linking, for a movie.
    result : ClassificationResult or None
    failure : str or None
        A readable message naming the file, the place and what to do.
    details : str
        The traceback behind ``failure``, for a dialog's details or the log.
    expected : bool
        False when the failure was a crash (a bug to report), not bad input.
    exception : BaseException or None
        The error behind ``failure`` (its ``where`` and ``hint`` fill errors.csv).
    """

    path: Path
    tracks: Tracks | None = None
    link_result: LinkResult | None = None
    result: ClassificationResult | None = None
    failure: str | None = None
    details: str = ""
    expected: bool = True
    exception: BaseException | None = None


def failed_outcome(path: Path, exc: BaseException) -> FileOutcome:
    """The outcome of a file whose job raised ``exc``; crashes are logged with their traceback."""
    failure = describe_failure(exc)
    if not failure.expected:
        log.error("%s failed:\n%s", path, failure.details)
    message = failure.message if str(path) in failure.message else f"{path}: {failure.message}"
    return FileOutcome(path, failure=message, details=failure.details, expected=failure.expected, exception=exc)


def iter_read_files(paths: Sequence[Path]) -> Generator[Progress, None, list[FileOutcome]]:
    """Read track files; check that movies open (with their first plane); one outcome per path.

    Yields ``Progress(i, n, "read")`` before each file.
    """
    from .io.isolated import read_tracks_isolated
    from .io.stacks import StackReader

    outcomes = []
    for i, path in enumerate(paths):
        yield Progress(i, len(paths), "read")
        try:
            if is_stack_path(path):
                planes = choose_planes(path)
                # Opens the file and checks its axes (and the plane chosen by default).
                with StackReader(path, channel=planes.channel, z=planes.z) as reader:
                    log.info("opened movie %s", reader.describe())
                outcomes.append(FileOutcome(path))
            else:
                outcomes.append(FileOutcome(path, tracks=read_tracks_isolated(path)))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            outcomes.append(failed_outcome(path, exc))
    yield Progress(len(paths), len(paths), "read")
    return outcomes


def link_request(request: FileRequest, label: str) -> Generator[Progress, None, LinkResult]:
    """Link the movie of ``request`` as it says; progress relabelled ``"<label>: <stage>"``."""
    from .linking import LinkingParams, iter_link

    channel, z = request.channel, request.z
    if request.first_plane_by_default:
        # The plane asked for, else the one remembered with the movie, else the first:
        # the one the app shows it with until the user picks another.
        channel, z = (value if value is not None else request.linking.get(key)
                      for value, key in zip((channel, z), PLANE_KEYS))
        planes = choose_planes(request.path, channel, z)
        channel, z = planes.channel, planes.z
    job = iter_link(
        request.path,
        LinkingParams.from_dict(request.linking),
        frames=request.frames,
        channel=channel,
        z=z,
        pixel_size_um=request.pixel_size_um,
        frame_interval_s=request.frame_interval_s,
        processes=request.processes,
    )
    return (yield from relabel(job, f"{label}:"))


def iter_classify_files(
    requests: Sequence[FileRequest],
    model: LoadedModel,
    on_outcome: Callable[[FileOutcome], None] | None = None,
    **classify_options: Any,
) -> Generator[Progress, None, list[FileOutcome]]:
    """Get the tracks of every file (read, or link a movie), then classify them with one model.

    Parameters
    ----------
    requests : sequence of FileRequest
    model : LoadedModel
    on_outcome : callable, optional
        Called with each file's outcome as soon as it is known (the command
        line prints a line per file).
    **classify_options
        Keyword options of :func:`~resandi_core.classify.iter_classify`
        (``device``, ``batch_size``, ``target_class``, ``relu``, ``gradcam``,
        ``window_stride``).

    Returns
    -------
    list of FileOutcome
        One per request, in order; a failed file has ``failure`` set and
        never stops the others.

    Progress stages read ``"<file name> (i/n): locate"`` (link, filter, drift) or ``"… classify"``.
    """
    from .classify import iter_classify
    from .io.isolated import read_tracks_isolated

    outcomes = []
    for i, request in enumerate(requests):
        label = f"{request.path.name} ({i + 1}/{len(requests)})"
        try:
            tracks, link_result = request.tracks, None
            if tracks is None and is_stack_path(request.path):
                link_result = yield from link_request(request, label)
                tracks = link_result.tracks
            elif tracks is None:
                # in a child process: a file that crashes, hangs or floods a reader costs only itself
                tracks = read_tracks_isolated(request.path, **request.read_options)
            result = yield from relabel(iter_classify(tracks, model, **classify_options), f"{label}:")
            outcome = FileOutcome(request.path, tracks=tracks, link_result=link_result, result=result)
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            outcome = failed_outcome(request.path, exc)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes


def write_results(results: Sequence[ClassificationResult], folder: str | Path) -> list[Path]:
    """Write ``results.csv``, ``gradcam.csv`` and ``windows.csv`` of several files into ``folder``.

    Atomic: a good old file is never half-overwritten (see :mod:`resandi_core.atomic`).
    """
    import pandas as pd

    from .io.results import write_classification

    return write_classification(
        pd.concat([r.tracks for r in results], ignore_index=True),
        pd.concat([r.gradcam for r in results], ignore_index=True),
        pd.concat([r.windows for r in results], ignore_index=True),
        folder,
    )


def iter_write_results(results: Sequence[ClassificationResult], folder: Path) -> Generator[Progress, None, list[Path]]:
    """:func:`write_results` as a job (millions of Grad-CAM rows take seconds)."""
    yield Progress(0, 1, "export")
    written = write_results(results, folder)
    yield Progress(1, 1, "export")
    return written
