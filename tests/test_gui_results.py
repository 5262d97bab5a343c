"""The Results view, driven offscreen with pytest-qt and compared with the core's numbers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from factories import random_walk

pytestmark = pytest.mark.gui

N_TRACKS = 30
TOO_SHORT = (0, 1, 2)  # track ids with fewer than 10 points
LONG_TRACK = 29  # 1,200 points: three windows, stitched scores
GAPPY_TRACK = 28  # misses every 7th frame: interpolated points


@pytest.fixture(scope="module")
def tracks():
    from resandi_core.tracks import Tracks

    rng = np.random.default_rng(7)
    parts = []
    for tid in range(N_TRACKS):
        n = int(rng.integers(3, 9)) if tid in TOO_SHORT else 1200 if tid == LONG_TRACK else int(rng.integers(50, 301))
        xy = random_walk(n, rng) + rng.uniform(0, 400, 2)
        frames = np.arange(n) + int(rng.integers(0, 20))
        if tid == GAPPY_TRACK:
            keep = np.arange(n) % 7 != 3
            frames, xy = frames[keep], xy[keep]
        parts.append(pd.DataFrame({"track_id": tid, "frame": frames, "x": xy[:, 0], "y": xy[:, 1]}))
    table = pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=0).reset_index(drop=True)
    return Tracks(table, "synthetic.csv", pixel_size_um=0.16, frame_interval_s=0.05)


@pytest.fixture(scope="module")
def entry(tracks, untrained_model):
    from resandi_core.classify import classify_tracks
    from resandi_gui.session import SessionFile

    result = classify_tracks(tracks, untrained_model, device="cpu")
    return SessionFile(Path("synthetic.csv"), "tracks", tracks=tracks, result=result, model=untrained_model)


@pytest.fixture
def panel(qtbot, entry):
    from resandi_gui.panels.results_panel import ResultsPanel

    widget = ResultsPanel()
    qtbot.addWidget(widget)
    widget.resize(1400, 850)
    widget.show()
    widget.show_file(entry)
    return widget


def classified_ids(entry) -> list:
    rows = entry.result.tracks
    return rows.loc[rows["status"] == "ok", "track_id"].tolist()


def core_scores(result, track_id) -> tuple[np.ndarray, np.ndarray]:
    rows = result.gradcam[result.gradcam["track_id"] == track_id].sort_values("frame")
    return rows["frame"].to_numpy(), rows["score"].to_numpy()


def select_row_of(panel, track_id) -> None:
    """Select ``track_id``'s row the way a click does (through the selection model)."""
    view = panel.table.view
    for row in range(view.model().rowCount()):
        if panel.table.visible_track_ids()[row] == track_id:
            view.selectRow(row)
            return
    raise AssertionError(f"track {track_id} is not shown in the table")


def test_fixture_has_the_cases_the_tests_need(entry):
    status = entry.result.tracks.set_index("track_id")["status"]
    assert (status.loc[list(TOO_SHORT)] == "too_short").all()
    assert (status.drop(list(TOO_SHORT)) == "ok").all()
    assert entry.result.gradcam.groupby("track_id")["interpolated"].sum()[GAPPY_TRACK] > 0


