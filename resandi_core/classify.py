"""Classify tracks with ResAnDi and explain each answer with Grad-CAM.

The work is a generator (:func:`iter_classify`) that yields :class:`Progress` after
every batch and returns a :class:`ClassificationResult`; :func:`classify_tracks` runs
it to completion with an optional callback. The CLI drives the generator with a
tqdm bar, the GUI from a worker thread (closing the generator cancels).

Each track is first checked and prepared
(:func:`~resandi_core.model.preprocess.prepare_track`: too short, non-finite,
duplicated frames, no motion or too sparse tracks get a status and are not
classified; missing frames are interpolated). Tracks longer than 1000 points are
classified in windows of 1000 points every ``window_stride`` points (default 500)
plus one window ending on the last point; the track's probabilities are the mean
of its windows' probabilities, and each point's Grad-CAM score is the mean over
the windows that contain it. The per-window answers are kept in
:attr:`ClassificationResult.windows`, and the Grad-CAM maps of all 8 classes in
:attr:`ClassificationResult.window_maps`, so the explanation of any other class
(:meth:`ClassificationResult.track_gradcam`) never runs the network again.

May import: :mod:`resandi_core.model`, :mod:`resandi_core.msd` and the base modules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .devices import default_batch_size, resolve_device
from .errors import ResandiError
from .model.calibration import calibrated_probabilities, track_temperatures
from .model.gradcam import point_scores, upsample
from .model.inference import WindowClassifier
from .model.preprocess import DEFAULT_WINDOW_STRIDE, PreparedTrack, prepare_track, preprocess
from .model.spec import CLASS_NAMES, INPUT_LENGTH
from .model.store import LoadedModel
from .progress import Progress, run_job
from .tracks import Tracks
from .trust import TrustRule, estimate_noise, trust_columns

log = logging.getLogger(__name__)


PROB_COLUMNS = [f"prob_{name}" for name in CLASS_NAMES]
LOGIT_COLUMNS = [f"logit_{name}" for name in CLASS_NAMES]
#: Columns of ClassificationResult.tracks (results.csv): the documented 15 first.
TRACK_COLUMNS = [
    "file", "track_id", "n_points", "predicted_class", "confidence", *PROB_COLUMNS, "gradcam_mean", "status",
    "gradcam_mean_points", "n_filled", "n_windows", "message",
]
#: Columns appended by the MSD fit (see :mod:`resandi_core.msd`).
MSD_COLUMNS = ["alpha_msd", "D_msd", "msd_r2", "msd_n_lags", "D_msd_unit"]


@dataclass
class ClassificationResult:
    """Classes, probabilities and Grad-CAM of every track of one table.

    Attributes
    ----------
    tracks : DataFrame
        One row per track: ``file, track_id, n_points, predicted_class,
        confidence, prob_<class>... (8), gradcam_mean, status,
        gradcam_mean_points, n_filled, n_windows, message``. ``gradcam_mean`` is
        REFERENCE.md's: the mean of the 1000 upsampled scores, padding included
        (mean over windows for long tracks); ``gradcam_mean_points`` is the mean
        over the track's own points. Unclassified tracks have empty class and NaN numbers.
    gradcam : DataFrame
        One row per point of each classified track: ``file, track_id, frame,
        score, interpolated``. Empty when Grad-CAM was not asked for.
    windows : DataFrame
        One row per 1000-point window: ``file, track_id, window, first_frame,
        last_frame, n_points, predicted_class, confidence, prob_<class>...,
        logit_<class>...``.
    device : str
        Where it ran, and why that device.
    model_name : str
    target : str
        ``"predicted"`` or the class name whose Grad-CAM ``gradcam`` holds.
    relu : bool
        Whether ``gradcam`` holds ReLU-clipped scores (the maps are always signed).
    window_maps : ndarray, shape (n_windows, 8, 32), float32, or None
        The signed Grad-CAM maps of all 8 classes of each row of ``windows``
        (None when Grad-CAM was not asked for): what :meth:`track_gradcam`
        explains any class with, without running the network again.
    """

    tracks: pd.DataFrame
    gradcam: pd.DataFrame
    windows: pd.DataFrame
    device: str
    model_name: str
    target: str
    relu: bool
    window_maps: np.ndarray | None = None
    _windows_of: dict | None = field(default=None, repr=False, compare=False)
    _points_of: dict | None = field(default=None, repr=False, compare=False)

    def track_gradcam(self, track_id: object, target_class: int | str, relu: bool = False) -> pd.DataFrame:
        """Grad-CAM scores of one classified track for any class, from the stored maps.

        Parameters
        ----------
        track_id : object
        target_class : int or str
            Class index or name (any case).
        relu : bool
            Clip negative scores to 0.

        Returns
        -------
        DataFrame
            ``frame, score, interpolated``: one row per frame from the track's
            first to last (gaps filled, as classified), like ``gradcam``'s rows.

        Raises
        ------
        ResandiError
            When Grad-CAM was not computed, or the track was not classified.
        """
        target = class_index(target_class)
        if target is None:
            raise ResandiError("name the class whose Grad-CAM is wanted", hint="one of " + ", ".join(CLASS_NAMES))
        if self.window_maps is None:
            raise ResandiError("this result has no Grad-CAM maps", hint="classify again with Grad-CAM on")
        if self._windows_of is None:
            self._windows_of = self.windows.groupby("track_id", sort=False).indices
            self._points_of = self.gradcam.groupby("track_id", sort=False).indices if len(self.gradcam) else {}
        if track_id not in self._windows_of:
            raise ResandiError(f"track {track_id} was not classified", hint="its status says why")
        rows = self._windows_of[track_id]
        first_frames = self.windows["first_frame"].to_numpy()[rows]
        last_frame = int(self.windows["last_frame"].to_numpy()[rows].max())
        frames = np.arange(int(first_frames.min()), last_frame + 1)
        scores = stitch_scores((first_frames - frames[0]).tolist(), len(frames), self.window_maps[rows, target], relu)
        points = self.gradcam.iloc[self._points_of[track_id]] if track_id in self._points_of else None
        interpolated = (np.zeros(len(frames), dtype=np.int8) if points is None
                        else points.sort_values("frame")["interpolated"].to_numpy())
        return pd.DataFrame({"frame": frames, "score": scores, "interpolated": interpolated})


def class_index(target_class: int | str | None) -> int | None:
    """Class index from a name (any case) or index; None or "predicted" gives None."""
    if target_class is None or target_class == "predicted":
        return None
    if isinstance(target_class, str) and not target_class.isdigit():
        lookup = {name.lower(): i for i, name in enumerate(CLASS_NAMES)}
        if target_class.lower() not in lookup:
            raise ResandiError(
                f"unknown target class {target_class!r}", hint="choose one of " + ", ".join(CLASS_NAMES)
            )
        return lookup[target_class.lower()]
    index = int(target_class)
    if not 0 <= index < len(CLASS_NAMES):
        raise ResandiError(f"target class index {index} out of range", hint=f"use 0..{len(CLASS_NAMES) - 1}")
    return index


def _as_table(tracks: Tracks | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if isinstance(tracks, Tracks):
        return tracks.table, tracks.source
    return tracks, ""


def iter_classify(
    tracks: Tracks | pd.DataFrame,
    model: LoadedModel,
    *,
    device: str = "auto",
    batch_size: int | None = None,
    target_class: int | str | None = None,
    relu: bool = False,
    gradcam: bool = True,
    window_stride: int = DEFAULT_WINDOW_STRIDE,
) -> Generator[Progress, None, ClassificationResult]:
    """Classify every track; yield :class:`Progress` per batch, return the result.

    Parameters
    ----------
    tracks : Tracks or DataFrame
        Columns ``track_id, frame, x, y``.
    model : LoadedModel
    device : str
        ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
    batch_size : int, optional
        Windows per forward pass; default 256 on CPU, 1024 on a GPU.
    target_class : int, str or None
        Class whose Grad-CAM is computed; None (default) = each track's predicted class.
    relu : bool
        Clip negative Grad-CAM scores to 0.
    gradcam : bool
        Compute per-point Grad-CAM scores (cheap: no backward pass).
    window_stride : int
        Points between window starts for tracks longer than 1000 points.

    Returns
    -------
    ClassificationResult
        As the generator's return value (``result = yield from iter_classify(...)``).
    """
    (result,) = yield from iter_classify_many(
        [tracks], model, device=device, batch_size=batch_size, target_class=target_class, relu=relu, gradcam=gradcam,
        window_stride=window_stride,
    )
    if isinstance(result, BaseException):
        raise result
    return result


@dataclass
class _FileWindows:
    """One file's tracks cut into windows, before the network sees them."""

    tracks: Tracks | pd.DataFrame
    source: str
    prepared: list[PreparedTrack]
    #: (track index, start) of every window, in track order.
    windows: list[tuple[int, int]]


