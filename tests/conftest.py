"""Shared fixtures. Tests never touch the user's real model folder or settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))  # for `factories`


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Point the per-user model folder, the settings file and the GUI log at temporary places."""
    monkeypatch.setenv("RESANDI_MODELS_DIR", str(tmp_path_factory.mktemp("user_models")))
    settings_dir = tmp_path_factory.mktemp("user_settings")
    monkeypatch.setenv("RESANDI_SETTINGS_FILE", str(settings_dir / "settings.json"))
    monkeypatch.setenv("RESANDI_LOG_FILE", str(settings_dir / "resandi-gui.log"))


#: The shared real movie, found from any clone location (../shared next to the clone, or /work/shared).
BULK_WATER_CANDIDATES = [
    Path(__file__).resolve().parents[2] / "shared" / "data" / "bulk_water.tif",
    Path("/work/shared/data/bulk_water.tif"),
]


@pytest.fixture
def sync_jobs(monkeypatch):
    """Run the app's background jobs on the calling thread (``RESANDI_GUI_SYNC=1``).

    For GUI tests about what a job's result shows, where a real thread adds only
    start-up and polling; tests about threading, cancel and queueing do not use it.
    """
    monkeypatch.setenv("RESANDI_GUI_SYNC", "1")


@pytest.fixture(scope="session")
def bulk_water() -> Path:
    """``bulk_water.tif`` (300 frames of beads in water); skips where the shared data is absent."""
    for path in BULK_WATER_CANDIDATES:
        if path.is_file():
            return path
    pytest.skip("bulk_water.tif (shared test data) not found")


@pytest.fixture(scope="session")
def untrained_model_dir(tmp_path_factory) -> Path:
    """A seeded random-weight model folder (seed 0), written once per test session."""
    from resandi_core.model.store import write_untrained_model

    return write_untrained_model(tmp_path_factory.mktemp("models") / "untrained-seed0", seed=0)


@pytest.fixture(scope="session")
def untrained_model(untrained_model_dir):
    from resandi_core.model.store import load_model_folder

    return load_model_folder(untrained_model_dir)


@pytest.fixture(autouse=True)
def gui_garbage_on_the_main_thread(request):
    """GUI tests: collect garbage on the main thread only, as the app does.

    Otherwise a worker thread may free an earlier test's widgets and deadlock
    with the main thread (resandi_gui/gc_guard.py).
    """
    if request.node.get_closest_marker("gui") is None:
        yield
        return
    import gc

    request.getfixturevalue("qapp")
    from resandi_gui.gc_guard import collect_garbage_on_ui_thread

    collect_garbage_on_ui_thread()
    yield
    gc.collect()  # the finished test's cycles go here, on the main thread
