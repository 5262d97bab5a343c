"""resandi_core must import and classify with Qt unavailable (the core never imports Qt)."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import importlib.abc, sys

    QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph", "qtpy")

    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in QT:
                raise ImportError(f"Qt is not available here: {name}")
            return None

    sys.meta_path.insert(0, NoQt())

    import pkgutil, importlib
    import resandi_core
    for module in pkgutil.walk_packages(resandi_core.__path__, "resandi_core."):
        importlib.import_module(module.name)

    import numpy as np, pandas as pd
    from resandi_core.classify import classify_tracks
    from resandi_core.model.store import load_model_folder
    rng = np.random.default_rng(0)
    xy = np.cumsum(rng.normal(size=(120, 2)), axis=0)
    table = pd.DataFrame({"track_id": 1, "frame": np.arange(120), "x": xy[:, 0], "y": xy[:, 1]})
    result = classify_tracks(table, load_model_folder(sys.argv[1]))
    assert result.tracks.status.tolist() == ["ok"], result.tracks
    assert not [m for m in sys.modules if m.split(".")[0] in QT]
    print("classified without Qt:", result.tracks.predicted_class.iloc[0])
    """
)


def test_core_classifies_without_qt(untrained_model_dir):
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(untrained_model_dir)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "classified without Qt" in run.stdout
