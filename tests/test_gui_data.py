"""The Data view: a TIFF movie frame by frame, the live spot preview, linking and cancelling.

Driven offscreen with pytest-qt on the shared ``bulk_water.tif`` (dark beads on a
bright background), with a real :class:`JobRunner`, so linking runs in its thread
and worker processes exactly as in the app.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from resandi_core.io.stacks import StackReader
from resandi_core.linking import LinkingParams, LinkResult, iter_link, locate_preview, run_link
from resandi_core.settings import Settings
from resandi_core.tracks import Tracks

pytestmark = pytest.mark.gui

#: Parameters for a 40-frame slice of bulk_water (tracks of >= 10 detections).
PARAMS = LinkingParams(diameter=11, minmass=20, invert=True, search_range=5, min_length=10)
LINK_TIMEOUT_MS = 180_000
PREVIEW_TIMEOUT_MS = 30_000  # the first preview imports trackpy



@pytest.fixture
def data_view(qtbot, bulk_water):
    """``(panel, runner, session, entry)``: bulk_water shown in a DataPanel."""
    from resandi_gui.panels.data_panel import DataPanel
    from resandi_gui.session import KIND_MOVIE, Session, SessionFile
    from resandi_gui.workers import JobRunner

    runner, session = JobRunner(), Session()
    panel = DataPanel(runner, session, Settings(linking=PARAMS.to_dict()))
    qtbot.addWidget(panel)
    panel.resize(1200, 760)
    panel.show()
    entry = session.add(SessionFile(bulk_water, KIND_MOVIE))
    panel.show_file(entry)
    yield panel, runner, session, entry
    if runner.busy:
        with qtbot.waitSignal(runner.stopped, timeout=LINK_TIMEOUT_MS):
            runner.cancel()
    panel.shutdown()  # no preview thread may outlive the widget


def wait_for_preview(qtbot, panel, frame: int, params: LinkingParams) -> None:
    """Until the preview shown is for ``frame`` with ``params``."""
    qtbot.waitUntil(lambda: panel.preview_frame == frame and panel.preview_params == params,
                    timeout=PREVIEW_TIMEOUT_MS)


def tracks_only_entry(tmp_path: Path):
    from resandi_gui.session import KIND_TRACKS, SessionFile

    table = pd.DataFrame({"track_id": np.repeat([1, 2], 20), "frame": np.tile(np.arange(20), 2),
                          "x": np.r_[np.linspace(0, 5, 20), np.linspace(10, 12, 20)],
                          "y": np.r_[np.linspace(0, 2, 20), np.linspace(8, 3, 20)]})
    tracks = Tracks(table=table, source="tracks.csv", position_unit="µm")
    return SessionFile(tmp_path / "tracks.csv", KIND_TRACKS, tracks=tracks)


def movie_tracks(pixel_size_um: float | None = 0.1, frame_interval_s: float | None = 0.05) -> Tracks:
    """Two short tracks in px on bulk_water's frame, as a link would give them."""
    table = pd.DataFrame({"track_id": np.repeat([1, 2], 20), "frame": np.tile(np.arange(20), 2),
                          "x": np.r_[np.linspace(100, 120, 20), np.linspace(300, 310, 20)],
                          "y": np.r_[np.linspace(50, 60, 20), np.linspace(200, 180, 20)]})
    return Tracks(table=table, source="bulk_water.tif", position_unit="px",
                  pixel_size_um=pixel_size_um, frame_interval_s=frame_interval_s)


@pytest.fixture
def fake_link(monkeypatch):
    """Replace ``iter_link`` by an instant one; returns the list of its calls ``(path, params, kwargs)``."""
    calls = []

    def iter_link(path, params=None, **kwargs):
        calls.append((path, params, kwargs))
        tracks = movie_tracks(kwargs.get("pixel_size_um"), kwargs.get("frame_interval_s"))
        return LinkResult(tracks=tracks, n_frames=20, n_features=40, n_tracks_linked=2, n_tracks_kept=2,
                          params=params)
        yield  # a generator, as the real one

    monkeypatch.setattr("resandi_core.linking.iter_link", iter_link)
    return calls


