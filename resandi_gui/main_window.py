"""The main window. For now a placeholder that says what the app will do and which
models are installed; the full app (load, link, classify, Grad-CAM views, training)
is a later issue. It imports no torch, so it opens fast."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox

from resandi_core import __version__

PLACEHOLDER_TEXT = """<h2>ResAnDi {version}</h2>
<p>Classifies single-particle trajectories into eight anomalous-diffusion
mechanisms and shows, with Grad-CAM, where on each trajectory the network looked.</p>
<p>The desktop views are being built. Until then, from a terminal:</p>
<pre>resandi classify tracks.csv --out results/</pre>
<p>Installed models:</p>
{models}"""


class MainWindow(QMainWindow):
    """Top-level window of the app."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(f"ResAnDi {__version__}")
        self.resize(720, 480)
        self.label = QLabel(PLACEHOLDER_TEXT.format(version=__version__, models=self._models_html()))
        self.label.setObjectName("placeholder")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setMargin(24)
        self.setCentralWidget(self.label)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About ResAnDi", self._show_about)

    @staticmethod
    def _models_html() -> str:
        # Listing reads config.json files only; torch is not imported.
        from resandi_core.model.store import list_models

        models = list_models()
        if not models:
            return "<p><i>none yet: no trained model is bundled with this version</i></p>"
        items = "".join(
            f"<li>{m.name} ({m.origin}{', UNTRAINED' if not m.trained else ''})</li>" for m in models
        )
        return f"<ul>{items}</ul>"

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            "About ResAnDi",
            f"ResAnDi {__version__}\n\nBased on Bae, Baek & Jeong, "
            "'Exploring how deep learning decodes anomalous diffusion via Grad-CAM' (2024).",
        )