def _prepare_file(tracks: Tracks | pd.DataFrame, window_stride: int) -> _FileWindows:
    table, source = _as_table(tracks)
    missing_ids = int(table["track_id"].isna().sum())
    if missing_ids:
        raise ResandiError(
            f"{missing_ids} row(s) have no track_id",
            where=source or None,
            hint="give every detection a track id, or remove those rows",
        )
    prepared = [
        prepare_track(tid, group["frame"].to_numpy(), group["x"].to_numpy(), group["y"].to_numpy(), window_stride)
        for tid, group in table.groupby("track_id", sort=True)
    ]
    windows = [(i, start) for i, track in enumerate(prepared) for start in track.starts]
    return _FileWindows(tracks, source, prepared, windows)


def iter_classify_many(
    tracks_list: Sequence[Tracks | pd.DataFrame],
    model: LoadedModel,
    *,
    device: str = "auto",
    batch_size: int | None = None,
    target_class: int | str | None = None,
    relu: bool = False,
    gradcam: bool = True,
    window_stride: int = DEFAULT_WINDOW_STRIDE,
) -> Generator[Progress, None, list[ClassificationResult | ResandiError]]:
    """Classify the tracks of several files in shared batches; one result (or error) per file.

    Small files (a few dozen tracks each) fill the network's batches together, so a
    folder of them runs at the rate of one large file; every file's result is the
    same as :func:`iter_classify` of it alone. Options as :func:`iter_classify`.

    Returns
    -------
    list of ClassificationResult or ResandiError
        In the order of ``tracks_list``; a file that cannot be classified (rows
        without a track id) has its error in its place and does not stop the others.
    """
    target_index = class_index(target_class)
    if batch_size is not None and batch_size < 1:
        raise ResandiError(f"batch size must be at least 1, not {batch_size}")
    if not 1 <= window_stride <= INPUT_LENGTH:
        raise ResandiError(
            f"window stride must be between 1 and {INPUT_LENGTH} points, not {window_stride}",
            hint="a larger stride would leave points that no window sees",
        )
    files: list[_FileWindows | ResandiError] = []
    for tracks in tracks_list:
        try:
            files.append(_prepare_file(tracks, window_stride))
        except ResandiError as exc:
            files.append(exc)
    good = [f for f in files if isinstance(f, _FileWindows)]
    # Flat list of (file, track index, start) over all windows of all files.
    windows = [(f, i, start) for f in good for i, start in f.windows]
    total = len(windows)
    torch_device, device_reason = resolve_device(device)
    batch_size = batch_size or default_batch_size(torch_device)
    log.info("classifying %d tracks (%d windows) of %d file(s) on %s",
             sum(len(f.prepared) for f in good), total, len(good), device_reason)
    classifier = WindowClassifier.for_model(model, torch_device) if total else None
    logits = np.zeros((total, len(CLASS_NAMES)), dtype=np.float32)
    maps = np.zeros((total, len(CLASS_NAMES), 32), dtype=np.float32) if gradcam else None
    yield Progress(0, total)
    for begin in range(0, total, batch_size):
        chunk = windows[begin : begin + batch_size]
        inputs = np.stack([preprocess(f.prepared[i].positions[s : s + INPUT_LENGTH]) for f, i, s in chunk])
        batch_logits, batch_maps = classifier(inputs, gradcam)
        logits[begin : begin + len(chunk)] = batch_logits
        if maps is not None:
            maps[begin : begin + len(chunk)] = batch_maps
        yield Progress(begin + len(chunk), total)
    results: list[ClassificationResult | ResandiError] = []
    cursor = 0
    for item in files:
        if isinstance(item, ResandiError):
            results.append(item)
            continue
        rows = slice(cursor, cursor + len(item.windows))
        cursor += len(item.windows)
        results.append(_finish_file(item, logits[rows], None if maps is None else maps[rows], model,
                                    target_index, relu, device_reason))
    return results


