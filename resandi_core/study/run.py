"""``resandi batch``: classify every file of a study, by condition, resumably, into one folder.

Each file goes through the same steps as ``resandi classify`` (read, or locate and
link a movie, then classify), and its tables are kept in the output folder's
cache as soon as it is done (:mod:`.cache`), so a killed batch resumes where it
stopped and a repeated one skips what is finished. While the network classifies
one file, the next track file is hashed and read in a background thread (the
reading itself runs in a child process, :mod:`resandi_core.io.isolated`), so
inference does not wait for the disk. At the end the tables of every finished
file are gathered into the folder's results.csv, gradcam.csv, windows.csv,
tracks.csv, summary.csv, emsd.csv, errors.csv and run.json (see :mod:`.layout`),
all renamed into place together.
"""

from __future__ import annotations

import datetime
import logging
import os
import threading
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import __version__
from ..errors import OutputError, ResandiError, describe_failure
from ..io.inputs import is_stack_path
from ..progress import Progress, relabel
from .cache import CachedFile, FileCache, content_hash, file_key
from .conditions import StudyFile
from .layout import ERROR_COLUMNS
from .outputs import file_tables, write_outputs

if TYPE_CHECKING:
    from ..model.store import LoadedModel
    from ..tracks import Tracks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchProgress(Progress):
    """A :class:`Progress` event of one file's stage, with where the whole batch stands.

    Attributes
    ----------
    file_index, n_files : int
        The (first) file being worked on (0-based) and the number of files.
    span : int
        Files this stage works on together (classifying several small files at once).
    """

    file_index: int = 0
    n_files: int = 1
    span: int = 1

    @property
    def overall(self) -> float:
        """Files done, counting the current stage's fraction of its files (0 to ``n_files``)."""
        fraction = self.done / self.total if self.total else 0.0
        return min(self.file_index + fraction * self.span, self.n_files)


@dataclass
class BatchOptions:
    """How every file of a batch is read, linked and classified.

    Attributes
    ----------
    read_options : dict
        Keyword options of :func:`~resandi_core.io.read_tracks` for track files.
    linking : dict
        :class:`~resandi_core.linking.LinkingParams` as a dict, for movies.
    link_options : dict
        ``frames``, ``pixel_size_um``, ``frame_interval_s``, ``channel``, ``z``,
        ``processes`` of :class:`~resandi_core.batch.FileRequest`.
    classify_options : dict
        Keyword options of :func:`~resandi_core.classify.iter_classify`.
    force : bool
        Classify every file again, even those finished with the same options.
    command : str
        The command line (or the app's description of the run), for run.json.
    """

    read_options: dict[str, Any] = field(default_factory=dict)
    linking: dict[str, Any] = field(default_factory=dict)
    link_options: dict[str, Any] = field(default_factory=dict)
    classify_options: dict[str, Any] = field(default_factory=dict)
    force: bool = False
    command: str = ""

    def answer_options(self, model_sha256: str) -> dict[str, Any]:
        """What changes a file's answer (the cache key); the device and batch size do not."""
        classify = {k: v for k, v in self.classify_options.items() if k not in ("device", "batch_size")}
        link = {k: v for k, v in self.link_options.items() if k != "processes"}
        return {"model": model_sha256, "read": self.read_options, "linking": self.linking, "link": link,
                "classify": classify, "version": __version__}


@dataclass
class BatchResult:
    """What a batch did.

    Attributes
    ----------
    out_dir : Path
    written : list of Path
        The output files.
    n_files, n_classified, n_reused, n_failed : int
        Inputs; classified now; taken from an earlier run; failed.
    errors : DataFrame
        errors.csv's rows (:data:`~.layout.ERROR_COLUMNS`).
    """

    out_dir: Path
    written: list[Path]
    n_files: int
    n_classified: int
    n_reused: int
    n_failed: int
    errors: pd.DataFrame


@dataclass
class _Prepared:
    """A file after the background step: its key, and its tracks (a track file) or why it failed."""

    key: str | None = None
    tracks: Tracks | None = None
    error: BaseException | None = None
    stage: str = "read"