def calibrated_tiff(path: Path, pixel_size_um: float = 0.25, frame_interval_s: float = 0.1) -> Path:
    """A small ImageJ movie whose metadata give its calibration."""
    import tifffile

    frames = np.random.default_rng(0).integers(0, 200, (5, 32, 48), dtype=np.uint8)
    tifffile.imwrite(path, frames, imagej=True, resolution=(1 / pixel_size_um, 1 / pixel_size_um),
                     metadata={"unit": "um", "finterval": frame_interval_s, "axes": "TYX"})
    return path


def test_panel_prefills_parameters_and_frames(data_view):
    panel, runner, _, entry = data_view
    assert panel.linking_params() == PARAMS
    assert panel.linking_panel.frame_range() == (0, 300)
    assert panel.link_button.isEnabled() and not runner.busy
    assert panel.current_frame == 0


def test_frame_slider_shows_that_frame_read_lazily(data_view, bulk_water):
    panel, *_ = data_view
    view = panel.movie_view
    with StackReader(bulk_water) as reader:
        for frame in (17, 250, 0):
            view.slider.setValue(frame)
            assert panel.current_frame == frame == view.spin.value()
            np.testing.assert_array_equal(view.current_image, reader.read(frame))
        assert view.current_image.shape == (424, 640)  # one frame held, never the stack
    panel.set_frame(42)
    assert view.slider.value() == 42 and "/ 300" in view.frame_label.text()


def test_levels_stay_put_across_frames(data_view):
    panel, *_ = data_view
    levels = tuple(panel.movie_view.image_item.getLevels())
    panel.set_frame(200)
    assert tuple(panel.movie_view.image_item.getLevels()) == levels


def test_live_preview_finds_the_spots_of_locate_preview(qtbot, data_view, bulk_water):
    panel, *_ = data_view
    panel.set_frame(3)
    wait_for_preview(qtbot, panel, 3, PARAMS)
    with StackReader(bulk_water) as reader:
        expected = locate_preview(reader.read(3), PARAMS)
    assert panel.preview_count == len(expected) > 100
    pd.testing.assert_frame_equal(panel.preview_spots.reset_index(drop=True), expected.reset_index(drop=True))
    assert f"{len(expected)} spots" in panel.linking_panel.preview_label.text()
    drawn = panel.movie_view._spot_item.getData()
    np.testing.assert_allclose(np.sort(drawn[0]), np.sort(expected["x"].to_numpy() + 0.5))  # pixel centres


def test_changing_minmass_changes_the_preview_and_is_reported(qtbot, data_view, bulk_water):
    panel, *_ = data_view
    wait_for_preview(qtbot, panel, 0, PARAMS)
    before = panel.preview_count
    brighter = LinkingParams(**{**PARAMS.to_dict(), "minmass": 300.0})
    with qtbot.waitSignal(panel.linking_changed) as edited:
        panel.linking_panel.minmass.setValue(300)
    assert edited.args[0]["minmass"] == 300 and panel.entry.linking["minmass"] == 300
    wait_for_preview(qtbot, panel, 0, brighter)
    with StackReader(bulk_water) as reader:
        assert panel.preview_count == len(locate_preview(reader.read(0), brighter)) < before


def test_diameter_accepts_odd_numbers_only(data_view):
    from PySide6.QtGui import QValidator

    spin = data_view[0].linking_panel.diameter
    assert spin.validate("12", 2) == QValidator.State.Intermediate
    assert spin.fixup("12") == "13"
    assert spin.validate("13", 2) == QValidator.State.Acceptable


