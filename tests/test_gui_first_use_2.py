"""The app as a new user meets it, second pass (issue 15): GUI words in errors, only real devices in
the Training tab, the model's accuracy before "Use this model", the dark/bright particle guess and
the calibration dialog for movies without metadata."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.gui

JOB_TIMEOUT_MS = 180_000
CORE = Path(__file__).resolve().parents[1] / "resandi_core"


@pytest.fixture
def window(qtbot, untrained_model_dir):
    from resandi_core.settings import Settings
    from resandi_gui.main_window import MainWindow

    window = MainWindow(Settings(model=str(untrained_model_dir), device="cpu"))
    window.asked = []

    def ask(paths, ask_px, ask_dt):
        window.asked.append(([p.name for p in paths], ask_px, ask_dt))
        return (0.2, 0.1)

    window.ask_calibration = ask
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.runner.cancel()
    window.runner.wait()


def wait_idle(qtbot, window):
    qtbot.waitUntil(lambda: window.is_idle, timeout=JOB_TIMEOUT_MS)


def write_movie(path: Path, dark: bool, n_frames: int = 4) -> Path:
    """A few 32x32 frames of four Gaussian spots on a noisy background, no calibration metadata."""
    import tifffile

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:32, :32]
    spots = sum(np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 3) for cy, cx in [(6, 7), (16, 24), (25, 10), (24, 26)])
    frames = 1000 + rng.normal(0, 5, (n_frames, 32, 32)) + (-600 if dark else 600) * spots
    tifffile.imwrite(path, frames.astype(np.uint16), photometric="minisblack")  # plain TIFF: no pixel size, no frame interval
    return path


# ------------------------------------------------------- 1. GUI words in GUI errors
def _core_hints() -> list[tuple[str, str]]:
    """Every literal ``hint=`` of the core outside the command line, as (place, text)."""
    hints = []
    for path in sorted(CORE.rglob("*.py")):
        if "cli" in path.relative_to(CORE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "hint":
                        text = "".join(n.value for n in ast.walk(keyword.value)
                                       if isinstance(n, ast.Constant) and isinstance(n.value, str))
                        hints.append((f"{path.name}:{node.lineno}", text))
    return hints


COMMAND_LINE = re.compile(r"--[a-z]|`resandi |mapping such as")


def test_no_core_hint_reaches_the_gui_in_command_line_words():
    from resandi_gui.gui_wording import gui_wording

    hints = _core_hints()
    assert len(hints) > 20
    left = [(place, gui_wording(text)) for place, text in hints if COMMAND_LINE.search(gui_wording(text))]
    assert left == []


@pytest.mark.parametrize(("text", "words"), [
    (("CUDA was asked for but no CUDA device is available (use --device cpu or auto, or install a CUDA build "
     "of PyTorch)"), "choose Analysis ▸ Device ▸ cpu or auto"),
    ("MPS was asked for but is not available (use --device cpu or auto)", "Analysis ▸ Device ▸ cpu"),
    (("the header needs track_id (or particle, trajectory...), frame, x and y; name other columns with a "
     "mapping such as track_id=Traj"), "rename the file's columns"),
    ("positions in px; pixel size unknown (give --pixel-size-um)", "File ▸ Set Calibration…"),
    ("--pixel-size-um must be a positive number, not -1.0 (leave out --pixel-size-um if unknown)",
     "the pixel size (File ▸ Set Calibration…) must be a positive number"),
    (("no particle found (lower --minmass, check --diameter, and use --invert for dark particles on a bright "
     "background)"), "lower Min. brightness, check Spot diameter, and tick “Dark particles on bright background”"),
    ("a run is in the folder (add --resume to continue it, or choose another folder)", "press Resume"),
])
def test_command_line_hints_are_said_in_gui_words(text, words):
    from resandi_gui.gui_wording import gui_wording

    said = gui_wording(text)
    assert words in said and not COMMAND_LINE.search(said)


def test_the_error_dialog_and_the_training_status_use_gui_words(qtbot, window, monkeypatch):
    import torch

    from resandi_core.devices import resolve_device
    from resandi_core.errors import ResandiError
    from resandi_gui.errors import error_box

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ResandiError) as caught:
        resolve_device("cuda")  # the real error a GPU choice gives on this computer
    box = error_box(window, "Cannot classify", str(caught.value))
    assert "Analysis ▸ Device ▸ cpu" in box.text() and "--device" not in box.text()
    window.training_panel._say(f"Train failed: {caught.value}", error=True)
    assert "Analysis ▸ Device ▸ cpu" in window.training_panel.status_label.text()


def test_an_unrecognised_table_is_explained_in_gui_words(qtbot, sync_jobs, window, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("a,b,c\n1,2,3\n1,3,4\n", encoding="utf-8")
    window.open_files([path])
    wait_idle(qtbot, window)
    text = window.last_error_box.text()
    assert "odd.csv" in text and "rename the file's columns" in text and "mapping such as" not in text


# ------------------------------------------------------- 2. the Training tab's Device box
def test_the_training_device_box_offers_only_available_devices(qtbot, window, monkeypatch):
    import torch

    box = window.training_panel.train_form.device
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    box.refresh()
    assert [box.itemText(i) for i in range(box.count())] == ["auto", "cpu"]
    assert box.currentText() == "cpu"  # the window's device, kept
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    box.showPopup()  # found again each time the list opens
    box.hidePopup()
    assert [box.itemText(i) for i in range(box.count())] == ["auto", "cpu", "cuda"]
    assert box.currentText() == "cpu"


# ------------------------------------------------------- 3. "Use this model" and its accuracy
@pytest.fixture
def questions(monkeypatch):
    """Replace the "Use this model?" question: ``questions.reply``; ``questions.asked`` holds the texts."""
    from types import SimpleNamespace

    from PySide6.QtWidgets import QMessageBox

    questions = SimpleNamespace(reply=QMessageBox.StandardButton.No, asked=[])

    def question(parent, title, text, *args, **kwargs):
        questions.asked.append(text)
        return questions.reply

    monkeypatch.setattr("resandi_gui.model_accuracy.QMessageBox.question", question)
    return questions


def _run_with_accuracy(untrained_model_dir: Path, folder: Path, accuracy: float | None) -> Path:
    shutil.copytree(untrained_model_dir, folder)
    if accuracy is not None:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        config["test_metrics"] = {"accuracy": accuracy}
        (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def test_use_this_model_asks_before_an_unevaluated_or_worse_model(qtbot, window, questions, untrained_model_dir,
                                                                   tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from resandi_gui.model_accuracy import measured_accuracy

    bundled = measured_accuracy(None)
    assert bundled is not None and 0 < bundled < 1
    panel, before = window.training_panel, window.settings.model
    toy = _run_with_accuracy(untrained_model_dir, tmp_path / "toy", None)
    panel.evaluate_form.model_folder.set_path(toy)
    assert panel.use_model_button.isEnabled()
    panel.use_model_button.click()
    assert len(questions.asked) == 1 and "was not evaluated" in questions.asked[0]
    assert window.settings.model == before and "not evaluated" in panel.status_label.text()
    questions.reply = QMessageBox.StandardButton.Yes
    panel.use_model_button.click()
    assert window.settings.model == str(toy)

    worse = _run_with_accuracy(untrained_model_dir, tmp_path / "worse", bundled / 2)
    panel.evaluate_form.model_folder.set_path(worse)
    panel.use_model_button.click()
    assert "less accurate than the bundled one" in questions.asked[-1] and f"{bundled / 2:.1%}" in questions.asked[-1]
    assert window.settings.model == str(worse)


def test_use_this_model_says_the_accuracy_of_a_better_model_without_asking(qtbot, window, questions,
                                                                           untrained_model_dir, tmp_path):
    better = _run_with_accuracy(untrained_model_dir, tmp_path / "better", 0.999)
    panel = window.training_panel
    panel.evaluate_form.model_folder.set_path(better)
    panel.use_model_button.click()
    assert questions.asked == []
    assert window.settings.model == str(better)
    assert "99.9% accuracy on its test data" in panel.status_label.text()
    assert "99.9% accuracy" in window.statusBar().currentMessage()


# ------------------------------------------------------- 4. the dark/bright particle guess
def test_the_sample_movie_is_guessed_dark(qtbot, sync_jobs, window):
    window.open_sample_movie()
    wait_idle(qtbot, window)
    entry, panel = window.session.current, window.data_panel.linking_panel
    assert entry.linking["invert"] is True and panel.invert.isChecked()
    assert panel.guess_note.isVisible()
    assert panel.guess_note.text() == "Guessed from the movie: dark particles on a bright background."
    assert window.asked == []  # the sample has its calibration in its metadata


@pytest.mark.parametrize("dark", [True, False])
def test_a_movie_gets_its_guess_without_changing_the_users_default(qtbot, sync_jobs, window, tmp_path, dark):
    window.settings.linking = {"invert": not dark}  # the user's default says the opposite
    path = write_movie(tmp_path / "beads.tif", dark=dark)
    window.open_files([path])
    wait_idle(qtbot, window)
    panel = window.data_panel.linking_panel
    assert window.session.current.path == path.resolve()
    assert panel.invert.isChecked() is dark
    assert ("dark particles" if dark else "bright particles") in panel.guess_note.text()
    panel.diameter.setValue(panel.diameter.value() + 2)  # an edit saves the panel as the user's defaults...
    assert window.settings.linking["invert"] is (not dark)  # ...but not the guess
    assert "invert_guess" not in window.settings.linking


def test_the_guess_leaves_a_movie_without_a_clear_tail_alone(qtbot, sync_jobs, window, tmp_path):
    import tifffile

    path = tmp_path / "noise.tif"
    tifffile.imwrite(path, np.random.default_rng(2).normal(1000, 5, (3, 32, 32)).astype(np.uint16),
                     photometric="minisblack")
    window.settings.linking = {"invert": True}
    window.open_files([path])
    wait_idle(qtbot, window)
    panel = window.data_panel.linking_panel
    assert panel.invert.isChecked() and not panel.guess_note.isVisible()


# ------------------------------------------------------- 5. calibration for movies without metadata
def test_a_movie_without_metadata_asks_for_its_calibration(qtbot, sync_jobs, window, tmp_path):
    path = write_movie(tmp_path / "plain.tif", dark=True)
    window.open_files([path])
    wait_idle(qtbot, window)
    assert window.asked == [(["plain.tif"], True, True)]
    entry = window.session.current
    assert entry.linking["pixel_size_um"] == 0.2 and entry.linking["frame_interval_s"] == 0.1
    assert window.data_panel.linking_panel.calibration() == (0.2, 0.1)
    assert window.settings.pixel_size_um == 0.2  # the next dialog's default


def test_cancelling_the_calibration_of_a_movie_opens_it_uncalibrated(qtbot, sync_jobs, window, tmp_path):
    window.ask_calibration = lambda paths, ask_px, ask_dt: None
    path = write_movie(tmp_path / "plain.tif", dark=False)
    window.open_files([path])
    wait_idle(qtbot, window)
    entry = window.session.current
    assert entry.path == path.resolve()
    assert "pixel_size_um" not in entry.linking and "frame_interval_s" not in entry.linking
