"""Reading TIFF movies and linking their particles: against trackpy itself and synthetic movies."""

from __future__ import annotations

import multiprocessing
import threading
import time

import numpy as np
import pandas as pd
import pytest
import tifffile

from resandi_core.io.stacks import StackError, StackReader, parse_frames
from resandi_core.linking import (
    LinkingError,
    LinkingParams,
    LinkProgress,
    iter_link,
    link_stack,
    locate_preview,
    run_link,
)

#: Parameters that find the spots of :func:`spots_movie`.
SPOT_PARAMS = LinkingParams(diameter=7, minmass=300, search_range=4, memory=0, min_length=10)


def spots_movie(
    n_frames: int = 30,
    shape: tuple[int, int] = (64, 96),
    seed: int = 0,
    step_px: float = 0.5,
    drift_px: tuple[float, float] = (0.0, 0.0),
    dtype=np.uint16,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Bright Gaussian spots (sigma 1.5 px) random-walking on a noisy background.

    Spots start on a grid 24 px apart so they never meet; ``drift_px`` (x, y) per
    frame is added to all of them.

    Returns
    -------
    movie : ndarray, shape (n_frames, height, width)
    truth : DataFrame
        ``spot, frame, x, y`` in px.
    """
    rng = np.random.default_rng(seed)
    height, width = shape
    starts = np.array([(x, y) for y in range(16, height - 12, 24) for x in range(16, width - 12, 24)], dtype=float)
    steps = rng.normal(0, step_px, size=(n_frames, len(starts), 2))
    steps[0] = 0
    positions = starts + np.cumsum(steps, axis=0) + np.arange(n_frames)[:, None, None] * np.asarray(drift_px)
    yy, xx = np.mgrid[0:height, 0:width]
    movie = 20 + rng.normal(0, 2, size=(n_frames, height, width))
    for t in range(n_frames):
        for x, y in positions[t]:
            movie[t] += 400 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2))
    truth = pd.DataFrame(
        {
            "spot": np.tile(np.arange(len(starts)), n_frames),
            "frame": np.repeat(np.arange(n_frames), len(starts)),
            "x": positions[..., 0].ravel(),
            "y": positions[..., 1].ravel(),
        }
    )
    return np.clip(movie, 0, np.iinfo(dtype).max).astype(dtype), truth


def assert_tracks_follow(table: pd.DataFrame, truth: pd.DataFrame, tolerance_px: float = 0.3) -> None:
    """Each true spot is one track whose every position lies within tolerance."""
    assert table.track_id.nunique() == truth.spot.nunique()
    for _, track in table.groupby("track_id"):
        first = track.iloc[0]
        at_first = truth[truth.frame == first.frame]
        spot = at_first.spot.iloc[np.argmin(np.hypot(at_first.x - first.x, at_first.y - first.y))]
        expected = truth[truth.spot == spot].set_index("frame").loc[track.frame]
        error = np.hypot(track.x.to_numpy() - expected.x.to_numpy(), track.y.to_numpy() - expected.y.to_numpy())
        assert error.max() < tolerance_px, (spot, error.max())



@pytest.fixture(scope="module")
def spots(tmp_path_factory):
    """A plain multi-page TIFF of spots (uncompressed, contiguous) and its truth."""
    movie, truth = spots_movie()
    path = tmp_path_factory.mktemp("stacks") / "spots.tif"
    tifffile.imwrite(path, movie)
    return path, movie, truth


# -- against trackpy ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The invert argument:PendingDeprecationWarning")
def test_bulk_water_matches_trackpy(bulk_water):
    """Our locate + link of frames 0:40 gives trackpy's tracks, up to particle numbers."""
    import trackpy

    params = LinkingParams(diameter=11, minmass=20, invert=True, search_range=5, memory=3, min_length=25)
    result = run_link(iter_link(bulk_water, params, frames=(0, 40), processes=2))

    trackpy.quiet()
    frames = tifffile.imread(bulk_water)[:40]
    features = trackpy.batch(frames, 11, minmass=20, invert=True, processes=1)
    linked = trackpy.link(features, 5, memory=3)
    expected = trackpy.filter_stubs(linked, 25).reset_index(drop=True)

    ours = result.tracks.table
    assert result.n_features == len(features)
    assert result.n_tracks_linked == linked.particle.nunique()
    assert result.n_tracks_kept == ours.track_id.nunique() == expected.particle.nunique()
    assert len(ours) == len(expected)
    key = ["frame", "x", "y"]
    ours_sorted = ours.sort_values(key).reset_index(drop=True)
    expected_sorted = expected.sort_values(key).reset_index(drop=True)
    for column in ["frame", "x", "y", "mass", "size", "ecc", "signal"]:
        np.testing.assert_array_equal(ours_sorted[column].to_numpy(), expected_sorted[column].to_numpy())
    # Same tracks: the id pairs form a one-to-one map.
    pairs = set(zip(ours_sorted.track_id, expected_sorted.particle))
    assert len(pairs) == ours.track_id.nunique()
    assert result.tracks.position_unit == "px"
    assert result.tracks.pixel_size_um is None and result.tracks.frame_interval_s is None


def test_one_process_equals_several(spots):
    path, _, _ = spots
    one = link_stack(path, SPOT_PARAMS, processes=1).table
    two = link_stack(path, SPOT_PARAMS, processes=2).table
    pd.testing.assert_frame_equal(one, two)


# -- synthetic movies -----------------------------------------------------------------------


def test_spots_are_tracked(spots):
    path, _, truth = spots
    events: list[LinkProgress] = []
    result = run_link(iter_link(path, SPOT_PARAMS, processes=2), events.append)
    table = result.tracks.table
    assert list(table.columns[:4]) == ["track_id", "frame", "x", "y"]
    assert {"mass", "size", "ecc", "signal"} <= set(table.columns)
    assert table.frame.dtype == np.int64 and table.x.dtype == np.float64
    assert_tracks_follow(table, truth)
    assert result.n_frames == 30 and result.n_tracks_kept == truth.spot.nunique()
    stages = [e.stage for e in events]
    assert stages == sorted(stages, key=["locate", "link", "filter"].index)
    for stage in ("locate", "link"):
        done = [e.done for e in events if e.stage == stage]
        assert done == sorted(done) and done[-1] == 30
    assert events[0] == LinkProgress(0, 30, "locate") and events[-1] == LinkProgress(1, 1, "filter", result.n_features)
    assert "kept with >= 10 detections" in result.summary()


def test_frames_slice_keeps_file_frame_numbers(spots):
    path, _, truth = spots
    table = link_stack(path, SPOT_PARAMS, frames="5:25", processes=1).table
    assert table.frame.min() == 5 and table.frame.max() == 24
    assert_tracks_follow(table, truth)


def test_min_length_filter(spots):
    path, _, _ = spots
    params = SPOT_PARAMS.to_dict()
    result = run_link(iter_link(path, LinkingParams(**{**params, "min_length": 15}), frames=(0, 20), processes=1))
    assert result.n_tracks_kept == result.n_tracks_linked == 6
    assert result.tracks.table.groupby("track_id").size().min() >= 15
    with pytest.raises(LinkingError, match="no track has 25 detections") as caught:
        link_stack(path, LinkingParams(**{**params, "min_length": 25}), frames=(0, 20), processes=1)
    assert "--min-length" in caught.value.hint


def test_drift_is_subtracted(tmp_path):
    movie, truth = spots_movie(drift_px=(0.4, -0.2), step_px=0.2, seed=3)
    path = tmp_path / "drift.tif"
    tifffile.imwrite(path, movie)
    params = LinkingParams(**{**SPOT_PARAMS.to_dict(), "subtract_drift": True})
    result = run_link(iter_link(path, params, processes=1))
    table = result.tracks.table
    assert_tracks_follow(table.assign(x=table.x_raw, y=table.y_raw), truth)
    # The drift found is the one put in (the random steps average out over 6 spots).
    slope = np.polyfit(result.drift.index, result.drift[["x", "y"]].to_numpy(), 1)[0]
    np.testing.assert_allclose(slope, [0.4, -0.2], atol=0.05)
    np.testing.assert_allclose(table.x_raw - table.x, result.drift.loc[table.frame, "x"].to_numpy())


def test_hyperstack_picks_channel_and_z(tmp_path):
    """ImageJ TZCYX and OME-TIFF: the chosen plane is read, calibration comes from the file."""
    movie, truth = spots_movie(n_frames=20)
    decoy, _ = spots_movie(n_frames=20, seed=7, step_px=3.0)
    data = np.repeat(np.repeat(decoy[:, None, None], 3, axis=1), 2, axis=2)  # T Z C Y X
    data[:, 2, 1] = movie
    imagej = tmp_path / "hyper.tif"
    tifffile.imwrite(imagej, data, imagej=True, resolution=(1 / 0.16, 1 / 0.16),
                     metadata={"axes": "TZCYX", "finterval": 0.05, "unit": "um"})
    ome = tmp_path / "hyper.ome.tif"
    tifffile.imwrite(ome, data, ome=True, compression="zlib",
                     metadata={"axes": "TZCYX", "PhysicalSizeX": 160, "PhysicalSizeXUnit": "nm",
                               "TimeIncrement": 50, "TimeIncrementUnit": "ms"})
    for path in (imagej, ome):
        with StackReader(path, channel=1, z=2) as reader:
            assert reader.axes == "TZCYX" and reader.shape == (20, 64, 96)
            assert reader.contiguous == (path == imagej)
            np.testing.assert_array_equal(np.stack(list(reader)), movie)
        tracks = link_stack(path, SPOT_PARAMS, channel=1, z=2, processes=2)
        assert_tracks_follow(tracks.table, truth)
        assert tracks.pixel_size_um == pytest.approx(0.16)
        assert tracks.frame_interval_s == pytest.approx(0.05)
    # The user's calibration wins over the file's.
    tracks = link_stack(imagej, SPOT_PARAMS, channel=1, z=2, processes=1, pixel_size_um=0.2, frame_interval_s=0.1)
    assert (tracks.pixel_size_um, tracks.frame_interval_s) == (0.2, 0.1)


def test_contiguous_reads_match_tifffile(tmp_path):
    movie, _ = spots_movie(n_frames=6)
    big_endian = tmp_path / "be.tif"
    tifffile.imwrite(big_endian, movie.astype(">u2"), byteorder=">")
    compressed = tmp_path / "zlib.tif"
    tifffile.imwrite(compressed, movie, compression="zlib")
    with StackReader(big_endian) as reader:
        assert reader.contiguous and reader.dtype == np.dtype("uint16")
        frame = reader.read(4)
        assert frame.dtype.isnative
        np.testing.assert_array_equal(frame, movie[4])
        np.testing.assert_array_equal(reader.memmap()[4], movie[4])
    with StackReader(compressed, frames=(-3, None)) as reader:
        assert not reader.contiguous and reader.memmap() is None
        assert list(reader.frame_numbers) == [3, 4, 5]
        np.testing.assert_array_equal(np.stack(list(reader)), movie[3:])


def test_rgb_becomes_gray_or_one_colour(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, size=(3, 16, 20, 3), dtype=np.uint8)
    path = tmp_path / "rgb.tif"
    tifffile.imwrite(path, rgb, photometric="rgb")
    with StackReader(path) as reader:
        gray = reader.read(1)
        assert gray.dtype == np.float32 and gray.shape == (16, 20)
        np.testing.assert_allclose(gray, rgb[1] @ np.array([0.299, 0.587, 0.114]), rtol=1e-5)
    with StackReader(path, channel=1) as reader:
        np.testing.assert_array_equal(reader.read(2), rgb[2, :, :, 1])


def test_no_calibration_stays_none(spots):
    path, _, _ = spots
    tracks = link_stack(path, SPOT_PARAMS, processes=1)
    assert tracks.pixel_size_um is None and tracks.frame_interval_s is None


def test_locate_preview(spots):
    _, movie, truth = spots
    features = locate_preview(movie[3], SPOT_PARAMS)
    assert len(features) == truth.spot.nunique()
    assert {"x", "y", "mass"} <= set(features.columns)


# -- cancelling -------------------------------------------------------------------------------


def test_closing_the_job_stops_the_workers(tmp_path):
    movie, _ = spots_movie(n_frames=40)
    path = tmp_path / "long.tif"
    tifffile.imwrite(path, np.concatenate([movie] * 10))  # 400 frames
    job = iter_link(path, SPOT_PARAMS, processes=2)
    assert next(job).done == 0
    event = next(job)
    assert event.stage == "locate" and event.done < 400
    started = time.perf_counter()
    job.close()
    assert time.perf_counter() - started < 5
    assert multiprocessing.active_children() == []
    with pytest.raises(StopIteration):
        next(job)
    # Closing while linking stops too.
    job = iter_link(path, SPOT_PARAMS, frames=(0, 100), processes=1)
    while next(job).stage != "link":
        pass
    job.close()
    with pytest.raises(StopIteration):
        next(job)


@pytest.mark.slow
def test_workers_start_safely_beside_threads(spots):
    """With other threads running (a GUI), workers come from the fork server; same tracks."""
    path, _, truth = spots
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        table = link_stack(path, SPOT_PARAMS, processes=2).table
    finally:
        stop.set()
        other.join()
    assert_tracks_follow(table, truth)


# -- errors ------------------------------------------------------------------------------------


def test_errors_name_the_file_and_the_fix(tmp_path, spots):
    path, movie, _ = spots
    text = tmp_path / "notes.tif"
    text.write_text("not an image")
    single = tmp_path / "single.tif"
    tifffile.imwrite(single, movie[0])
    hyper = tmp_path / "hyper.tif"
    tifffile.imwrite(hyper, np.stack([movie[:4]] * 2, axis=1), imagej=True, metadata={"axes": "TCYX"})
    cases = [
        (dict(path=tmp_path / "missing.tif"), "file not found"),
        (dict(path=text), "not a readable TIFF"),
        (dict(path=single), "single image"),
        (dict(path=hyper), "2 channels"),
        (dict(path=hyper, channel=2), "channel 2 does not exist"),
        (dict(path=hyper, channel=0, z=1), "z-plane 1 does not exist"),
        (dict(path=path, frames=(40, 50)), "selects no frame"),
        (dict(path=path, frames=(3, 4)), "at least 2"),
    ]
    for kwargs, message in cases:
        target = kwargs.pop("path")
        with pytest.raises(StackError) as caught:
            link_stack(target, SPOT_PARAMS, processes=1, **kwargs)
        assert message in str(caught.value)
        assert str(target) in str(caught.value) and caught.value.hint


def test_bad_parameters_and_empty_results(spots):
    path, _, _ = spots
    with pytest.raises(LinkingError, match="odd"):
        link_stack(path, LinkingParams(diameter=8))
    with pytest.raises(LinkingError, match="adaptive stop"):
        link_stack(path, LinkingParams(adaptive_stop=9, search_range=5))
    with pytest.raises(LinkingError, match="no particle found") as caught:
        link_stack(path, LinkingParams(diameter=7, minmass=1e9), processes=1)
    assert "--minmass" in caught.value.hint
    with pytest.raises(StackError, match="START:STOP"):
        parse_frames("5-10")
    assert parse_frames("5:") == (5, None) and parse_frames(":-2") == (None, -2) and parse_frames(None) is None


def _segfault(task):
    """A locate task that crashes its worker, as a damaged frame can crash a decoder."""
    import faulthandler
    import os
    import signal

    faulthandler.disable()
    os.kill(os.getpid(), signal.SIGSEGV)


def _stall(task):
    """A locate task that never ends, as a decoder stuck on a damaged frame."""
    import time

    time.sleep(600)


@pytest.mark.parametrize("task, budget_s, message", [
    (_segfault, None, "worker process locating particles crashed"),  # the pool would wait on its lost task
    (_stall, "2", "longer than the budget of 2 s"),  # the stuck workers are terminated, not waited for
])
def test_a_crashing_or_stalled_locate_worker_is_an_error_not_a_hang(tmp_path, monkeypatch, task, budget_s, message):
    import multiprocessing
    import time

    import tifffile

    import resandi_core.linking.locate as locate
    from resandi_core.errors import LinkingError
    from resandi_core.linking import LinkingParams, link_stack

    rng = np.random.default_rng(0)
    path = tmp_path / "movie.tif"
    tifffile.imwrite(path, (rng.random((8, 32, 32)) * 100).astype(np.uint8))
    monkeypatch.setattr(locate, "_pool_context", lambda: multiprocessing.get_context("fork"))
    monkeypatch.setattr(locate, "_locate_chunk", task)
    if budget_s:
        monkeypatch.setenv("RESANDI_LOCATE_TIMEOUT_S", budget_s)
    started = time.perf_counter()
    with pytest.raises(LinkingError, match=message) as error:
        link_stack(path, LinkingParams(diameter=5), processes=2)
    assert str(path) in str(error.value) and time.perf_counter() - started < 30