@pytest.mark.slow
def test_link_matches_iter_link_and_lands_on_its_own_entry(qtbot, data_view, bulk_water, tmp_path):
    panel, runner, session, entry = data_view
    panel.linking_panel.set_frame_range(0, 39)
    assert panel.linking_panel.frame_range() == (0, 40)
    other = tracks_only_entry(tmp_path)
    entry.result, entry.model = object(), object()  # a classification of earlier tracks
    with qtbot.waitSignal(runner.stopped, timeout=LINK_TIMEOUT_MS):
        panel.link_button.click()
        assert runner.busy and not panel.link_button.isEnabled()
        panel.show_file(other)  # the user looks at another file while the movie links
    assert panel.entry is other and other.link_result is None
    assert entry.link_result is not None and entry.linking == PARAMS.to_dict()
    assert entry.result is None and entry.model is None  # never joined to the new tracks

    expected = run_link(iter_link(bulk_water, PARAMS, frames=(0, 40), processes=1))
    got = entry.tracks.table
    assert entry.tracks.n_tracks == expected.tracks.n_tracks > 100
    assert got["frame"].max() == 39
    columns = ["track_id", "frame", "x", "y", "mass"]
    pd.testing.assert_frame_equal(got[columns], expected.tracks.table[columns], check_exact=False, rtol=1e-9)

    panel.show_file(entry)
    assert panel.link_button.isEnabled()
    assert f"{expected.n_tracks_kept} tracks kept" in panel.linking_panel.summary.text()
    panel.set_frame(35)
    x, y, connect = (np.concatenate(parts) for parts in zip(*panel.movie_view._tails.tails(35)))
    assert len(x) > 1000 and connect.any()  # tails of the tracks alive at frame 35
    panel.highlight_track(int(got["track_id"].iloc[0]))
    assert len(panel.movie_view._highlight.getData()[0]) == (got["track_id"] == got["track_id"].iloc[0]).sum()


@pytest.mark.slow
def test_cancel_leaves_the_movie_unlinked(qtbot, data_view):
    panel, runner, _, entry = data_view
    with qtbot.waitSignal(runner.progress, timeout=LINK_TIMEOUT_MS,
                          check_params_cb=lambda event: event.done > 0):
        panel.link_button.click()  # all 300 frames: far from done when cancelled
    with qtbot.waitSignal(runner.cancelled, timeout=LINK_TIMEOUT_MS):
        runner.cancel()
    qtbot.waitUntil(lambda: not runner.busy)
    assert entry.tracks is None and entry.link_result is None
    assert panel.link_button.isEnabled()


def test_tracks_file_shows_tracks_on_a_blank_canvas(data_view, tmp_path):
    panel, *_ = data_view
    other = tracks_only_entry(tmp_path)
    panel.show_file(other)
    assert "tracks only" in panel.movie_view.note.text()
    assert panel.movie_view.current_image is None and not panel.link_button.isEnabled()
    assert panel.movie_view.slider.maximum() == 19
    panel.set_frame(10)
    x, _, _ = (np.concatenate(parts) for parts in zip(*panel.movie_view._tails.tails(10)))
    assert len(x) == 22  # frames 0-10 of two tracks
    panel.show_file(None)
    assert not panel.link_button.isEnabled()


def test_unusable_saved_parameters_fall_back_to_defaults(qtbot):
    from resandi_gui.panels.data_panel import DataPanel
    from resandi_gui.session import Session
    from resandi_gui.workers import JobRunner

    panel = DataPanel(JobRunner(), Session(), Settings(linking={"diameter": "eleven", "minmass": None}))
    qtbot.addWidget(panel)
    assert panel.linking_params() == LinkingParams()
    panel.shutdown()


def test_link_passes_link_request_and_drops_the_old_classification(qtbot, data_view, fake_link):
    panel, runner, session, entry = data_view
    assert panel.link_request() == {"params": PARAMS, "frames": None, "channel": None, "z": None,
                                    "pixel_size_um": None, "frame_interval_s": None}  # the whole movie as the file says
    panel.linking_panel.set_frame_range(5, 19)
    panel.linking_panel.pixel_size.setValue(0.1)
    request = panel.link_request()
    assert request == {"params": PARAMS, "frames": (5, 20), "channel": None, "z": None, "pixel_size_um": 0.1,
                       "frame_interval_s": None}
    entry.result, entry.model = object(), object()
    with qtbot.waitSignals([session.file_changed, runner.stopped], timeout=10_000):
        panel.link_button.click()
    [(path, params, kwargs)] = fake_link
    assert path == entry.path and {"params": params, **kwargs} == request
    assert entry.result is None and entry.model is None
    assert entry.tracks is entry.link_result.tracks and entry.tracks.pixel_size_um == 0.1
    assert entry.linking == {**PARAMS.to_dict(), "pixel_size_um": 0.1}
    assert panel.movie_view._tails is not None  # drawn from DataPanel's own file_changed
    assert "2 tracks kept" in panel.linking_panel.summary.text()


