"""The Training tab, driven offscreen with a real JobRunner on toy-sized jobs.

Generate 16 trajectories per class of 50 points, train a 3-epoch toy model with one
step of 16 per epoch, cancel after the first epoch, resume to the end, evaluate,
hand the model over. The numbers are meaningless; the wiring is what is checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = [pytest.mark.gui, pytest.mark.slow]

TIMEOUT_MS = 120_000


@pytest.fixture
def panel(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("RESANDI_SETTINGS_FILE", str(tmp_path / "settings.json"))
    from PySide6.QtWidgets import QMessageBox

    from resandi_core.settings import Settings
    from resandi_gui.panels.training_panel import TrainingPanel

    # "Use this model" asks before switching to this run's toy model (tested in test_gui_first_use_2.py): say yes.
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    from resandi_gui.workers import JobRunner

    runner = JobRunner()
    settings = Settings(device="cpu")
    panel = TrainingPanel(runner, settings)
    qtbot.addWidget(panel)
    panel.set_workspace(tmp_path / "workspace")
    panel.show()  # fills the recipe with TrainConfig() defaults
    panel.rate_steps = 1
    panel.failures = []
    runner.failed.connect(panel.failures.append)
    yield panel
    runner.cancel()
    # Not runner.wait(): the thread ends through queued signals that need the event loop.
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)


def _tiny_recipe(form, epochs: int) -> None:
    form.max_epochs.setValue(epochs)
    form.batch_size.setValue(16)
    form.steps_per_epoch.setValue(1)
    form.device.setCurrentText("cpu")


def test_generate_train_cancel_resume_evaluate_and_use(qtbot, panel, tmp_path):
    from resandi_core.model.store import load_model_folder
    from resandi_core.progress import run_job
    from resandi_core.training.evaluate import iter_evaluate
    from resandi_core.training.synth import load_dataset

    runner = panel.runner
    assert panel.train_form.max_epochs.value() == 100 and panel.train_form.lr.value() == 1e-4  # paper defaults
    assert not panel.cancel_button.isEnabled() and not panel.resume_button.isEnabled()

    # 1. generate from the tab
    gen = panel.generate_form
    gen.n_per_class.setValue(16)
    gen.seed.setValue(1)
    gen.fixed_length.setChecked(True)
    gen.length.setValue(50)
    data_dir = gen.folder.path()
    assert data_dir.parent == tmp_path / "workspace" / "data"
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        panel.generate_button.click()
    manifest = json.loads((data_dir / "manifest.json").read_text())
    assert manifest["complete"] and manifest["n_trajectories"] == 128 and manifest["spec"]["fixed_length"] == 50
    assert panel.train_form.data_folder.path() == data_dir  # "use for: training"

    # 2. train; cancel on the first epoch event
    form = panel.train_form
    _tiny_recipe(form, epochs=3)
    out = form.out_folder.path()
    asked = []
    panel.confirm_long_runs = lambda estimate, rate: asked.append((estimate, rate)) or True
    seen = {}

    def cancel_after_first_epoch(event):
        if getattr(event, "event", None) == "step" and "busy" not in seen:
            seen["busy"] = (panel.train_button.isEnabled(), panel.generate_button.isEnabled(),
                            panel.evaluate_button.isEnabled(), panel.cancel_button.isEnabled())
        if getattr(event, "event", None) == "epoch" and "cancelled" not in seen:
            seen["cancelled"] = event.epoch
            runner.cancel()

    runner.progress.connect(cancel_after_first_epoch)
    with qtbot.waitSignal(runner.cancelled, timeout=TIMEOUT_MS):
        panel.train_button.click()
    runner.progress.disconnect(cancel_after_first_epoch)
    assert seen["busy"] == (False, False, False, True)  # job starters off, Cancel on while busy
    assert asked == []  # a toy run is far under an hour: no question
    assert panel.last_estimate is not None and 0 < panel.last_estimate[0] < 3600
    assert (out / "checkpoint.pt").is_file() and not (out / "model.safetensors").exists()
    saved = [int(float(line.split(",")[0])) for line in (out / "history.csv").read_text().splitlines()[1:]]
    assert panel.curves.epochs == saved and saved[0] == 1 and len(saved) < 3  # stopped early in the run
    qtbot.waitUntil(lambda: panel.resume_button.isEnabled(), timeout=5_000)
    assert not panel.cancel_button.isEnabled() and not panel.use_model_button.isEnabled()

    # 3. resume to the end
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        panel.resume_button.click()
    model = load_model_folder(out)
    assert model.trained and model.config["training"]["epochs"] == 3
    assert panel.curves.epochs == [1, 2, 3]
    history = [row["val_loss"] for row in panel.curves.rows()]
    assert np.allclose(history, [float(line.split(",")[3]) for line in (out / "history.csv").read_text().splitlines()[1:]],
                       rtol=1e-5)
    assert panel.model_dir == out and panel.evaluate_form.model_path() == out
    assert panel.use_model_button.isEnabled()

    # 4. evaluate on the tiny set: the matrix shown is the core's
    panel.evaluate_form.test_folder.set_path(data_dir)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        panel.evaluate_button.click()
    expected = run_job(iter_evaluate(load_model_folder(out), load_dataset(data_dir), device="cpu"))
    np.testing.assert_allclose(panel.confusion.values(), expected.confusion_percent())
    assert panel.confusion.cell_texts()[0][0] == f"{expected.confusion_percent()[0, 0]:.1f}"
    assert f"{100 * expected.accuracy:.2f}%" in panel.confusion.title()
    assert (out / "evaluation" / "confusion.csv").is_file() and (out / "evaluation" / "metrics.json").is_file()
    assert "## Measured test metrics" in (out / "model_card.md").read_text()
    load_model_folder(out)  # the card update kept the folder valid

    # 5. use the model
    with qtbot.waitSignal(panel.use_model_requested, timeout=5_000) as blocker:
        panel.use_model_button.click()
    assert blocker.args == [str(out)]
    assert panel.failures == []


def test_a_long_run_asks_with_the_estimate_and_no_means_no(qtbot, panel, tmp_path):
    from resandi_core.training.estimate import estimate_training_seconds, training_items

    # Only the manifest is read before the question (the speed test uses random inputs).
    data = tmp_path / "fake_set"
    data.mkdir()
    (data / "manifest.json").write_text(json.dumps({"complete": True, "n_trajectories": 128}))
    form = panel.train_form
    form.data_folder.set_path(data)
    _tiny_recipe(form, epochs=1_000_000)  # ~1e6 steps of 16: days on any computer
    out = form.out_folder.path()
    asked = []
    panel.confirm_long_runs = lambda estimate, rate: asked.append((estimate, rate)) or False
    panel.train_button.click()
    qtbot.waitUntil(lambda: bool(asked) and not panel.runner.busy, timeout=TIMEOUT_MS)
    qtbot.wait(50)  # time for a (wrong) training start to show
    assert len(asked) == 1
    estimate, rate = asked[0]
    config = form.config()
    assert estimate == estimate_training_seconds(config, training_items(128 - 13, config), rate) > 3600
    assert panel.last_estimate == (estimate, rate)
    assert "CPU" in panel._pending_question and "samples/s" in panel._pending_question
    assert not panel.runner.busy and not out.exists()  # training never started
    assert panel.train_button.isEnabled() and panel.failures == []


def test_building_the_tab_imports_no_torch(tmp_path):
    script = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from resandi_core.settings import Settings\n"
        "from resandi_gui.panels.training_panel import TrainingPanel\n"
        "from resandi_gui.workers import JobRunner\n"
        "TrainingPanel(JobRunner(), Settings())\n"
        "assert 'torch' not in sys.modules, 'torch imported while building the tab'\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "RESANDI_SETTINGS_FILE": str(tmp_path / "s.json")}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr


def test_the_form_gives_the_cli_recipe(panel):
    from resandi_core.cli.main import build_parser
    from resandi_core.cli.train import _train_config

    def cli(*options):
        return _train_config(build_parser().parse_args(["train", "--data", "d", "--out", "o", *options]))

    form = panel.train_form
    form.device.setCurrentText("auto")
    assert form.config() == cli()  # the paper's recipe, untouched
    form.lr.setText("3e-4")
    form.schedule.setCurrentText("cosine")
    form.steps_per_epoch.setValue(5)
    form.max_minutes.setValue(30)
    form.fine_tune.setChecked(form.fine_tune.isEnabled())
    form.augment_radios["random"].setChecked(True)
    form.augment_fraction.setValue(0.5)
    form.augment_pool.setValue(100)
    form.val_fraction.setValue(0.2)
    assert not form.noise_max.isEnabled()  # no noise: its range is not asked
    form.noise.setCurrentText("loguniform")
    assert form.noise_max.isEnabled()
    form.noise_min.setValue(0.05)
    form.noise_max.setValue(1.2)
    form.noise_clean.setValue(0.3)
    options = ["--lr", "3e-4", "--schedule", "cosine", "--steps-per-epoch", "5", "--max-minutes", "30",
               "--augment", "random", "--augment-fraction", "0.5", "--augment-pool", "100", "--val-fraction", "0.2",
               "--noise-augment", "loguniform", "--noise-sigma-min", "0.05", "--noise-sigma-max", "1.2",
               "--noise-clean-fraction", "0.3"]
    assert form.config() == cli(*options, *(["--fine-tune"] if form.fine_tune.isEnabled() else []))
