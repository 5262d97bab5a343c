"""The app as a new user meets it (issue 15): no silent wheel edits, no silent loss of work,
one y orientation, colours and classes explained, only real devices, a start page, 1280x800."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from resandi_core.paths import sample_path

pytestmark = pytest.mark.gui

JOB_TIMEOUT_MS = 180_000


@pytest.fixture
def window(qtbot, untrained_model_dir):
    from resandi_core.settings import Settings
    from resandi_gui.main_window import MainWindow

    window = MainWindow(Settings(model=str(untrained_model_dir), device="cpu"))
    window.ask_calibration = lambda paths, ask_px, ask_dt: (0.1, 0.05)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.runner.cancel()
    window.runner.wait()


def wait_idle(qtbot, window):
    qtbot.waitUntil(lambda: window.is_idle, timeout=JOB_TIMEOUT_MS)


def open_and_classify_sample(qtbot, window):
    window.open_files([sample_path("bulk_water_tracks.csv")])
    wait_idle(qtbot, window)
    window.classify(window.session.files)
    wait_idle(qtbot, window)
    return window.session.current


@pytest.fixture
def answers(monkeypatch):
    """Replace the Discard/Cancel question: tests set ``answers.reply``; ``answers.asked`` counts."""
    from types import SimpleNamespace

    from PySide6.QtWidgets import QMessageBox

    answers = SimpleNamespace(reply=QMessageBox.StandardButton.Cancel, asked=[])

    def question(parent, title, text, *args, **kwargs):
        answers.asked.append(title)
        return answers.reply

    monkeypatch.setattr("resandi_gui.unsaved.QMessageBox.question", question)
    return answers


# ------------------------------------------------------------------ 1. wheel
def test_the_wheel_over_an_unfocused_spin_box_changes_nothing(qtbot, window):
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication, QComboBox, QDoubleSpinBox

    window.tabs.setCurrentWidget(window.training_panel)
    box = next(b for b in window.training_panel.findChildren(QDoubleSpinBox) if b.isVisible() and b.isEnabled())
    combo = next(c for c in window.training_panel.findChildren(QComboBox) if c.isVisible() and c.isEnabled())
    window.tabs.setFocus()  # the user scrolls the panel; no field was clicked
    assert not box.hasFocus()

    def wheel(widget) -> None:
        centre = QPointF(widget.rect().center())
        event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(widget, event)

    value, index = box.value(), combo.currentIndex()
    wheel(box)
    wheel(combo)
    assert box.value() == value and combo.currentIndex() == index
    assert box.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel does not focus it either

    box.setFocus()  # clicked into: the wheel edits it, as the user expects
    qtbot.waitUntil(box.hasFocus)
    wheel(box)
    assert box.value() != value


# ------------------------------------------------------- 2. unexported work
def test_close_file_asks_before_discarding_unexported_results(qtbot, sync_jobs, window, answers, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    window.open_files([sample_path("bulk_water_tracks.csv")])
    wait_idle(qtbot, window)
    window.close_action.trigger()  # opened only: the file is on disk, nothing to lose
    assert answers.asked == [] and window.session.files == []

    entry = open_and_classify_sample(qtbot, window)
    answers.reply = QMessageBox.StandardButton.Cancel
    window.close_action.trigger()
    assert answers.asked == ["Close without exporting?"] and window.session.files == [entry]
    window.quit_action.trigger()  # File > Quit asks too, and Cancel keeps the window
    assert len(answers.asked) == 2 and window.isVisible()

    answers.reply = QMessageBox.StandardButton.Discard
    window.close_action.trigger()
    assert window.session.files == []

    entry = open_and_classify_sample(qtbot, window)
    window.export_results(tmp_path / "out")
    wait_idle(qtbot, window)
    answers.asked.clear()
    window.close_action.trigger()  # exported: closes without a question
    assert answers.asked == [] and window.session.files == []


def test_a_linked_movie_counts_as_unexported_work():
    from pathlib import Path

    from resandi_gui.session import KIND_MOVIE, KIND_TRACKS, SessionFile
    from resandi_gui.unsaved import mark_exported, unexported

    movie = SessionFile(Path("m.tif"), KIND_MOVIE)
    tracks = SessionFile(Path("t.csv"), KIND_TRACKS, tracks=object())
    assert unexported([movie, tracks]) == []
    movie.tracks = object()  # linked
    assert unexported([movie, tracks]) == [movie]

    class Result:
        pass

    tracks.result = Result()
    assert unexported([tracks]) == [tracks]
    mark_exported([tracks.result])
    assert unexported([tracks]) == []


# ----------------------------------------------------------- 3. orientation
def test_a_track_points_the_same_way_in_the_data_and_results_tabs(qtbot, sync_jobs, window):
    entry = open_and_classify_sample(qtbot, window)
    table = entry.tracks.table
    # A track that moves clearly in y, so "above" cannot be a rounding accident.
    spans = table.groupby("track_id").y.agg(lambda y: y.iloc[-1] - y.iloc[0])
    track_id = spans.abs().idxmax()
    points = table[table.track_id == track_id].sort_values("frame")
    first, last = points.iloc[0], points.iloc[-1]

    def first_is_above(view_box) -> bool:
        top = view_box.mapViewToScene(QPointF(first.x, first.y)).y()
        bottom = view_box.mapViewToScene(QPointF(last.x, last.y)).y()
        return top < bottom

    window.results_panel.select_track(track_id)
    in_data = first_is_above(window.data_panel.movie_view.plot.getViewBox())
    in_trajectory = first_is_above(window.results_panel.trajectory.plot.getViewBox())
    in_overview = first_is_above(window.results_panel.overview.plot.getViewBox())
    assert in_data == in_trajectory == in_overview
    assert in_data == (first.y < last.y)  # image convention: y grows downwards, as in Fiji


# ------------------------------------------------ 4. colour bar and classes
def test_the_colour_bar_says_what_red_and_blue_mean_for_the_chosen_class(qtbot, sync_jobs, window):
    entry = open_and_classify_sample(qtbot, window)
    panel = window.results_panel
    track_id = entry.result.tracks.query("status == 'ok'").track_id.iloc[0]
    panel.select_track(track_id)
    predicted = str(entry.result.tracks.set_index("track_id").loc[track_id, "predicted_class"])
    caption = panel.trajectory.caption
    assert caption.isVisible()
    assert f"red: pushed the network towards {predicted}, blue: away from it" in caption.text()
    other = next(name for name in ("SubCTRW", "BM") if name != predicted)
    panel.set_target(other)
    assert f"towards {other}" in caption.text() and f"Grad-CAM of {other}" in panel.trajectory.plot.titleLabel.text
    assert other in panel.trajectory.colorbar.getAxis("right").labelText


def test_every_class_has_one_plain_sentence_shown_in_help_legend_and_table(qtbot, sync_jobs, window):
    from PySide6.QtWidgets import QMessageBox

    from resandi_core.model.spec import CLASS_NAMES
    from resandi_gui.class_help import CLASS_SENTENCES

    assert list(CLASS_SENTENCES) == list(CLASS_NAMES)
    assert "continuous-time random walk" in CLASS_SENTENCES["SubCTRW"] and "subdiffusive" in CLASS_SENTENCES["SubCTRW"]
    action = next(a for m in window.menuBar().actions() if m.text() == "&Help"
                  for a in m.menu().actions() if "Eight Classes" in a.text())
    action.trigger()
    box = window.findChild(QMessageBox, "classHelp")
    assert box is not None and all(name in box.text() for name in CLASS_NAMES)
    box.close()

    open_and_classify_sample(qtbot, window)
    assert "waits (traps)" in window.results_panel.overview.legend.toolTip()
    model = window.results_panel.table.model
    name = model.data(model.index(0, 1))
    assert model.data(model.index(0, 1), Qt.ItemDataRole.ToolTipRole) == f"{name} — {CLASS_SENTENCES[name]}"


# ------------------------------------------------------- 5. devices, model
def test_only_available_devices_are_offered(qtbot, window, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    window.device_menu.aboutToShow.emit()
    assert [a.text() for a in window.device_menu.actions()] == ["auto", "cpu"]
    assert [a.text() for a in window.device_menu.actions() if a.isChecked()] == ["cpu"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    window.device_menu.aboutToShow.emit()
    assert [a.text() for a in window.device_menu.actions()] == ["auto", "cpu", "cuda"]
    window.device_menu.actions()[2].trigger()
    assert window.settings.device == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    window.device_menu.aboutToShow.emit()  # saved on a GPU computer: listed, checked and marked
    assert [a.text() for a in window.device_menu.actions() if a.isChecked()] == ["cuda (not available on this computer)"]


def test_the_model_in_use_is_checked_after_use_this_model(qtbot, window, untrained_model_dir, tmp_path):
    import shutil

    run = tmp_path / "runs" / "run-007"
    shutil.copytree(untrained_model_dir, run)
    window.training_panel.use_model_requested.emit(str(run))  # the Training tab's "Use this model"
    window.model_menu.aboutToShow.emit()
    checked = [a.text() for a in window.model_menu.actions() if a.isChecked()]
    assert len(checked) == 1 and checked[0].startswith("run-007")
    window.use_model(str(untrained_model_dir))  # Choose Model Folder… ends here too
    window.model_menu.aboutToShow.emit()
    checked = [a.text() for a in window.model_menu.actions() if a.isChecked()]
    assert len(checked) == 1 and checked[0].startswith(untrained_model_dir.name)


# --------------------------------------------------------------- 6. welcome
def test_the_empty_data_tab_welcomes_and_opens_the_sample(qtbot, sync_jobs, window):
    panel = window.data_panel
    assert panel.stack.currentWidget() is panel.welcome and panel.welcome.isVisible()
    qtbot.mouseClick(panel.welcome.tracks_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert [f.name for f in window.session.files] == ["bulk_water_tracks.csv"]
    assert panel.stack.currentWidget() is not panel.welcome
    window.session.remove(window.session.current)
    assert panel.stack.currentWidget() is panel.welcome  # back to the start once every file is closed


# ----------------------------------------------------------------- 7. size
def test_the_classified_sample_fits_1280x800(qtbot, sync_jobs, window):
    from PySide6.QtWidgets import QApplication

    open_and_classify_sample(qtbot, window)
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        assert window.width() <= 1280, window.tabs.tabText(index)
    assert window.minimumSizeHint().width() <= 1280
    assert window.minimumSizeHint().height() <= 800