def test_remembered_calibration_is_never_applied_to_another_movie(qtbot, bulk_water, tmp_path):
    from resandi_gui.panels.data_panel import DataPanel
    from resandi_gui.session import KIND_MOVIE, Session, SessionFile
    from resandi_gui.workers import JobRunner

    session = Session()
    panel = DataPanel(JobRunner(), session, Settings(linking=PARAMS.to_dict(), pixel_size_um=0.2,
                                                      frame_interval_s=0.05))
    qtbot.addWidget(panel)
    lp = panel.linking_panel
    try:
        entry = session.add(SessionFile(bulk_water, KIND_MOVIE))  # no calibration in the file
        panel.show_file(entry)
        assert lp.calibration() == (None, None) and lp.pixel_size.text() == "unknown"
        assert (panel.link_request()["pixel_size_um"], panel.link_request()["frame_interval_s"]) == (None, None)

        lp.frame_interval.setValue(0.02)  # typed for this movie: remembered with it
        assert entry.linking["frame_interval_s"] == 0.02 and "pixel_size_um" not in entry.linking
        assert LinkingParams.from_dict({**PARAMS.to_dict(), **entry.linking}) == PARAMS  # not a parameter
        calibrated = session.add(SessionFile(calibrated_tiff(tmp_path / "calibrated.tif"), KIND_MOVIE))
        panel.show_file(calibrated)
        assert lp.calibration() == pytest.approx((0.25, 0.1))  # the file's, not the other movie's
        assert lp.pixel_size.minimum() > 0  # no "unknown" that Link would turn into the file's value
        assert panel.link_request()["pixel_size_um"] is None  # the file's value applies
        panel.show_file(entry)
        assert lp.calibration() == (None, 0.02) and panel.link_request()["frame_interval_s"] == 0.02
        assert panel.movie_view._frame_interval_s == 0.02
    finally:
        panel.shutdown()


def test_editing_the_calibration_recalibrates_linked_tracks(data_view):
    panel, _, session, entry = data_view
    lp = panel.linking_panel
    session.replace_tracks(entry, movie_tracks(0.1, 0.05))
    assert lp.calibration() == (0.1, 0.05)  # the tracks' calibration is shown
    before, tails = entry.tracks, panel.movie_view._tails
    entry.result = object()
    lp.pixel_size.setValue(0.2)
    assert entry.tracks is not before and entry.tracks.table is before.table
    assert (entry.tracks.pixel_size_um, entry.tracks.frame_interval_s) == (0.2, 0.05)
    assert before.pixel_size_um == 0.1  # a copy: the old object is left alone
    assert entry.result is None  # computed with the old calibration
    assert entry.linking["pixel_size_um"] == 0.2 and panel.link_request()["pixel_size_um"] == 0.2
    assert panel.movie_view._pixel_size_um == 0.2
    assert panel.movie_view._tails is tails  # same positions: no redraw of the tails


def test_file_changed_rebuilds_tails_only_for_new_tracks(data_view):
    panel, _, session, entry = data_view
    session.replace_tracks(entry, movie_tracks())
    tails = panel.movie_view._tails
    assert tails is not None  # without show_file: the panel follows file_changed itself
    entry.result = object()
    session.changed(entry)  # a classification only
    assert panel.movie_view._tails is tails
    session.replace_tracks(entry, movie_tracks())
    assert panel.movie_view._tails is not tails


