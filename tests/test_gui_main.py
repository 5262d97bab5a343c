"""The real main window, driven offscreen: open, link, classify, select, export, drop."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.gui

JOB_TIMEOUT_MS = 180_000


@pytest.fixture
def window(qtbot, untrained_model_dir):
    from resandi_core.settings import Settings
    from resandi_gui.main_window import MainWindow

    window = MainWindow(Settings(model=str(untrained_model_dir), device="cpu"))
    window.ask_calibration = lambda paths, ask_px, ask_dt: (0.1, 0.05)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.runner.cancel()
    window.runner.wait()


def wait_idle(qtbot, window, timeout=JOB_TIMEOUT_MS):
    qtbot.waitUntil(lambda: window.is_idle, timeout=timeout)


def write_tracks(path: Path, n_tracks: int = 12, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    rows = []
    for tid in range(n_tracks):
        n = int(rng.integers(40, 300))
        xy = np.cumsum(rng.normal(0, 1, (n, 2)), axis=0)
        rows += [(tid, f, x, y) for f, (x, y) in enumerate(xy)]
    pd.DataFrame(rows, columns=["track_id", "frame", "x", "y"]).to_csv(path, index=False)
    return path


def test_open_the_bundled_sample_from_the_help_menu(qtbot, sync_jobs, window):
    action = next(a for m in window.menuBar().actions() if m.text() == "&Help"
                  for a in m.menu().actions() if "Sample &Tracks" in a.text())
    action.trigger()
    wait_idle(qtbot, window)
    (entry,) = window.session.files
    assert entry.name == "bulk_water_tracks.csv" and entry.tracks.n_tracks == 300
    assert entry.tracks.position_unit == "µm" and entry.tracks.frame_interval_s == pytest.approx(1 / 24, rel=1e-4)
    assert window.session_list.count() == 1 and "300 tracks" in window.session_list.item(0).text()
    assert str(entry.path) in window.settings.recent_files[0]


def test_classify_select_and_the_views_show_the_core_numbers(qtbot, window, tmp_path, untrained_model):
    from resandi_core.classify import PROB_COLUMNS, classify_tracks
    from resandi_core.io import read_tracks

    path = write_tracks(tmp_path / "cells.csv")
    window.open_files([path])
    wait_idle(qtbot, window)
    entry = window.session.current
    assert entry.tracks.pixel_size_um == 0.1 and entry.tracks.frame_interval_s == 0.05  # asked once
    window.classify_action.trigger()
    assert not window.classify_action.isEnabled()  # no second job while one runs
    wait_idle(qtbot, window)
    assert entry.result is not None and window.tabs.currentIndex() == 1

    expected = classify_tracks(read_tracks(path, pixel_size_um=0.1, frame_interval_s=0.05), untrained_model, device="cpu")
    pd.testing.assert_frame_equal(
        entry.result.tracks[PROB_COLUMNS + ["predicted_class", "alpha_msd", "D_msd"]],
        expected.tracks[PROB_COLUMNS + ["predicted_class", "alpha_msd", "D_msd"]],
        rtol=1e-4,
    )
    panel = window.results_panel
    panel.select_track(7)
    assert panel.selected_track_id == 7
    frames, scores = panel.scores_for(7)
    core = expected.gradcam[expected.gradcam.track_id == 7]
    np.testing.assert_allclose(frames, core.frame.to_numpy())
    np.testing.assert_allclose(scores, core.score.to_numpy(), rtol=1e-4, atol=1e-6)


def test_a_result_lands_on_the_file_it_came_from(qtbot, window, tmp_path):
    first = write_tracks(tmp_path / "first.csv", 40, seed=1)
    second = write_tracks(tmp_path / "second.csv", 5, seed=2)
    window.open_files([first, second])
    wait_idle(qtbot, window)
    entry_a, entry_b = window.session.files
    window.classify([entry_a])
    window.session.set_current(entry_b)  # the user looks elsewhere while it runs
    wait_idle(qtbot, window)
    assert entry_a.result is not None and len(entry_a.result.tracks) == 40
    assert entry_b.result is None


def test_one_bad_file_in_a_batch_is_one_dialog_and_the_rest_open(qtbot, window, tmp_path):
    good = write_tracks(tmp_path / "good.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n;;\n")
    window.open_files([bad, good])
    wait_idle(qtbot, window)
    assert [f.name for f in window.session.files] == ["good.csv"]
    box = window.last_error_box
    assert box is not None and "1 of 2" in box.text() and "bad.csv" in box.text()
    assert "log file" in box.informativeText()
    box.close()


def test_link_a_slice_of_bulk_water_then_classify(qtbot, window):
    window.open_sample_movie()  # frames 0-49 of bulk_water.tif
    wait_idle(qtbot, window)
    entry = window.session.current
    assert entry.kind == "movie" and entry.tracks is None
    panel = window.data_panel
    assert panel.linking_params().invert  # dark beads: the sample opens set up for them
    qtbot.waitUntil(lambda: (panel.preview_count or 0) > 300, timeout=30_000)  # the live preview found the beads
    panel.linking_panel.set_params(dataclasses.replace(panel.linking_params(), min_length=10))
    panel.linking_panel.set_frame_range(0, 29)  # both included
    panel.link_button.click()
    wait_idle(qtbot, window)
    assert entry.tracks is not None and entry.tracks.n_tracks > 50
    assert entry.tracks.table.frame.max() < 30
    window.classify([entry])
    wait_idle(qtbot, window)
    assert (entry.result.tracks.status == "ok").sum() > 50


def test_drop_files_on_the_window(qtbot, sync_jobs, window, tmp_path):
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    path = write_tracks(tmp_path / "dropped.csv")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(QPoint(10, 10)), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    wait_idle(qtbot, window)
    assert [f.name for f in window.session.files] == ["dropped.csv"]


def test_export_writes_what_the_cli_writes(qtbot, sync_jobs, window, tmp_path, untrained_model_dir):
    from resandi_core.cli import main as cli_main

    path = write_tracks(tmp_path / "cells.csv")
    window.ask_calibration = lambda *_: None  # keep px and frames, as the CLI does without options
    window.open_files([path])
    wait_idle(qtbot, window)
    window.classify(window.session.files)
    wait_idle(qtbot, window)
    window.export_results(tmp_path / "gui")
    wait_idle(qtbot, window)
    assert [p.name for p in window.last_export] == ["results.csv", "gradcam.csv", "windows.csv"]
    assert cli_main(["classify", str(path), "--model", str(untrained_model_dir), "--device", "cpu",
                     "--out", str(tmp_path / "cli"), "-q"]) == 0
    for name in ("results.csv", "gradcam.csv"):
        gui = pd.read_csv(tmp_path / "gui" / name).drop(columns=["file"])
        cli = pd.read_csv(tmp_path / "cli" / name).drop(columns=["file"])
        pd.testing.assert_frame_equal(gui, cli, rtol=1e-5)


def test_settings_are_saved_and_restored(qtbot, sync_jobs, window, tmp_path):
    from resandi_core.settings import load_settings

    path = write_tracks(tmp_path / "cells.csv")
    window.open_files([path])
    wait_idle(qtbot, window)
    window.close()
    saved = load_settings()
    assert saved.recent_files[0] == str(path.resolve())
    assert saved.pixel_size_um == 0.1 and saved.frame_interval_s == 0.05 and saved.device == "cpu"


@pytest.mark.slow
def test_entry_point_opens_classifies_and_saves_a_screenshot(tmp_path, untrained_model_dir):
    from resandi_core.settings import Settings, save_settings

    save_settings(Settings(model=str(untrained_model_dir), device="cpu"))
    png = tmp_path / "window.png"
    tracks = write_tracks(tmp_path / "cells.csv")
    run = subprocess.run(
        [sys.executable, "-m", "resandi_gui.app", str(tracks), "--classify", "--screenshot", str(png)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert run.returncode == 0, run.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_a_failed_job_does_not_drop_the_files_opened_meanwhile(qtbot, window, tmp_path):
    from resandi_core.errors import ResandiError
    from resandi_core.progress import Progress

    def failing():
        yield Progress(0, 1)
        raise ResandiError("no particle found")

    path = write_tracks(tmp_path / "later.csv")
    window.run_job("failing", failing)
    window.open_files([path])  # queued behind the failing job
    wait_idle(qtbot, window)
    assert [f.name for f in window.session.files] == ["later.csv"]
    assert "no particle found" in window.last_error_box.text()


def test_the_sample_movies_dark_beads_do_not_become_the_users_default(qtbot, window):
    window.open_sample_movie()
    wait_idle(qtbot, window)
    assert window.data_panel.linking_params().invert
    window.data_panel.linking_panel.set_params(
        dataclasses.replace(window.data_panel.linking_params(), diameter=9))
    window.data_panel.linking_changed.emit(window.data_panel.linking_params().to_dict())
    assert window.settings.linking["diameter"] == 9
    assert not window.settings.linking.get("invert", False)