def error_row(item: StudyFile, stage: str, exc: BaseException) -> dict[str, Any]:
    """One row of errors.csv for a file whose ``stage`` raised ``exc``."""
    failure = describe_failure(exc)
    if not failure.expected:
        log.error("%s failed (%s):\n%s", item.path, stage, failure.details)
    if isinstance(exc, ResandiError):
        reason = exc.message if not exc.where or exc.where == str(item.path) else f"{exc.where}: {exc.message}"
        hint = exc.hint or "fix the file, or leave it out of the folder, and run the batch again"
    else:
        reason = failure.message
        hint = "this is a bug in ResAnDi: please report it with the log file; the other files are not affected"
    return {"file": str(item.path), "condition": item.condition, "stage": stage, "reason": reason,
            "what_to_do": hint, "internal": not failure.expected}


#: Track files read ahead of the one in hand (their tables wait in memory): enough that a
#: chunk of small files is read while the chunk before it is classified.
READ_AHEAD = 16


class _Prefetcher:
    """Hashes and reads the next files in a background thread while the current ones are classified."""

    def __init__(self, files: Sequence[StudyFile], cache: FileCache, options: BatchOptions, answer: dict) -> None:
        self._files, self._cache, self._options, self._answer = files, cache, options, answer
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="resandi-batch-read")
        self._futures: dict[int, Future] = {}
        from ..io.isolated import IsolatedReader

        # One reader child for all files (used by the one pool thread only), a fresh one after a bad file.
        self._reader = IsolatedReader()

    def _prepare(self, index: int) -> _Prepared:
        path = self._files[index].path
        try:
            key = file_key(content_hash(path), self._answer)
        except OSError as exc:
            return _Prepared(error=OutputError(f"cannot read the file ({exc.strerror or exc})", where=str(path),
                                               hint="check that it exists and that you may read it"))
        if (self._cache.has(key) and not self._options.force) or is_stack_path(path):
            return _Prepared(key)  # a movie is linked in the foreground, with its progress
        try:
            return _Prepared(key, tracks=self._reader.read(path, **self._options.read_options))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            return _Prepared(key, error=exc)

    def get(self, index: int) -> _Prepared:
        """File ``index`` prepared (waiting for it if needed); queues the next :data:`READ_AHEAD` files."""
        future = self._futures.pop(index, None) or self._pool.submit(self._prepare, index)
        for ahead in range(index + 1, min(index + 1 + READ_AHEAD, len(self._files))):
            if ahead not in self._futures:
                self._futures[ahead] = self._pool.submit(self._prepare, ahead)
        return future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        # The pool thread may still be reading: close the reader from it, after that read.
        threading.Thread(target=self._close_reader, daemon=True).start()

    def _close_reader(self) -> None:
        self._pool.shutdown(wait=True)
        self._reader.close()


def _events(job: Generator[Progress, None, Any], label: str | None, index: int, n: int) -> Generator[Progress, None, Any]:
    """A sub-job's events (relabelled ``"<label> <stage>"`` unless None) as :class:`BatchProgress` of file ``index``."""
    labelled = relabel(job, label) if label is not None else job
    try:
        while True:
            try:
                event = next(labelled)
            except StopIteration as stop:
                return stop.value
            yield BatchProgress(event.done, event.total, event.stage, file_index=index, n_files=n)
    finally:
        labelled.close()


#: A chunk of small files is classified together once it holds this many tracks (or files):
#: enough to fill the network's batches (256 windows on a CPU), few enough to lose little to a kill.
CHUNK_TRACKS = 512
CHUNK_FILES = 64


@dataclass
class _Ready:
    """A file with its tracks, waiting in a chunk to be classified."""

    index: int
    item: StudyFile
    key: str
    tracks: Tracks
    link_summary: str | None = None


def _link_movie(item: StudyFile, options: BatchOptions, label: str, index: int, n: int
                ) -> Generator[Progress, None, tuple[Tracks, str]]:
    """Locate and link a movie in the foreground (it has its own progress); its tracks and summary."""
    from ..batch import FileRequest, link_request

    request = FileRequest(item.path, linking=options.linking, first_plane_by_default=False, **options.link_options)
    result = yield from _events(link_request(request, label.removesuffix(":")), None, index, n)
    return result.tracks, result.summary()


