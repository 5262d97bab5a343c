"""The desktop app's main window, driven offscreen with pytest-qt."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.gui


def test_main_window_opens_with_its_menus_tabs_and_models(qtbot, monkeypatch, untrained_model_dir):
    monkeypatch.setenv("RESANDI_MODELS_DIR", str(untrained_model_dir.parent))
    from resandi_gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert "ResAnDi" in window.windowTitle()
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&Analysis", "&Help"]
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Data", "Results", "Training"]
    window._fill_model_menu()
    labels = [a.text() for a in window.model_menu.actions()]
    assert any("untrained-seed0" in t and "UNTRAINED" in t for t in labels)
    assert any("resandi-interim-cpu" in t for t in labels)  # the bundled default
    assert not window.classify_action.isEnabled()  # nothing open yet


def test_the_window_opens_without_importing_torch_or_trackpy():
    code = (
        "import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]);"
        "from resandi_gui.main_window import MainWindow; w = MainWindow(); w.show(); app.processEvents();"
        "print(sorted(m for m in ('torch', 'trackpy', 'andi_datasets') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"


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


def test_a_scripted_run_says_why_it_failed(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n;;\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-m", "resandi_gui.app", str(bad), "--screenshot", str(tmp_path / "x.png")],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 1 and "bad.csv" in run.stderr
    run = subprocess.run([sys.executable, "-m", "resandi_gui.app", "--size", "1400"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 2 and "WIDTHxHEIGHT" in run.stderr