def _finish_file(
    item: _FileWindows, logits: np.ndarray, maps: np.ndarray | None, model: LoadedModel,
    target_index: int | None, relu: bool, device_reason: str,
) -> ClassificationResult:
    """One file's result from its windows' logits and maps: calibration, tables, MSD fits and trust."""
    prepared = item.prepared
    noise = {track.track_id: estimate_noise(track.positions, ~track.interpolated.astype(bool))
             for track in prepared if len(track.starts)}
    # Each window gets its track's temperature, chosen by the track's estimated noise.
    window_noise = np.array([noise[prepared[i].track_id][1] for i, _ in item.windows], dtype=np.float64)
    temperatures = track_temperatures(model.config, window_noise)
    result = _assemble(prepared, logits, maps, item.source, target_index, relu, model.name, device_reason,
                       temperatures)
    result.tracks = _with_msd(result.tracks, item.tracks)
    result.tracks = trust_columns(result.tracks, noise, TrustRule.of_model(model.config))
    return result


def _with_msd(track_rows: pd.DataFrame, tracks: Tracks | pd.DataFrame) -> pd.DataFrame:
    """Append the MSD fit of each track (``alpha_msd, D_msd, msd_r2, msd_n_lags, D_msd_unit``).

    The classical numbers every SPT user checks first, next to the network's
    answer; computed on the tracks as read (gaps skipped by frame number, not
    interpolated), in µm and s when the calibration is known.
    """
    from .msd import FIT_COLUMNS, fit_msd

    if track_rows.empty:
        return track_rows.reindex(columns=[*track_rows.columns, *FIT_COLUMNS])
    fits = fit_msd(tracks)
    joined = fits.reindex(track_rows["track_id"].to_numpy())
    for column in FIT_COLUMNS:
        track_rows[column] = joined[column].to_numpy()
    track_rows["D_msd_unit"] = fits.attrs["D_msd_unit"]
    return track_rows