def test_selecting_a_table_row_selects_the_track_everywhere(panel, entry, qtbot):
    from resandi_core.msd import imsd
    from resandi_core.tracks import Tracks

    track_id = classified_ids(entry)[7]
    with qtbot.waitSignal(panel.track_selected) as signal:
        select_row_of(panel, track_id)
    assert signal.args == [track_id]
    assert panel.selected_track_id == track_id
    assert panel.overview.selected == track_id
    assert panel.table.selected_track_id() == track_id
    assert panel.trajectory.plot.titleLabel.text.startswith(f"track {track_id}:")

    row = entry.result.tracks.set_index("track_id").loc[track_id]
    probs = row[[c for c in entry.result.tracks.columns if c.startswith("prob_") and not c.startswith("prob_family_")]].to_numpy(dtype=float)
    np.testing.assert_allclose(panel.probabilities.heights, probs, rtol=0, atol=1e-12)

    # The overview outlines exactly this track's points, in µm (0.16 µm per px).
    table = entry.tracks.table
    own = table[table["track_id"] == track_id].sort_values("frame")
    x_drawn, y_drawn = panel.overview.highlight_casing.getData()
    np.testing.assert_allclose(x_drawn, own["x"].to_numpy() * 0.16)
    np.testing.assert_allclose(y_drawn, own["y"].to_numpy() * 0.16)

    # The MSD plot shows the core's MSD and the table's fit, in µm² and s.
    expected = imsd(Tracks(own, "", pixel_size_um=0.16, frame_interval_s=0.05), max_lag=len(own) // 2)
    lag_fit, msd_fit = panel.msd.fitted.getOriginalDataset()  # getData() is log10 in log mode
    np.testing.assert_allclose(lag_fit, expected.index.to_numpy()[: len(lag_fit)])
    np.testing.assert_allclose(msd_fit, expected.iloc[: len(lag_fit), 0].to_numpy())
    # Filled: exactly the lags the core's fit used, so a line through them is its α and D.
    assert len(lag_fit) == row["msd_n_lags"] > 2
    alpha, log_4d = np.polyfit(np.log(lag_fit), np.log(msd_fit), 1)
    assert alpha == pytest.approx(row["alpha_msd"], rel=1e-9)
    assert np.exp(log_4d) / 4 == pytest.approx(row["D_msd"], rel=1e-9)
    t, fit = panel.msd.fit.getOriginalDataset()
    np.testing.assert_allclose(fit, 4 * row["D_msd"] * t ** row["alpha_msd"])
    assert panel.msd.plot.getAxis("bottom").labelText == "lag time (s)"
    assert panel.msd.plot.getAxis("left").labelText == "MSD (µm²)"
    assert panel.trajectory.plot.getAxis("bottom").labelText == "x (µm)"


def test_probability_bars_are_the_core_probabilities(panel, entry):
    from resandi_core.model.spec import CLASS_NAMES

    rows = entry.result.tracks.set_index("track_id")
    prob_columns = [f"prob_{name}" for name in CLASS_NAMES]
    for track_id in classified_ids(entry)[::4]:
        panel.select_track(track_id)
        expected = rows.loc[track_id, prob_columns].to_numpy(dtype=float)
        drawn = np.asarray(panel.probabilities.bars.opts["height"], dtype=float)
        np.testing.assert_allclose(drawn, expected, rtol=0, atol=1e-12)
        assert CLASS_NAMES[panel.probabilities.predicted] == rows.loc[track_id, "predicted_class"]


def test_scores_for_the_predicted_class_are_the_results_gradcam(panel, entry):
    assert panel.target == "predicted" and not panel.relu and not entry.result.relu
    for track_id in classified_ids(entry):
        frames, scores = panel.scores_for(track_id)
        expected_frames, expected_scores = core_scores(entry.result, track_id)
        np.testing.assert_array_equal(frames, expected_frames)
        np.testing.assert_array_equal(scores, expected_scores)
    # What is drawn: every segment of the track, coloured on a range symmetric around 0.
    panel.select_track(GAPPY_TRACK)
    _, scores = panel.scores_for(GAPPY_TRACK)
    assert panel.trajectory.segments.n_segments == len(scores) - 1  # interpolated frames included
    assert panel.trajectory.levels == pytest.approx((-np.abs(scores).max(), np.abs(scores).max()))
    gradcam = entry.result.gradcam
    n_filled = gradcam.loc[gradcam["track_id"] == GAPPY_TRACK, "interpolated"].sum()
    assert len(panel.trajectory.filled.getData()[0]) == n_filled > 0


def test_scores_for_another_class_or_relu_are_recomputed_like_the_core(panel, entry, tracks, untrained_model, qtbot,
                                                                        monkeypatch):
    from resandi_core.classify import classify_tracks

    # Another class comes from the result's stored maps: the panel never needs the model again.
    monkeypatch.setattr(entry, "model", None)

    track_ids = [classified_ids(entry)[3], GAPPY_TRACK, LONG_TRACK]
    predicted = entry.result.tracks.set_index("track_id")["predicted_class"]
    other = next(name for name in ("SubCTRW", "SupLW") if name != predicted[track_ids[0]])
    panel.set_target(other)
    assert panel.target == other
    core_other = classify_tracks(tracks, untrained_model, target_class=other, device="cpu")
    for track_id in track_ids:
        frames, scores = panel.scores_for(track_id)
        expected_frames, expected_scores = core_scores(core_other, track_id)
        np.testing.assert_array_equal(frames, expected_frames)
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-5, atol=1e-7)
        assert not np.allclose(scores, core_scores(entry.result, track_id)[1])  # really another map
    assert f"({other})" in panel.trajectory.colorbar.getAxis("right").labelText

    panel.set_target("predicted")
    with qtbot.assertNotEmitted(panel.relu_toggled):
        panel.set_relu(True)
    assert panel.relu
    core_relu = classify_tracks(tracks, untrained_model, relu=True, device="cpu")
    for track_id in track_ids:
        _, scores = panel.scores_for(track_id)
        np.testing.assert_allclose(scores, core_scores(core_relu, track_id)[1], rtol=1e-5, atol=1e-7)
        assert scores.min() >= 0
    assert panel.trajectory.levels[0] == 0.0

    with qtbot.waitSignal(panel.relu_toggled) as signal:
        panel.signed_button.click()
    assert signal.args == [False]
    np.testing.assert_array_equal(panel.scores_for(track_ids[0])[1], core_scores(entry.result, track_ids[0])[1])


