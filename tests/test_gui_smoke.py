"""The desktop app's main window, driven offscreen with pytest-qt."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.gui


def test_main_window_opens_and_lists_models(qtbot, monkeypatch, untrained_model_dir):
    monkeypatch.setenv("RESANDI_MODELS_DIR", str(untrained_model_dir.parent))
    from resandi_gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    text = window.label.text()
    assert "ResAnDi" in window.windowTitle()
    assert "untrained-seed0" in text and "UNTRAINED" in text
    assert [a.text() for a in window.menuBar().actions()] == ["&Help"]


def test_gui_entry_point_writes_a_screenshot(tmp_path):
    png = tmp_path / "window.png"
    run = subprocess.run(
        [sys.executable, "-m", "resandi_gui.app", "--screenshot", str(png)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert run.returncode == 0, run.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
