"""File ▸ Batch Classify Folders, driven offscreen: conditions preview, a run with a broken file, cancel, resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from factories import random_walk

pytestmark = pytest.mark.gui

JOB_TIMEOUT_MS = 300_000
STUDY = {"control": ["cells_a.csv", "cells_b.csv"], "drug": ["cells_c.csv", "cells_d.csv"]}
BROKEN = "drug/broken.csv"


def write_study(root: Path) -> Path:
    """root/control: 2 trackpy CSVs; root/drug: 2 trackpy CSVs and one broken file (a header, no rows)."""
    from resandi_core.io.writers import write_tracks_trackpy_csv
    from resandi_core.tracks import Tracks

    rng = np.random.default_rng(3)
    for condition, names in STUDY.items():
        for name in names:
            parts = [pd.DataFrame({"track_id": tid, "frame": np.arange(40),
                                   **dict(zip("xy", random_walk(40, rng).T))}) for tid in range(4)]
            tracks = Tracks(pd.concat(parts, ignore_index=True), source=name)
            write_tracks_trackpy_csv(tracks, root / condition / name)
    (root / BROKEN).write_text("a;b\n;;\n")
    return root


@pytest.fixture
def window(qtbot, untrained_model_dir):
    from resandi_core.settings import Settings
    from resandi_gui.main_window import MainWindow

    window = MainWindow(Settings(model=str(untrained_model_dir), device="cpu"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.runner.cancel()
    window.runner.wait()


@pytest.fixture
def dialog(window, tmp_path):
    dialog = window.study_actions.show_batch_dialog()
    dialog.add_folders([write_study(tmp_path / "experiment")])
    dialog.update_preview()  # at once, not after the typing delay
    dialog.set_output(tmp_path / "out")
    return dialog


def wait_idle(qtbot, window):
    qtbot.waitUntil(lambda: window.is_idle, timeout=JOB_TIMEOUT_MS)


def test_the_menu_opens_the_dialog_with_the_windows_model(qtbot, window, untrained_model_dir):
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    action = next(a for a in file_menu.actions() if a.text() == "&Batch Classify Folders…")
    action.trigger()
    dialog = window.study_actions.batch_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()  # the window's Cancel stays usable
    assert str(untrained_model_dir) in dialog.setup_label.text() and "cpu" in dialog.setup_label.text()
    assert not dialog.start_button.isEnabled()  # no folder yet
    assert "Add the folders" in dialog.preview.summary.text()


def test_the_preview_shows_each_files_condition_and_follows_the_depth(dialog, tmp_path):
    assert dialog.preview.conditions() == {
        "control": ["experiment/control/cells_a.csv", "experiment/control/cells_b.csv"],
        "drug": ["experiment/drug/broken.csv", "experiment/drug/cells_c.csv", "experiment/drug/cells_d.csv"],
    }
    assert dialog.preview.summary.text() == "5 files in 2 conditions: control (2), drug (3)"
    assert dialog.start_button.isEnabled()
    dialog.depth.setValue(0)  # the folder added is the condition
    dialog.update_preview()
    assert list(dialog.preview.conditions()) == ["experiment"]
    mapping = tmp_path / "conditions.csv"
    mapping.write_text("file,condition\ncells_a.csv,wild type\ndrug/cells_c.csv,knock-down\n")
    dialog.set_condition_map(mapping)
    dialog.update_preview()
    shown = dialog.preview.conditions()
    assert shown["wild type"] == ["experiment/control/cells_a.csv"] and shown["knock-down"] == [
        "experiment/drug/cells_c.csv"]
    assert len(shown["unmapped"]) == 3


def test_a_bad_mapping_or_an_output_inside_the_input_is_said_and_blocks_start(dialog, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,group\na,b\n")
    dialog.set_condition_map(bad)
    dialog.update_preview()
    assert "lacks the column" in dialog.preview.summary.text() and not dialog.start_button.isEnabled()
    dialog.set_condition_map(None)
    dialog.update_preview()
    assert dialog.start_button.isEnabled()
    dialog.set_output(tmp_path / "experiment" / "results")
    assert not dialog.start_button.isEnabled()
    assert "inside" in dialog.start_button.toolTip()


@pytest.mark.slow
def test_a_batch_with_a_broken_file_writes_the_tables_and_the_report_and_says_why_in_words(
        qtbot, sync_jobs, window, dialog, tmp_path):
    out = tmp_path / "out"
    opened = []
    dialog.open_url = opened.append
    dialog.start()
    wait_idle(qtbot, window)
    outcome = dialog.outcome
    assert outcome is not None and window.last_error_box is None
    assert (outcome.result.n_classified, outcome.result.n_reused, outcome.result.n_failed) == (4, 0, 1)
    results = pd.read_csv(out / "results.csv")
    assert sorted(results.groupby("condition")["file"].nunique().items()) == [("control", 2), ("drug", 2)]
    assert len(results) == 16  # 4 tracks in each of the 4 good files
    errors = [dialog.error_list.item(i).text() for i in range(dialog.error_list.count())]
    assert len(errors) == 1 and errors[0].startswith("broken.csv (drug) could not be read: ")
    assert "Traceback" not in errors[0] and "Error" not in errors[0]
    assert "4 files classified" in dialog.status_label.text() and "1 failed" in dialog.status_label.text()
    report = out / "report" / "report.html"
    assert report.is_file() and report.stat().st_size > 10_000 and (out / "report" / "report.pdf").is_file()
    assert dialog.open_report_button.isEnabled()
    dialog.open_report_button.click()
    dialog.open_folder_button.click()
    assert [url.toLocalFile() for url in opened] == [str(report), str(out)]


@pytest.mark.slow
def test_cancel_keeps_finished_files_and_the_next_run_reuses_them(qtbot, sync_jobs, window, dialog, tmp_path,
                                                                   monkeypatch):
    from resandi_core.study import run
    from resandi_core.study.layout import CACHE_FOLDER

    monkeypatch.setattr(run, "CHUNK_FILES", 1)  # each file finished on its own, as large files are
    out = tmp_path / "out"
    dialog.report_check.setChecked(False)
    seen = []

    def cancel_at_the_third_file(event):
        seen.append(event)
        if getattr(event, "file_index", 0) >= 2:
            window.runner.cancel()

    window.runner.progress.connect(cancel_at_the_third_file)
    dialog.start()
    wait_idle(qtbot, window)
    window.runner.progress.disconnect(cancel_at_the_third_file)
    assert dialog.outcome is None and "Cancelled" in dialog.status_label.text()
    assert len(list((out / CACHE_FOLDER).glob("*/done.json"))) == 2  # files 1 and 2 of 5 were finished
    assert not (out / "results.csv").exists()
    assert any(getattr(e, "n_files", None) == 5 for e in seen)  # batch events reached the window

    dialog.start()
    wait_idle(qtbot, window)
    result = dialog.outcome.result
    assert (result.n_reused, result.n_classified, result.n_failed) == (2, 2, 1)
    assert "2 reused" in dialog.status_label.text()


def test_the_status_bar_counts_files_and_gives_an_eta_for_a_batch(qtbot, window):
    from resandi_core.progress import Progress
    from resandi_core.study.run import BatchProgress

    bar = window.job_progress
    bar._on_started("Batch classify")
    bar.on_progress(BatchProgress(0, 1, "cells_a.csv (1/20): read", file_index=0, n_files=20))
    bar.on_progress(BatchProgress(50, 100, "cells_c.csv (3/20): classify", file_index=2, n_files=20))
    text = bar.label.text()
    assert text.startswith("Batch classify: file 3 of 20 (cells_c.csv: classify) · ETA ")
    assert not text.endswith("ETA ?")  # 2.5 files done: an ETA over the whole batch
    assert bar.bar.value() / bar.bar.maximum() == pytest.approx(2.5 / 20)
    bar.on_progress(BatchProgress(20, 20, "write", file_index=20, n_files=20))
    assert "writing the tables" in bar.label.text()
    bar.on_progress(Progress(3, 21, "report"))  # then the report's own events, as before
    assert "3 / 21" in bar.label.text() and bar.bar.maximum() == 21