def test_each_movie_keeps_its_reader_frame_range_and_levels(data_view, tmp_path):
    panel, _, session, entry = data_view
    view = panel.movie_view
    reader = view.reader
    panel.set_frame(42)
    panel.linking_panel.set_frame_range(5, 20)
    view.image_item.setLevels((10, 100))
    other = session.add(tracks_only_entry(tmp_path))
    panel.show_file(other)
    assert view.reader is None and not reader._tif.filehandle.closed
    panel.show_file(entry)
    assert view.reader is reader  # not opened again
    assert panel.current_frame == 42 and panel.linking_panel.frame_range() == (5, 21)
    assert view.levels == (10, 100)
    np.testing.assert_array_equal(view.current_image, reader.read(42))
    session.remove(entry)
    assert reader._tif.filehandle.closed and entry not in panel.views and panel.entry is None


def test_shutdown_closes_every_movie(data_view):
    panel, *_ = data_view
    reader = panel.movie_view.reader
    panel.shutdown()
    assert reader._tif.filehandle.closed and not panel.views


def test_minmass_takes_small_values_of_float_movies(data_view):
    panel, *_ = data_view
    box = panel.linking_panel.minmass
    box.lineEdit().setText("0.0125")
    box.interpretText()
    assert panel.linking_params().minmass == 0.0125 and panel.entry.linking["minmass"] == 0.0125
    box.setValue(0.05)
    assert panel.linking_params().minmass == 0.05 and box.text() == "0.05"
    box.setValue(300)
    assert box.text() == "300"
    assert "intensity units × px" in box.toolTip()


# -- movies with several channels or z-planes ----------------------------------------

#: Parameters for the small synthetic hyperstacks: bright round spots on a dim, noisy background.
SPOT_PARAMS = LinkingParams(diameter=7, minmass=500, search_range=3, min_length=3)