def _assemble(
    prepared: list[PreparedTrack],
    logits: np.ndarray,
    maps: np.ndarray | None,
    source: str,
    target_index: int | None,
    relu: bool,
    model_name: str,
    device_reason: str,
    temperature: float | np.ndarray = 1.0,
) -> ClassificationResult:
    # Calibrated (temperature-scaled) probabilities; the raw logits stay in the windows table.
    probabilities = calibrated_probabilities(logits, temperature)
    track_rows, point_parts, window_rows = [], [], []
    window_cursor = 0
    for i, track in enumerate(prepared):
        n_windows = len(track.starts)
        row = {
            "file": source,
            "track_id": track.track_id,
            "n_points": track.n_points,
            "predicted_class": "",
            "confidence": np.nan,
            **dict.fromkeys(PROB_COLUMNS, np.nan),
            "gradcam_mean": np.nan,
            "status": track.status.value,
            "gradcam_mean_points": np.nan,
            "n_filled": track.n_filled,
            "n_windows": n_windows,
            "message": track.message,
        }
        if n_windows:
            rows = slice(window_cursor, window_cursor + n_windows)
            track_probs = probabilities[rows].mean(axis=0)
            predicted = int(np.argmax(track_probs))
            row.update(
                predicted_class=CLASS_NAMES[predicted],
                confidence=float(track_probs[predicted]),
                **dict(zip(PROB_COLUMNS, track_probs.tolist())),
            )
            for w, start in enumerate(track.starts):
                n_win = min(INPUT_LENGTH, len(track.frames) - start)
                win_probs = probabilities[window_cursor + w]
                window_rows.append(
                    {
                        "file": source,
                        "track_id": track.track_id,
                        "window": w,
                        "first_frame": int(track.frames[start]),
                        "last_frame": int(track.frames[start + n_win - 1]),
                        "n_points": n_win,
                        "predicted_class": CLASS_NAMES[int(np.argmax(win_probs))],
                        "confidence": float(win_probs.max()),
                        **dict(zip(PROB_COLUMNS, win_probs.tolist())),
                        **dict(zip(LOGIT_COLUMNS, logits[window_cursor + w].tolist())),
                    }
                )
            if maps is not None:
                target = predicted if target_index is None else target_index
                scores = stitch_scores(track.starts, len(track.frames), maps[rows, target], relu)
                # REFERENCE.md: the mean over all 1000 upsampled values, padding
                # included (what the paper ranks trajectories by); windows averaged.
                full = upsample(maps[rows, target].astype(np.float64))
                row["gradcam_mean"] = float((np.maximum(full, 0) if relu else full).mean())
                row["gradcam_mean_points"] = float(scores.mean())
                point_parts.append((track.track_id, track.frames, scores, track.interpolated))
            window_cursor += n_windows
        track_rows.append(row)
    window_columns = ["file", "track_id", "window", "first_frame", "last_frame", "n_points", "predicted_class", "confidence", *PROB_COLUMNS, *LOGIT_COLUMNS]
    return ClassificationResult(
        tracks=pd.DataFrame(track_rows, columns=TRACK_COLUMNS),
        gradcam=_points_table(point_parts, source),
        windows=pd.DataFrame(window_rows, columns=window_columns),
        device=device_reason,
        model_name=model_name,
        target="predicted" if target_index is None else CLASS_NAMES[target_index],
        relu=relu,
        window_maps=maps,
    )