def test_sorting_is_numeric_not_text(panel, entry):
    from PySide6.QtCore import Qt

    view = panel.table.view
    rows = entry.result.tracks.set_index("track_id")
    view.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # points
    shown = panel.table.visible_track_ids()
    points = rows.loc[shown, "n_points"].to_numpy()
    assert (np.diff(points) >= 0).all()
    as_text = sorted(points.astype(str))
    assert list(points.astype(str)) != as_text, "lengths must differ in digit count for this test to bite"

    view.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # confidence
    confidence = rows.loc[panel.table.visible_track_ids(), "confidence"].to_numpy()
    finite = confidence[np.isfinite(confidence)]
    assert (np.diff(finite) <= 0).all()
    assert np.isnan(confidence[len(finite):]).all() and len(finite) == N_TRACKS - len(TOO_SHORT)
    view.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    confidence = rows.loc[panel.table.visible_track_ids(), "confidence"].to_numpy()
    assert (np.diff(confidence[: len(finite)]) >= 0).all() and np.isnan(confidence[len(finite):]).all()


def test_filters_reduce_the_rows(panel, entry):
    from resandi_gui.widgets.track_table import STATUS_NOT_CLASSIFIED, STATUS_OK

    table = panel.table
    rows = entry.result.tracks

    def shown() -> set:
        return set(table.visible_track_ids())

    assert shown() == set(rows["track_id"])
    n_uncertain = int(rows["uncertain"].sum())
    assert 0 < n_uncertain < N_TRACKS  # the untrained model is unsure of most tracks
    assert table.count_label.text() == f"{N_TRACKS} of {N_TRACKS} tracks ({n_uncertain} uncertain)"
    table.hide_uncertain.setChecked(True)
    assert shown() == set(rows.loc[~rows["uncertain"].astype(bool), "track_id"])
    table.hide_uncertain.setChecked(False)
    common = rows["predicted_class"][rows["status"] == "ok"].mode()[0]
    table.class_filter.setCurrentText(common)
    assert shown() == set(rows.loc[rows["predicted_class"] == common, "track_id"])
    table.class_filter.setCurrentIndex(0)

    threshold = float(rows["confidence"].median())
    table.min_confidence.setValue(round(threshold, 2))
    assert shown() == set(rows.loc[rows["confidence"] >= round(threshold, 2), "track_id"])
    table.min_confidence.setValue(0)

    table.min_points.setValue(150)
    assert shown() == set(rows.loc[rows["n_points"] >= 150, "track_id"])
    table.min_points.setValue(0)

    table.status_filter.setCurrentText(STATUS_NOT_CLASSIFIED)
    assert shown() == set(TOO_SHORT)
    table.status_filter.setCurrentText(STATUS_OK)
    assert shown() == set(rows["track_id"]) - set(TOO_SHORT)

    table.id_filter.setText("2")
    assert shown() == {t for t in rows["track_id"] if "2" in str(t)} - set(TOO_SHORT)
    table.id_filter.setText("5, 17")
    assert shown() == {5, 15, 17, 25}
    assert table.count_label.text().startswith(f"4 of {N_TRACKS} tracks")


def test_a_filtered_out_selection_comes_back_when_shown(panel, entry):
    panel.select_track(17)
    panel.table.id_filter.setText("5")
    assert panel.table.selected_track_id() is None and panel.selected_track_id == 17
    panel.table.id_filter.setText("")
    assert panel.table.selected_track_id() == 17