def _classify_chunk(chunk: Sequence[_Ready], model: LoadedModel, options: BatchOptions, n: int
                    ) -> Generator[Progress, None, list[Any]]:
    """Classify the files of a chunk in shared batches; per file its (tables, meta) or its error."""
    from ..classify import iter_classify_many

    first, last = chunk[0], chunk[-1]
    label = (f"{first.item.path.name} ({first.index + 1}/{n}):" if len(chunk) == 1 else
             f"{first.item.path.name} … {last.item.path.name} ({first.index + 1}-{last.index + 1}/{n}):")
    job = iter_classify_many([ready.tracks for ready in chunk], model, **options.classify_options)
    labelled = relabel(job, label)
    try:
        while True:
            try:
                event = next(labelled)
            except StopIteration as stop:
                results = stop.value
                break
            yield BatchProgress(event.done, event.total, event.stage, file_index=first.index, n_files=n,
                                span=len(chunk))
    finally:
        labelled.close()
    outcomes: list[Any] = []
    for ready, result in zip(chunk, results):
        if isinstance(result, BaseException):
            outcomes.append(result)
            continue
        try:
            outcomes.append((file_tables(ready.item, ready.tracks, result),
                             file_meta(ready.item, ready.tracks, ready.link_summary)))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            outcomes.append(exc)
    return outcomes


def file_meta(item: StudyFile, tracks: Tracks, link_summary: str | None = None) -> dict[str, Any]:
    """What run.json says of one finished file: its tracks, units and how they were read or linked."""
    return {"file": str(item.path), "condition": item.condition, "n_tracks": tracks.n_tracks,
            "position_unit": tracks.position_unit, "pixel_size_um": tracks.pixel_size_um,
            "frame_interval_s": tracks.frame_interval_s, "format": tracks.format,
            "summary": link_summary or tracks.summary()}


def iter_batch(
    files: Sequence[StudyFile], model: LoadedModel, out_dir: str | os.PathLike, options: BatchOptions
) -> Generator[Progress, None, BatchResult]:
    """Classify every file of ``files`` into ``out_dir``, skipping those already done; see the module.

    Parameters
    ----------
    files : sequence of StudyFile
        From :func:`~.conditions.assign_conditions`.
    model : LoadedModel
    out_dir : path
        Created if missing; earlier results of the same files and options are reused.
    options : BatchOptions

    Yields
    ------
    BatchProgress
        Each file's stages (``"<name> (i/n): read | locate | link | classify"``)
        with the batch's overall progress.

    Returns
    -------
    BatchResult

    Raises
    ------
    OutputError
        When the output folder cannot be written (nothing is lost: finished
        files stay in its cache). A bad input file never raises: it goes to errors.csv.
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder ({exc.strerror or exc})", where=str(out_dir),
                          hint="choose a folder you can write to") from None
    cache = FileCache(out_dir)
    answer = options.answer_options(model.config.get("weights", {}).get("sha256", model.name))
    done: dict[int, tuple[StudyFile, CachedFile]] = {}
    errors: dict[int, dict[str, Any]] = {}
    counts = {"new": 0, "reused": 0}
    n = len(files)
    prefetcher = _Prefetcher(files, cache, options, answer)

    def finish(chunk: Sequence[_Ready], outcomes: Sequence[Any]) -> None:
        for ready, outcome in zip(chunk, outcomes):
            if isinstance(outcome, BaseException):
                errors[ready.index] = error_row(ready.item, "classify", outcome)
                continue
            tables, meta = outcome
            meta = {**meta, "key": ready.key}
            cache.store(ready.key, tables, meta)
            # Written with the same float format as the cache: the same text either way.
            done[ready.index] = (ready.item, CachedFile(tables, meta))
            counts["new"] += 1

    try:
        chunk: list[_Ready] = []
        for index, item in enumerate(files):
            label = f"{item.path.name} ({index + 1}/{n}):"
            yield BatchProgress(0, 1, f"{label} read", file_index=index, n_files=n)
            prepared = prefetcher.get(index)
            if prepared.error is not None:
                errors[index] = error_row(item, prepared.stage, prepared.error)
                continue
            if cache.has(prepared.key) and not options.force:
                try:
                    done[index] = (item, cache.load(prepared.key))
                    counts["reused"] += 1
                    continue
                except (OSError, ValueError) as exc:  # a damaged cache entry: classify again
                    log.warning("cache of %s unreadable (%s); classifying it again", item.path, exc)
            tracks, link_summary = prepared.tracks, None
            if tracks is None:
                try:
                    tracks, link_summary = yield from _link_movie(item, options, label, index, n)
                except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
                    errors[index] = error_row(item, "link", exc)
                    continue
            chunk.append(_Ready(index, item, prepared.key, tracks, link_summary))
            if sum(r.tracks.n_tracks for r in chunk) >= CHUNK_TRACKS or len(chunk) >= CHUNK_FILES:
                finish(chunk, (yield from _classify_chunk(chunk, model, options, n)))
                chunk = []
        if chunk:
            finish(chunk, (yield from _classify_chunk(chunk, model, options, n)))
        yield BatchProgress(n, n, "write", file_index=n, n_files=n)
    finally:
        prefetcher.close()
    error_table = pd.DataFrame([errors[i] for i in sorted(errors)], columns=ERROR_COLUMNS)
    finished = [done[i] for i in sorted(done)]
    manifest = run_manifest(files, model, options, {str(item.path): cached.meta for item, cached in finished},
                            error_table)
    written = write_outputs(out_dir, [(item, cached.tables) for item, cached in finished], error_table, manifest)
    return BatchResult(out_dir, written, n, counts["new"], counts["reused"], len(error_table), error_table)


def write_classified(
    out_dir: str | os.PathLike,
    classified: Sequence[tuple[StudyFile, Tracks, Any]],
    model: LoadedModel,
    options: BatchOptions,
    errors: Sequence[dict[str, Any]] = (),
    link_summaries: dict[str, str] | None = None,
) -> list[Path]:
    """Write the folder ``resandi batch`` writes from files classified elsewhere (``classify --report``, the app).

    Parameters
    ----------
    out_dir : path
        Created if missing.
    classified : sequence of (StudyFile, Tracks, ClassificationResult)
    model : LoadedModel
        The model that classified them (for run.json).
    options : BatchOptions
        How they were read, linked and classified (for run.json).
    errors : sequence of dict
        Rows of errors.csv (:func:`error_row`) for files that failed.
    link_summaries : dict, optional
        Path -> linking summary, for movies.

    Returns
    -------
    list of Path
        The files written (all renamed into place together).
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder ({exc.strerror or exc})", where=str(out_dir),
                          hint="choose a folder you can write to") from None
    link_summaries = link_summaries or {}
    done = [(item, file_tables(item, tracks, result)) for item, tracks, result in classified]
    metas = {str(item.path): file_meta(item, tracks, link_summaries.get(str(item.path)))
             for item, tracks, _ in classified}
    error_table = pd.DataFrame(list(errors), columns=ERROR_COLUMNS)
    items = [item for item, _, _ in classified] + [StudyFile(Path(e["file"]), e["condition"]) for e in errors]
    return write_outputs(out_dir, done, error_table, run_manifest(items, model, options, metas, error_table))