def _points_table(parts: list[tuple[object, np.ndarray, np.ndarray, np.ndarray]], source: str) -> pd.DataFrame:
    """One DataFrame from (track_id, frames, scores, interpolated) per track, built once."""
    columns = ["file", "track_id", "frame", "score", "interpolated"]
    if not parts:
        return pd.DataFrame(columns=columns)
    ids, frames, scores, filled = zip(*parts)
    lengths = [len(f) for f in frames]
    return pd.DataFrame(
        {
            "file": source,
            "track_id": np.repeat(pd.Index(list(ids)).to_numpy(), lengths),
            "frame": np.concatenate(frames),
            "score": np.concatenate(scores),
            "interpolated": np.concatenate(filled).astype(np.int8),
        },
        columns=columns,
    )


def stitch_scores(starts: list[int], n_total: int, window_maps: np.ndarray, relu: bool) -> np.ndarray:
    """Per-point scores of a track: the mean over the windows that contain each point.

    Parameters
    ----------
    starts : list of int
        Index of each window's first point in the (gap-filled) track.
    n_total : int
        Points of the gap-filled track.
    window_maps : ndarray, shape (n_windows, 32)
        The target class's map of each window.
    relu : bool
        Clip negative scores to 0.

    Returns
    -------
    ndarray, shape (n_total,), float64
    """
    total = np.zeros(n_total)
    count = np.zeros(n_total)
    for start, map_k in zip(starts, window_maps):
        n_win = min(INPUT_LENGTH, n_total - start)
        total[start : start + n_win] += point_scores(map_k, n_win, relu)
        count[start : start + n_win] += 1
    return total / count


def classify_tracks(
    tracks: Tracks | pd.DataFrame,
    model: LoadedModel,
    progress: Callable[[Progress], None] | None = None,
    **options,
) -> ClassificationResult:
    """Run :func:`iter_classify` to completion; ``progress`` is called with each event.

    Keyword options are those of :func:`iter_classify`.
    """
    return run_job(iter_classify(tracks, model, **options), progress)