def test_clicking_in_the_overview_selects_the_nearest_track(panel, entry, qtbot):
    from PySide6.QtCore import QPointF, Qt

    overview = panel.overview
    lines = overview.lines
    qtbot.waitExposed(panel)
    target = classified_ids(entry)[11]
    i = lines.index_of(target)
    own = slice(int(lines.starts[i]), int(lines.starts[i + 1]))
    others = np.ones(len(lines.x), bool)
    others[own] = False
    # A point of the track far from every other track, so a pixel of rounding cannot matter.
    gaps = [np.min((lines.x[others] - x) ** 2 + (lines.y[others] - y) ** 2) for x, y in zip(lines.x[own], lines.y[own])]
    k = int(np.argmax(gaps))
    x, y = lines.x[own][k], lines.y[own][k]
    assert overview.pick(x, y, tolerance=0.5) == target
    assert overview.pick(x + 1e4, y, tolerance=0.5) is None

    scene_point = overview.plot.vb.mapViewToScene(QPointF(x, y))
    widget_point = overview.graphics.mapFromScene(scene_point)
    with qtbot.waitSignal(panel.track_selected) as signal:
        qtbot.mouseClick(overview.graphics.viewport(), Qt.MouseButton.LeftButton, pos=widget_point)
    assert signal.args == [target]
    assert panel.table.selected_track_id() == target
    assert overview.selected == target

    other = classified_ids(entry)[2]
    overview.track_clicked.emit(other)  # the click handler's signal, directly
    assert panel.selected_track_id == other and panel.table.selected_track_id() == other


def test_select_track_reaches_every_view_once_and_without_loops(panel, entry, qtbot):
    seen = []
    panel.track_selected.connect(seen.append)
    track_id = classified_ids(entry)[5]
    panel.select_track(track_id)
    panel.select_track(track_id)
    panel.select_track("no such track")
    assert seen == [track_id]
    assert panel.table.selected_track_id() == track_id and panel.overview.selected == track_id
    panel.overview.set_mode("Grad-CAM")
    assert panel.overview.colorbar.isVisible() and not panel.overview.legend.isVisible()
    assert panel.overview.selected == track_id


def test_a_track_that_was_not_classified_shows_why(panel):
    panel.select_track(TOO_SHORT[0])
    frames, scores = panel.scores_for(TOO_SHORT[0])
    assert frames.size == 0 and scores.size == 0
    assert panel.probabilities.predicted is None and not panel.probabilities.heights.any()
    assert "not classified" in panel.trajectory.plot.titleLabel.text


def test_a_file_without_result_shows_the_hint(qtbot, tracks):
    from resandi_gui.panels.results_panel import ResultsPanel
    from resandi_gui.session import SessionFile

    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show_file(SessionFile(Path("raw.csv"), "tracks", tracks=tracks))
    assert panel.stack.currentWidget() is panel.hint
    assert "Classify this file" in panel.hint.text()
    assert panel.selected_track_id is None and panel.scores_for(5)[1].size == 0
    panel.show_file(None)
    assert panel.stack.currentWidget() is panel.hint


def test_switching_files_keeps_each_files_selection(panel, entry, tracks):
    from resandi_gui.session import SessionFile

    panel.select_track(12)
    panel.show_file(SessionFile(Path("raw.csv"), "tracks", tracks=tracks))
    assert panel.selected_track_id is None
    panel.show_file(entry)
    assert panel.selected_track_id == 12 and panel.table.selected_track_id() == 12


def test_colored_segments_put_each_segment_in_its_value_bin(qtbot):
    import pyqtgraph as pg

    from resandi_gui.widgets.class_colors import gradcam_colormap
    from resandi_gui.widgets.colored_segments import ColoredSegments, connect_mask, quantize

    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    layer = ColoredSegments(plot.getPlotItem())
    x = np.arange(9.0)
    values = np.array([0.0, 1, 2, 3, 4, 10, 20, 30, np.nan])
    connect = connect_mask(np.array([5, 4]))  # points 0-4 and 5-8: 4 + 3 segments
    layer.set_by_value(x, x, connect, values, gradcam_colormap(True), (0.0, 4.0), n_bins=4)
    drawn = {color.name(): sorted(px[0::2].astype(int).tolist()) for color, px, _ in layer.groups}
    assert sorted(sum(drawn.values(), [])) == [0, 1, 2, 3, 5, 6, 7]  # no segment from 4 to 5
    bins = quantize(np.array([0.5, 1.5, 2.5, 3.5, 15, 25, np.nan]), (0.0, 4.0), 4)
    assert bins.tolist() == [0, 1, 2, 3, 3, 3, 4]
    assert drawn["#bbbbbb"] == [7]  # the NaN segment, in the NaN colour