def spot_frames(n_spots: int, seed: int, n_frames: int = 10, size: int = 64) -> np.ndarray:
    """``(n_frames, size, size)`` uint16: ``n_spots`` Gaussian spots (σ 1.5 px) drifting 0.3 px a frame."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(10, size - 14, (n_spots, 2))
    while n_spots > 1 and min(np.hypot(*(a - b)) for i, a in enumerate(centres) for b in centres[i + 1:]) < 12:
        centres = rng.uniform(10, size - 14, (n_spots, 2))  # well apart: one spot each, never merged
    yy, xx = np.mgrid[:size, :size]
    frames = rng.normal(100, 3, (n_frames, size, size))
    for t in range(n_frames):
        for x, y in centres + 0.3 * t:
            frames[t] += 1000 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5 ** 2))
    return frames.clip(0, 65535).astype(np.uint16)


def hyperstack(path: Path, axes: str = "TCYX", n_planes: int = 2) -> Path:
    """An ImageJ hyperstack of 10 frames 64×64 (axes ``TCYX`` or ``TZYX``); plane k has k + 2 spots."""
    import tifffile

    planes = [spot_frames(k + 2, seed=k) for k in range(n_planes)]
    tifffile.imwrite(path, np.stack(planes, axis=1), imagej=True, metadata={"axes": axes})
    return path


@pytest.fixture
def show_movie(qtbot):
    """A factory: ``show_movie(path)`` -> ``(panel, runner, session, entry)`` with ``path`` shown."""
    from resandi_gui.panels.data_panel import DataPanel
    from resandi_gui.session import KIND_MOVIE, Session, SessionFile
    from resandi_gui.workers import JobRunner

    shown = []

    def show(path: Path):
        runner, session = JobRunner(), Session()
        panel = DataPanel(runner, session, Settings(linking=SPOT_PARAMS.to_dict()))
        qtbot.addWidget(panel)
        panel.resize(1000, 700)
        panel.show()
        entry = session.add(SessionFile(path, KIND_MOVIE, linking=SPOT_PARAMS.to_dict()))
        panel.show_file(entry)
        shown.append((panel, runner))
        return panel, runner, session, entry

    yield show
    for panel, runner in shown:
        if runner.busy:
            with qtbot.waitSignal(runner.stopped, timeout=LINK_TIMEOUT_MS):
                runner.cancel()
        panel.shutdown()


def shown(panel, box) -> bool:
    """Whether a box of the linking panel is shown (its form row visible)."""
    return box.isVisibleTo(panel)


def test_movies_with_several_channels_or_planes_open_with_the_first(tmp_path):
    from resandi_core.batch import iter_read_files
    from resandi_core.io.planes import PlaneChoice, choose_planes
    from resandi_core.io.stacks import StackError
    from resandi_core.progress import run_job

    channels = hyperstack(tmp_path / "channels.tif")
    planes = hyperstack(tmp_path / "planes.tif", "TZYX", 3)
    single = calibrated_tiff(tmp_path / "single.tif")
    with pytest.raises(StackError, match="2 channels"):
        StackReader(channels)  # why the app must choose: the reader refuses to guess
    outcomes = run_job(iter_read_files([channels, planes, single]))
    assert [o.failure for o in outcomes] == [None, None, None]
    assert choose_planes(channels) == PlaneChoice(channel=0, z=None, n_channels=2, n_z=1)
    assert choose_planes(planes) == PlaneChoice(channel=None, z=0, n_channels=1, n_z=3)
    assert choose_planes(single) == PlaneChoice()
    assert choose_planes(channels, 1).channel == 1 and choose_planes(planes, z=2).z == 2
    # What is not an index of this movie (a hand-edited session) falls back to the first.
    assert [choose_planes(channels, bad).channel for bad in (2, -1, "1", True, 1.0)] == [0] * 5
    assert choose_planes(single, 1, 1) == PlaneChoice()  # one channel: nothing to choose
    assert choose_planes(tmp_path / "missing.tif") == PlaneChoice()  # opening it says why


def test_channel_box_switches_the_frames_shown_and_the_preview(qtbot, show_movie, tmp_path):
    path = hyperstack(tmp_path / "channels.tif")
    panel, _, session, entry = show_movie(path)
    lp, view = panel.linking_panel, panel.movie_view
    assert shown(panel, lp.channel) and not shown(panel, lp.z_plane)
    assert (lp.channel.minimum(), lp.channel.maximum(), lp.channel.value()) == (0, 1, 0)
    assert "2 channels" in lp.note.text() and "channel 0 (the first, by default)" in lp.note.text()
    assert panel.link_request()["channel"] == 0 and panel.link_request()["z"] is None
    with StackReader(path, channel=0) as first, StackReader(path, channel=1) as second:
        np.testing.assert_array_equal(view.current_image, first.read(0))
        panel.set_frame(4)
        wait_for_preview(qtbot, panel, 4, SPOT_PARAMS)
        assert panel.preview_count == len(locate_preview(first.read(4), SPOT_PARAMS)) == 2

        old_reader = view.reader
        lp.channel.setValue(1)
        assert entry.linking["channel"] == 1 and view.reader.channel == 1 and old_reader._tif.filehandle.closed
        assert panel.current_frame == 4  # the frame stays; only the plane changes
        np.testing.assert_array_equal(view.current_image, second.read(4))
        assert not np.array_equal(second.read(4), first.read(4))
        wait_for_preview(qtbot, panel, 4, SPOT_PARAMS)
        expected = locate_preview(second.read(4), SPOT_PARAMS)
        assert panel.preview_count == len(expected) == 3
        pd.testing.assert_frame_equal(panel.preview_spots.reset_index(drop=True), expected.reset_index(drop=True))
        assert "channel 1;" in lp.note.text() and "by default" not in lp.note.text()
        assert panel.link_request()["channel"] == 1

        # Remembered with the movie: opened again (another session view), it shows channel 1.
        other = session.add(tracks_only_entry(tmp_path))
        panel.show_file(other)
        assert not shown(panel, lp.channel)
        panel.views.pop(entry).reader.close()
        panel.show_file(entry)
        assert lp.channel.value() == 1 and view.reader.channel == 1
        np.testing.assert_array_equal(view.current_image, second.read(0))


def test_link_and_link_request_carry_the_channel(qtbot, show_movie, fake_link, tmp_path):
    panel, runner, session, entry = show_movie(hyperstack(tmp_path / "channels.tif"))
    panel.linking_panel.channel.setValue(1)
    request = panel.link_request()
    assert request == {"params": SPOT_PARAMS, "frames": None, "channel": 1, "z": None, "pixel_size_um": None,
                       "frame_interval_s": None}
    with qtbot.waitSignals([session.file_changed, runner.stopped], timeout=10_000):
        panel.link_button.click()
    [(path, params, kwargs)] = fake_link
    assert path == entry.path and kwargs["channel"] == 1 and kwargs["z"] is None
    assert {"params": params, **kwargs} == request
    assert entry.linking == {**SPOT_PARAMS.to_dict(), "channel": 1}  # what was linked, for a later classify


def test_z_box_chooses_the_plane_shown_and_linked(show_movie, tmp_path):
    path = hyperstack(tmp_path / "planes.tif", "TZYX", 3)
    panel, _, _, entry = show_movie(path)
    lp = panel.linking_panel
    assert shown(panel, lp.z_plane) and not shown(panel, lp.channel)
    assert lp.z_plane.maximum() == 2 and "3 z-planes" in lp.note.text()
    panel.set_frame(6)
    lp.z_plane.setValue(2)
    with StackReader(path, z=2) as reader:
        np.testing.assert_array_equal(panel.movie_view.current_image, reader.read(6))
    assert entry.linking["z"] == 2 and "channel" not in entry.linking
    assert (panel.link_request()["channel"], panel.link_request()["z"]) == (None, 2)


def test_movies_with_one_channel_and_plane_show_no_boxes(show_movie, tmp_path):
    import tifffile

    slices = tmp_path / "slices.tif"  # z-slices without a time axis: read as frames
    tifffile.imwrite(slices, spot_frames(2, seed=0), imagej=True, metadata={"axes": "ZYX"})
    for path in (calibrated_tiff(tmp_path / "single.tif"), slices):
        panel, *_ = show_movie(path)
        lp = panel.linking_panel
        assert panel.movie_view.current_image is not None
        assert not shown(panel, lp.channel) and not shown(panel, lp.z_plane) and not lp.note.text()
        assert (panel.link_request()["channel"], panel.link_request()["z"]) == (None, None)


def test_detections_of_a_link_are_shown_only_for_its_own_channel(qtbot, show_movie, tmp_path):
    path = hyperstack(tmp_path / "channels.tif")
    panel, _, session, entry = show_movie(path)
    with StackReader(path, channel=0) as reader:
        stack = reader.describe()
    result = LinkResult(tracks=movie_tracks(), n_frames=10, n_features=20, n_tracks_linked=2, n_tracks_kept=2,
                        params=SPOT_PARAMS, stack=stack)
    session.replace_tracks(entry, result.tracks, result)
    assert panel._linked_with_current_params()
    panel.linking_panel.channel.setValue(1)
    assert not panel._linked_with_current_params()
    wait_for_preview(qtbot, panel, 0, SPOT_PARAMS)
    assert "another channel or z-plane than the last link" in panel.linking_panel.preview_label.text()


def test_classify_links_the_plane_asked_for_else_remembered_else_the_first(monkeypatch, fake_link, tmp_path):
    from resandi_core.batch import FileRequest
    from resandi_core.progress import run_job
    from resandi_gui.files import classify_job

    def iter_classify(tracks, model, device="auto"):
        return "classified"
        yield  # a generator, as the real one

    monkeypatch.setattr("resandi_core.model.registry.load_model", lambda name: "model")
    monkeypatch.setattr("resandi_core.classify.iter_classify", iter_classify)
    channels = hyperstack(tmp_path / "channels.tif")
    planes = hyperstack(tmp_path / "planes.tif", "TZYX", 3)
    single = calibrated_tiff(tmp_path / "single.tif")
    requests = [FileRequest(path, first_plane_by_default=True, **options) for path, options in [
        (channels, {"channel": 1}), (channels, {"linking": {"channel": 1}}),
        (channels, {"linking": {"channel": 1}, "channel": 0}), (channels, {}), (planes, {"z": 2}), (single, {})]]
    _, outcomes = run_job(classify_job(requests, None))
    assert [o.failure for o in outcomes] == [None] * len(requests)
    assert [(kwargs["channel"], kwargs["z"]) for _, _, kwargs in fake_link] == [
        (1, None), (1, None), (0, None), (0, None), (None, 2), (None, None)]
