"""File ▸ Export Report of the open files, plots saved as PNG/SVG, and the class fractions that follow the table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from factories import random_walk

pytestmark = pytest.mark.gui

JOB_TIMEOUT_MS = 300_000
N_TRACKS = 40


@pytest.fixture(scope="module")
def entry(untrained_model):
    """A classified file: 40 tracks, 3 of them too short to classify, the others of several classes."""
    import dataclasses

    from resandi_core.classify import classify_tracks
    from resandi_core.model.spec import CLASS_NAMES
    from resandi_core.tracks import Tracks
    from resandi_gui.session import SessionFile

    rng = np.random.default_rng(11)
    parts = []
    for tid in range(N_TRACKS):
        n = 6 if tid < 3 else int(rng.integers(30, 200))
        parts.append(pd.DataFrame({"track_id": tid, "frame": np.arange(n), **dict(zip("xy", random_walk(n, rng).T))}))
    tracks = Tracks(pd.concat(parts, ignore_index=True), "cells.csv", pixel_size_um=0.1, frame_interval_s=0.05)
    result = classify_tracks(tracks, untrained_model, device="cpu")
    # Random weights answer one class, all uncertain: give the table a mixture of classes and of trust.
    table = result.tracks.copy()
    ok = (table["status"] == "ok").to_numpy()
    index = np.arange(len(table))
    table.loc[ok, "predicted_class"] = [CLASS_NAMES[(i * i) % len(CLASS_NAMES)] for i in index[ok]]
    table.loc[ok, "confidence"] = 0.3 + 0.6 * ((index[ok] * 7) % 10) / 10
    table["uncertain"] = ok & (index % 3 == 0)
    table["uncertain_reason"] = np.where(table["uncertain"], "confidence < 0.5", "")
    result = dataclasses.replace(result, tracks=table)
    return SessionFile(Path("cells.csv"), "tracks", tracks=tracks, result=result, model=untrained_model)


@pytest.fixture
def window(qtbot, untrained_model_dir):
    from resandi_core.settings import Settings
    from resandi_gui.main_window import MainWindow

    window = MainWindow(Settings(model=str(untrained_model_dir), device="cpu"))
    window.ask_calibration = lambda paths, ask_px, ask_dt: (0.1, 0.05)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.runner.cancel()
    window.runner.wait()


@pytest.fixture
def panel(qtbot, entry):
    from resandi_gui.panels.results_panel import ResultsPanel

    widget = ResultsPanel()
    qtbot.addWidget(widget)
    widget.resize(1400, 850)
    widget.show()
    widget.show_file(entry)
    return widget


def wait_idle(qtbot, window):
    qtbot.waitUntil(lambda: window.is_idle, timeout=JOB_TIMEOUT_MS)


# ------------------------------------------------------------------ Export Report

def test_export_report_is_disabled_with_a_reason_until_a_file_is_classified(qtbot, sync_jobs, window, tmp_path):
    from resandi_gui.study_actions import NOTHING_CLASSIFIED

    action = window.study_actions.report_action
    assert not action.isEnabled() and action.toolTip() == NOTHING_CLASSIFIED
    path = tmp_path / "control" / "cells.csv"
    path.parent.mkdir()
    pd.DataFrame({"track_id": np.repeat([0, 1], 30), "frame": np.tile(np.arange(30), 2),
                  "x": np.random.default_rng(0).normal(size=60).cumsum(), "y": np.arange(60.0)}).to_csv(path)
    window.open_files([path])
    wait_idle(qtbot, window)
    assert not action.isEnabled()  # opened, not classified
    window.classify(window.session.files)
    wait_idle(qtbot, window)
    assert action.isEnabled() and action.toolTip() != NOTHING_CLASSIFIED


@pytest.mark.slow
def test_export_report_writes_the_batch_folder_and_the_report_of_the_open_files(qtbot, sync_jobs, window, tmp_path):
    from resandi_core.io.writers import write_tracks_trackpy_csv
    from resandi_core.tracks import Tracks

    rng = np.random.default_rng(5)
    for condition in ("wild type", "mutant"):
        parts = [pd.DataFrame({"track_id": tid, "frame": np.arange(50), **dict(zip("xy", random_walk(50, rng).T))})
                 for tid in range(6)]
        write_tracks_trackpy_csv(Tracks(pd.concat(parts, ignore_index=True), "x"),
                                 tmp_path / condition / "cells.csv")
    window.open_files([tmp_path / "wild type" / "cells.csv", tmp_path / "mutant" / "cells.csv"])
    wait_idle(qtbot, window)
    window.classify(window.session.files)
    wait_idle(qtbot, window)
    opened = []
    actions = window.study_actions
    actions.open_url = opened.append
    assert actions.export_report(tmp_path / "report_out")
    wait_idle(qtbot, window)
    html = tmp_path / "report_out" / "report" / "report.html"
    assert html.is_file() and html.stat().st_size > 10_000 and window.last_error_box is None
    results = pd.read_csv(tmp_path / "report_out" / "results.csv")
    assert sorted(results["condition"].unique()) == ["mutant", "wild type"]  # each file's folder name
    assert len(results) == 12
    box = actions.report_box
    assert box is not None and "Report:" in box.text()
    open_report = next(b for b in box.buttons() if b.text() == "Open Report")
    open_report.click()
    assert [url.toLocalFile() for url in opened] == [str(html)]


def test_files_classified_with_different_models_are_not_mixed_in_one_report(qtbot, window, entry, tmp_path):
    import dataclasses

    from resandi_gui.session import SessionFile

    other_model = dataclasses.replace(entry.model, name="other", config={"weights": {"sha256": "0" * 64}})
    for name, model in (("a.csv", entry.model), ("b.csv", other_model)):
        window.session.add(SessionFile(tmp_path / name, "tracks", tracks=entry.tracks, result=entry.result,
                                       model=model))
    assert not window.study_actions.export_report(tmp_path / "out")
    assert "different models" in window.last_error_box.windowTitle()
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ plots saved

def all_plot_views(window) -> dict[str, object]:
    from resandi_gui.widgets.confusion_matrix import ConfusionMatrixView
    from resandi_gui.widgets.training_curves import TrainingCurves

    panel = window.results_panel
    curves, matrix = TrainingCurves(), ConfusionMatrixView()
    for widget in (curves, matrix):
        widget.resize(600, 400)
        widget.show()
    window._extra_plots = (curves, matrix)  # kept alive for the test
    return {"trajectory": panel.trajectory.graphics, "overview": panel.overview.graphics,
            "probabilities": panel.probabilities.graphics, "msd": panel.msd.graphics,
            "fractions": panel.fractions.graphics, "movie": window.data_panel.movie_view.graphics,
            "loss": curves.loss_plot, "accuracy": curves.accuracy_plot, "confusion": matrix.plot}


def test_every_plot_saves_as_png_and_svg_from_its_menu(qtbot, window, entry, tmp_path):
    from PySide6.QtGui import QImage

    from resandi_gui.widgets.plot_export import SAVE_PNG_TEXT, SAVE_SVG_TEXT, save_plot

    window.session.add(entry)
    window.tabs.setCurrentIndex(1)
    qtbot.wait(50)
    views = all_plot_views(window)
    for name, view in views.items():
        if not view.isVisible():  # the movie view sits on the hidden Data tab
            view.resize(500, 400)
        menu = view.save_menu
        assert [a.text() for a in menu.menu.actions()] == [SAVE_PNG_TEXT, SAVE_SVG_TEXT], name
        png = save_plot(view, tmp_path / f"{name}.png")
        image = QImage(str(png))
        assert not image.isNull() and image.width() >= 2 * view.width() - 2, name  # sharp: twice the screen size
        svg = save_plot(view, tmp_path / f"{name}.svg").read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<?xml") and "</svg>" in svg and len(svg) > 1_000, name
    assert not list(tmp_path.glob(".*.part"))  # no temporary file left behind


def test_a_right_click_on_a_plot_opens_the_save_menu(qtbot, panel):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    view = panel.msd.graphics
    centre = QPoint(view.width() // 2, view.height() // 2)
    QTest.mouseMove(view.viewport(), centre)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, centre)
    qtbot.waitUntil(lambda: view.save_menu.menu.isVisible(), timeout=3000)
    view.save_menu.menu.close()
    # Where pyqtgraph's own menu is left on (the training curves), the two entries are in it.
    from resandi_gui.widgets.training_curves import TrainingCurves

    curves = TrainingCurves()
    qtbot.addWidget(curves)
    menu_actions = curves.loss_plot.scene().contextMenu
    assert [a.text() for a in menu_actions] == ["Save Plot as PNG…", "Save Plot as SVG…"]


def test_a_plot_that_cannot_be_written_says_so_and_leaves_no_file(qtbot, panel, tmp_path):
    from resandi_gui.widgets.plot_export import save_plot

    with pytest.raises(ValueError, match="PNG or SVG"):
        save_plot(panel.msd.graphics, tmp_path / "msd.jpg")
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(OSError):  # its folder would be a file
        save_plot(panel.msd.graphics, blocker / "msd.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


# ------------------------------------------------------------------ class fractions

def expected_counts(entry, shown_ids) -> dict[str, int]:
    """Per class (and "not classified") among the shown tracks, from the result itself."""
    rows = entry.result.tracks.set_index("track_id").loc[shown_ids]
    names = rows["predicted_class"].where(rows["status"] == "ok", "not classified")
    return names.value_counts().to_dict()


def chart_counts(panel) -> dict[str, int]:
    from resandi_gui.widgets.class_fractions import BAR_NAMES

    counts = panel.fractions.counts
    return {name: int(n) for name, n in zip(BAR_NAMES, counts.counts) if n}


def test_the_class_fractions_count_exactly_the_rows_the_table_shows(panel, entry):
    from resandi_gui.widgets.track_table_model import STATUS_OK

    table = panel.table
    checks = 0
    for change in (
        lambda: None,
        lambda: table.hide_uncertain.setChecked(True),
        lambda: table.hide_uncertain.setChecked(False),
        lambda: table.status_filter.setCurrentText(STATUS_OK),
        lambda: table.class_filter.setCurrentText(str(entry.result.tracks["predicted_class"].dropna().mode()[0])),
        lambda: table.id_filter.setText("1"),
        lambda: table.id_filter.setText("no such track"),
    ):
        change()
        shown = table.visible_track_ids()
        counts = panel.fractions.counts
        assert counts.n_shown == len(shown) and counts.n_total == N_TRACKS
        if shown:
            assert chart_counts(panel) == expected_counts(entry, shown)
            assert counts.percent.sum() == pytest.approx(100.0)
            assert f"{len(shown):,} tracks shown (of {N_TRACKS})" in panel.fractions.plot.titleLabel.text
        else:
            assert "no track shown" in panel.fractions.plot.titleLabel.text
        checks += 1
    assert checks == 7


def test_uncertain_tracks_are_counted_in_their_class_and_hidden_with_them(panel, entry):
    from resandi_core.model.spec import CLASS_NAMES

    uncertain = entry.result.tracks["uncertain"].astype(bool)
    assert 0 < uncertain.sum() < N_TRACKS - 3, "the fixture needs some uncertain and some confident tracks"
    counts = panel.fractions.counts
    assert counts.uncertain.sum() == uncertain.sum()
    panel.table.hide_uncertain.setChecked(True)
    counts = panel.fractions.counts
    assert counts.uncertain.sum() == 0 and counts.n_shown == N_TRACKS - uncertain.sum()
    assert len(counts.counts) == len(CLASS_NAMES) + 1


def test_the_fractions_follow_the_shown_file(panel, entry):
    panel.show_file(None)
    assert panel.fractions.counts is None
    panel.show_file(entry)
    assert panel.fractions.counts.n_shown == N_TRACKS