def test_the_table_handles_ten_thousand_rows_quickly(qtbot):
    from PySide6.QtCore import Qt

    from resandi_core.model.spec import CLASS_NAMES
    from resandi_gui.widgets.track_table import TrackTable

    rng = np.random.default_rng(0)
    n = 10_000
    rows = pd.DataFrame(
        {
            "track_id": np.arange(n),
            "predicted_class": rng.choice(CLASS_NAMES, n),
            "confidence": rng.uniform(0.2, 1, n),
            "n_points": rng.integers(10, 1000, n),
            "alpha_msd": rng.uniform(0.1, 2, n),
            "D_msd": rng.uniform(0.01, 1, n),
            "status": "ok",
            "D_msd_unit": "µm^2/s^alpha",
        }
    )
    table = TrackTable()
    qtbot.addWidget(table)
    table.show()
    start = time.perf_counter()
    table.set_tracks(rows)
    for column in range(7):
        table.view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    table.min_confidence.setValue(0.5)
    table.select_track(9_999)
    elapsed = time.perf_counter() - start
    assert table.count_label.text() == f"{(rows['confidence'] >= 0.5).sum():,} of 10,000 tracks"
    assert table.model.headerData(5, Qt.Orientation.Horizontal) == "D (µm²/s^α)"
    assert elapsed < 3.0, f"10,000 rows took {elapsed:.2f} s to load, sort 7 times and filter"


def test_the_results_view_does_not_import_torch():
    code = "import sys, resandi_gui.panels.results_panel; sys.exit('torch' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr or "torch was imported"


def test_overview_gradcam_colours_use_the_results_scores(panel, entry):
    panel.overview.set_mode("Grad-CAM")
    lines = panel.overview.lines
    scores = panel.overview.point_scores
    gradcam = entry.result.gradcam.set_index(["track_id", "frame"])["score"]
    for track_id in (GAPPY_TRACK, LONG_TRACK, TOO_SHORT[0]):
        i = lines.index_of(track_id)
        part = slice(int(lines.starts[i]), int(lines.starts[i + 1]))
        if track_id in TOO_SHORT:
            assert np.isnan(scores[part]).all()
            continue
        expected = gradcam.loc[[(track_id, f) for f in lines.frames[part]]].to_numpy()
        np.testing.assert_array_equal(scores[part], expected)
    assert panel.overview.levels[0] == -panel.overview.levels[1] < 0  # signed: symmetric around 0


def test_uncalibrated_tracks_are_drawn_in_pixels_and_frames(qtbot, entry):
    from resandi_core.tracks import Tracks
    from resandi_gui.panels.results_panel import ResultsPanel
    from resandi_gui.session import SessionFile

    uncalibrated = Tracks(entry.tracks.table, "synthetic.csv")
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show_file(SessionFile(Path("px.csv"), "tracks", tracks=uncalibrated, result=entry.result, model=None))
    panel.select_track(GAPPY_TRACK)
    assert panel.trajectory.plot.getAxis("left").labelText == "y (px)"
    assert panel.msd.plot.getAxis("bottom").labelText == "lag time (frames)"
    assert panel.msd.plot.getAxis("left").labelText == "MSD (px²)"
    x, _ = panel.overview.highlight_casing.getData()
    table = entry.tracks.table
    np.testing.assert_allclose(x, table[table["track_id"] == GAPPY_TRACK].sort_values("frame")["x"])

    # Without the model, another target class still comes from the result's stored maps.
    other = ("BM" if entry.result.tracks.set_index("track_id").loc[GAPPY_TRACK, "predicted_class"] != "BM"
             else "SubFBM")
    panel.set_target(other)
    frames, scores = panel.scores_for(GAPPY_TRACK)
    assert scores.size == frames.size > 0 and np.isfinite(scores).all()

    # A result made without Grad-CAM maps: say so, draw no scores.
    import dataclasses

    no_maps = dataclasses.replace(entry.result, window_maps=None)
    panel.show_file(SessionFile(Path("px2.csv"), "tracks", tracks=uncalibrated, result=no_maps, model=None))
    panel.select_track(GAPPY_TRACK)
    panel.set_target(other)
    assert panel.scores_for(GAPPY_TRACK)[1].size == 0
    assert "no Grad-CAM maps" in panel.trajectory.plot.titleLabel.text