def run_manifest(
    files: Sequence[StudyFile], model: LoadedModel, options: BatchOptions,
    status: dict[str, dict[str, Any]], errors: pd.DataFrame,
) -> dict[str, Any]:
    """run.json: what was run, with which model and options, on which files, and how each went.

    ``status`` maps the path of each finished file to its meta (see :func:`file_meta`).
    """
    config = model.config
    conditions: dict[str, list[str]] = {}
    for item in files:
        conditions.setdefault(item.condition, []).append(str(item.path))
    file_rows = []
    for item in files:
        meta = status.get(str(item.path))
        row = {"file": str(item.path), "condition": item.condition,
               "status": "done" if meta is not None else "failed"}
        if meta is not None:
            row.update({k: meta.get(k) for k in ("n_tracks", "position_unit", "pixel_size_um",
                                                   "frame_interval_s", "format", "summary")})
        file_rows.append(row)
    return {
        "software": f"resandi {__version__}",
        "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": options.command,
        "model": {
            "name": model.name, "path": str(model.path), "sha256": config.get("weights", {}).get("sha256"),
            "description": config.get("description"), "trained": bool(getattr(model, "trained", True)),
            "test_metrics": {k: v for k, v in config.get("test_metrics", {}).items()
                             if k in ("n", "accuracy", "per_class_accuracy")},
            "calibration": {k: v for k, v in config.get("calibration", {}).items() if not isinstance(v, dict)},
            "trust": config.get("trust", {}),
            "preprocessing": config.get("preprocessing", {}),
        },
        "options": {"read": options.read_options, "linking": options.linking, "link": options.link_options,
                    "classify": options.classify_options, "force": options.force},
        "conditions": conditions,
        "files": file_rows,
        "n_failed": len(errors),
    }