def test_the_msd_plot_marks_the_lags_the_results_fit_used(qtbot, entry, tracks):
    """The filled points follow the result's ``msd_n_lags``, not a lag rule of the GUI's own."""
    import dataclasses

    from resandi_core.msd import fit_msd
    from resandi_gui.panels.results_panel import ResultsPanel
    from resandi_gui.session import SessionFile

    fits = fit_msd(tracks, max_lag=5)  # another rule than the core's default 10 lags
    rows = entry.result.tracks.copy()
    joined = fits.reindex(rows["track_id"].to_numpy())
    for column in ("alpha_msd", "D_msd", "msd_n_lags"):
        rows[column] = joined[column].to_numpy()
    result = dataclasses.replace(entry.result, tracks=rows)
    refit = SessionFile(Path("refit.csv"), "tracks", tracks=tracks, result=result)
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show_file(refit)
    by_id = rows.set_index("track_id")
    for track_id in (classified_ids(entry)[4], GAPPY_TRACK, LONG_TRACK):
        panel.select_track(track_id)
        lag, msd = panel.msd.fitted.getOriginalDataset()
        assert len(lag) == by_id.loc[track_id, "msd_n_lags"] == 5
        alpha, log_4d = np.polyfit(np.log(lag), np.log(msd), 1)
        assert alpha == pytest.approx(by_id.loc[track_id, "alpha_msd"], rel=1e-9)
        assert np.exp(log_4d) / 4 == pytest.approx(by_id.loc[track_id, "D_msd"], rel=1e-9)
        assert len(panel.msd.unfitted.getOriginalDataset()[0]) > 0  # the longer lags, hollow


def test_the_msd_plot_counts_fitted_lags_among_lags_with_a_pair(qtbot):
    """The core's fit skips lags without a pair; the n fitted lags are the first n drawable ones."""
    from resandi_gui.widgets.msd_plot import MsdPlot

    plot = MsdPlot()
    qtbot.addWidget(plot)
    lag = np.arange(1.0, 13.0)
    msd = 0.1 * lag
    msd[1] = np.nan  # lag 2: no pair (a track seen at frames 0, 1, 4, 5, 8, 9, ...)
    msd[4] = 0.0  # lag 5: no motion, left out of a log-log fit
    plot.show_msd(lag, msd, 8, alpha=1.0, diffusion=0.025, diffusion_unit="µm^2/s^alpha")
    fitted_lags, _ = plot.fitted.getOriginalDataset()
    assert fitted_lags.tolist() == [1, 3, 4, 6, 7, 8, 9, 10]
    assert plot.unfitted.getOriginalDataset()[0].tolist() == [11, 12]
    plot.show_msd(lag, msd, 8, alpha=np.nan, diffusion=np.nan, diffusion_unit="")
    assert plot.fitted.getOriginalDataset()[0] is None  # no fit: nothing marked as fitted (empty data)
    assert len(plot.unfitted.getOriginalDataset()[0]) == 10


def test_switching_back_to_a_file_reuses_its_results(panel, entry, tracks, monkeypatch):
    import dataclasses
    import gc
    import weakref

    from resandi_gui.panels import results_data
    from resandi_gui.panels.results_data import FileResults
    from resandi_gui.session import SessionFile

    built, formatted, recomputed = [], [], []
    build, prepare, recompute = FileResults.build.__func__, results_data.prepare_columns, FileResults._recompute
    monkeypatch.setattr(FileResults, "build", classmethod(lambda cls, e: built.append(e) or build(cls, e)))
    monkeypatch.setattr(results_data, "prepare_columns", lambda t: formatted.append(1) or prepare(t))
    monkeypatch.setattr(FileResults, "_recompute", lambda self, *a: recomputed.append(a) or recompute(self, *a))

    track_id = classified_ids(entry)[3]
    predicted = entry.result.tracks.set_index("track_id").loc[track_id, "predicted_class"]
    panel.select_track(track_id)
    panel.set_target("SubCTRW" if predicted != "SubCTRW" else "SupLW")
    assert len(recomputed) == 1
    other = SessionFile(Path("other.csv"), "tracks", tracks=tracks, result=entry.result, model=entry.model)
    panel.show_file(other)
    panel.show_file(entry)
    panel.show_file(other)
    panel.show_file(entry)
    assert built == [other] and len(formatted) == 1  # other once; entry's came from before the patch
    assert panel.selected_track_id == track_id and panel.table.selected_track_id() == track_id
    # Grad-CAM of another class: computed once per file (other's first track), kept on switching back.
    assert len(recomputed) == 2
    panel.set_target("predicted")

    # A new result or new tracks for a file: its cached indexes are stale and rebuilt.
    other.result = dataclasses.replace(entry.result)
    panel.show_file(other)
    assert built == [other, other]
    other.tracks = dataclasses.replace(tracks)
    panel.show_file(entry)
    panel.show_file(other)
    assert built == [other, other, other]

    # The cache holds files weakly: a closed file is freed with everything built for it.
    panel.show_file(entry)
    gone = weakref.ref(other)
    del other
    built.clear()
    gc.collect()
    assert gone() is None


def test_showing_the_same_file_again_changes_nothing(panel, entry, qtbot, monkeypatch):
    from resandi_gui.panels.results_data import FileResults

    built, resets = [], []
    monkeypatch.setattr(FileResults, "build", classmethod(lambda cls, e: built.append(e)))
    panel.table.model.modelAboutToBeReset.connect(lambda: resets.append(1))
    track_id = classified_ids(entry)[6]
    panel.select_track(track_id)
    panel.table.id_filter.setText("no such id")  # the selected row is filtered out of the table
    lines = panel.overview.lines
    with qtbot.assertNotEmitted(panel.track_selected):
        panel.show_file(entry)  # what the main window does on every file_changed
    assert panel.selected_track_id == track_id and panel.overview.selected == track_id
    assert panel.table.selected_track_id() is None and panel.table.visible_track_ids() == []
    assert built == [] and resets == [] and panel.overview.lines is lines

    panel.table.id_filter.setText("")
    panel.select_track(None)  # the user cleared the selection: a re-show must not pick a track
    with qtbot.assertNotEmitted(panel.track_selected):
        panel.show_file(entry)
    assert panel.selected_track_id is None and panel.table.selected_track_id() is None


def test_visible_rows_are_the_proxys_rows_in_order(panel, entry):
    from PySide6.QtCore import Qt

    table = panel.table

    def row_by_row() -> list:
        proxy = table.proxy
        return [
            table.model.track_ids[table.model.order[proxy.mapToSource(proxy.index(r, 0)).row()]]
            for r in range(proxy.rowCount())
        ]

    for column, order, min_points, text in (
        (3, Qt.SortOrder.AscendingOrder, 0, ""),
        (2, Qt.SortOrder.DescendingOrder, 100, ""),
        (1, Qt.SortOrder.AscendingOrder, 0, "1"),
        (0, Qt.SortOrder.DescendingOrder, 0, "no such id"),
    ):
        table.view.sortByColumn(column, order)
        table.min_points.setValue(min_points)
        table.id_filter.setText(text)
        assert table.visible_track_ids() == row_by_row()
    table.id_filter.setText("")
    table.min_points.setValue(0)

    # Shortest first: the too-short (unclassified) tracks lead, but the first track is a classified one.
    table.view.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    shown = table.visible_track_ids()
    assert shown[0] in TOO_SHORT
    assert table.first_track_id() == next(t for t in shown if t not in TOO_SHORT)


def test_confusion_matrix_says_its_cells_are_percent_of_true_class(qtbot):
    from resandi_gui.widgets.confusion_matrix import ConfusionMatrixView

    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    view.resize(450, 450)
    view.show()
    qtbot.waitExposed(view)
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 100, (8, 8)) + np.diag(np.full(8, 900))
    percent = 100 * counts / counts.sum(axis=1, keepdims=True)
    view.set_confusion(percent, 0.9012, n=8000)
    bottom, left = view.plot.getAxis("bottom"), view.plot.getAxis("left")
    assert "% of true class" in " ".join([bottom.labelText, left.labelText, view.title()])
    assert view.cell_texts()[2][3] == f"{percent[2, 3]:.1f}"
    assert "90.12%" in view.title()
    # Readable at 450 px: the unit's label fits under the matrix, not clipped.
    assert bottom.label.boundingRect().width() < bottom.geometry().width()


def test_class_axes_share_one_tick_label(qtbot):
    from resandi_core.model.spec import CLASS_NAMES
    from resandi_gui.widgets import confusion_matrix, probability_chart
    from resandi_gui.widgets.class_colors import class_tick_label

    chart = probability_chart.ProbabilityChart()
    matrix = confusion_matrix.ConfusionMatrixView()
    qtbot.addWidget(chart)
    qtbot.addWidget(matrix)
    assert class_tick_label("SubATTM") == "Sub\nATTM" and class_tick_label("BM") == "BM"
    expected = [class_tick_label(name) for name in CLASS_NAMES]
    for axis in (chart.plot.getAxis("bottom"), matrix.plot.getAxis("bottom"), matrix.plot.getAxis("left")):
        assert [text for _, text in axis._tickLevels[0]] == expected
    assert not hasattr(probability_chart, "tick_label") and not hasattr(confusion_matrix, "_axis_label")


def test_the_overview_caches_its_tracks_only_while_the_selection_changes(panel, entry, qtbot):
    import inspect

    from PySide6.QtWidgets import QGraphicsItem

    from resandi_gui.widgets.colored_segments import ColoredSegments

    assert "cached" not in inspect.signature(ColoredSegments).parameters  # one switch: the owner's
    item = panel.overview.segments.item
    qtbot.waitUntil(lambda: item.painted)
    panel.select_track(classified_ids(entry)[1])
    assert item.cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache
    panel.overview.redraw()
    assert item.cacheMode() == QGraphicsItem.CacheMode.NoCache


HISTORY_HEADER = "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n"


@pytest.mark.parametrize(
    ("text", "epochs", "loss", "val_accuracy", "warns"),
    [
        (HISTORY_HEADER + "1,0.9,0.5,1.0,0.4,1e-4,3\n2,0.8,0.6,0.9,0.5,1e-4,3\n", [1, 2], [0.9, 0.8], [40, 50], False),
        ("epoch,loss,accuracy\n1,0.9,0.5\n2,0.8,0.6\n", [1, 2], [0.9, 0.8], [], True),  # an older history
        (
            HISTORY_HEADER + "1,0.9,0.5,1.0,0.4,1e-4,3\nnot a row\n3,0.7,x,0.9\n,,,,\n2.5,1,1,1,1\nnan,1,1,1,1\n",
            [1, 3],
            [0.9, 0.7],
            [40],
            True,
        ),
        ("step,loss\n1,2\n", [], [], [], True),  # no epoch column
        ("", [], [], [], False),
        (b"\xff\xfe\x00\x81garbage\x00", [], [], [], True),
        (None, [], [], [], False),  # no file yet: nothing to say
    ],
    ids=["complete", "older", "bad-rows", "no-epoch", "empty", "binary", "missing"],
)
def test_training_history_with_bad_content_loads_what_it_can(qtbot, tmp_path, caplog, text, epochs, loss,
                                                              val_accuracy, warns):
    from resandi_gui.widgets.training_curves import TrainingCurves

    def drawn(key: str) -> list[float]:
        y = curves._curves[key].getData()[1]
        return [] if y is None else y.tolist()

    curves = TrainingCurves()
    qtbot.addWidget(curves)
    path = tmp_path / "history.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text, encoding="utf-8")
    with caplog.at_level("WARNING", logger="resandi_gui.widgets.training_curves"):
        curves.load_history(path)  # must not raise: Resume goes on with whatever it shows
    assert curves.epochs == epochs
    assert drawn("loss") == pytest.approx(loss) and drawn("val_accuracy") == pytest.approx(val_accuracy)
    assert any(r.levelname == "WARNING" for r in caplog.records) == warns
    curves.load_history(tmp_path)  # a folder, not a file
    assert curves.epochs == []


def test_uncertain_tracks_are_shown_as_such(panel, entry):
    from PySide6.QtCore import Qt

    from resandi_gui.widgets.track_table_model import UNCERTAIN_COLUMN

    rows = entry.result.tracks
    unsure = rows.loc[rows["uncertain"].astype(bool)].iloc[0]
    sure = rows.loc[~rows["uncertain"].astype(bool)].iloc[0]  # (here: one not classified)
    panel.select_track(unsure["track_id"])
    assert panel.trajectory.plot.titleLabel.text.endswith(", uncertain")
    assert unsure["uncertain_reason"] in panel.probabilities.plot.titleLabel.text
    panel.select_track(sure["track_id"])
    assert "uncertain" not in panel.trajectory.plot.titleLabel.text

    model = panel.table.model
    shown = model.shown_row_of(unsure["track_id"])
    cell = model.index(shown, UNCERTAIN_COLUMN)
    assert model.data(cell) == "uncertain"
    assert unsure["uncertain_reason"] in model.data(cell, Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(shown, 1), Qt.ItemDataRole.ForegroundRole) is not None  # greyed row

    panel.overview.set_mode("class")
    assert f"faded: uncertain ({int(rows['uncertain'].sum())})" in panel.overview.legend.text()
    assert "'uncertain' when its confidence is below" in panel.info_label.toolTip()  # the rule in plain words
