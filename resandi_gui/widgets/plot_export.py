"""Save any plot of the app as a PNG or SVG file from its right-click menu.

Every pyqtgraph view calls :func:`install_save_menu` once. A right click that no
plot item takes (the plots switch pyqtgraph's own menu off) opens a small menu
with "Save Plot as PNG…" and "Save Plot as SVG…"; where a plot keeps pyqtgraph's
menu (the training curves), the two entries replace its "Export…" entry, whose
parameter-tree dialog is made for programmers.

Writing is separate from asking: :func:`save_plot` writes a view to a path (what
tests call), :meth:`PlotSaveMenu.choose_and_save` asks for the path first. The
whole view is saved as it is shown, colour bars and legends included; PNGs at
:data:`PNG_SCALE` times the screen size, so they stay sharp on a slide.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu

from resandi_core.atomic import atomic_write

log = logging.getLogger(__name__)

SAVE_PNG_TEXT = "Save Plot as PNG…"
SAVE_SVG_TEXT = "Save Plot as SVG…"
#: A PNG has this many pixels per screen pixel (a 500 px wide plot is saved 1,000 px wide).
PNG_SCALE = 2
FILTERS = {"png": "PNG image (*.png)", "svg": "SVG vector drawing (*.svg)"}
#: The folder the save dialogs start in: the last one used, for every plot of this session.
_last_folder = {"path": ""}


@contextlib.contextmanager
def _closed_paths_tolerated() -> Iterator[None]:
    """Let pyqtgraph's SVG exporter read the close-path commands ("Z") that Qt writes.

    pyqtgraph 0.14.0 re-parses each item's SVG path data as "x,y" pairs and fails
    on a lone "Z", which Qt >= 6.10 writes for every closed path (a plot's frame),
    so no plot could be saved as SVG (pyqtgraph issue #3495; fixed upstream by
    PR #3458, not released). The "Z"s are taken out before its coordinate pass and
    put back, in place, after it; the rest of its exporter (cosmetic pens, clipping,
    text) is what makes its SVGs right, which Qt's own QSvgGenerator is not.
    """
    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original = module.correctCoordinates

    def correct(node: Any, defs: Any, item: Any, options: dict) -> None:  # pyqtgraph's signature
        closed = []
        for path in node.getElementsByTagName("path"):
            tokens = path.getAttribute("d").split()
            marks = [i for i, token in enumerate(tokens) if token in ("Z", "z")]
            if marks:
                path.setAttribute("d", " ".join(t for t in tokens if t not in ("Z", "z")))
                closed.append((path, marks))
        original(node, defs, item, options)
        for path, marks in closed:
            tokens = path.getAttribute("d").split()
            for i in marks:  # ascending: each goes back where it was
                tokens.insert(i, "Z")
            path.setAttribute("d", " ".join(tokens))

    module.correctCoordinates = correct
    try:
        yield
    finally:
        module.correctCoordinates = original


def plot_bytes(view: pg.GraphicsView, kind: str, scale: int = PNG_SCALE) -> bytes:
    """The whole scene of ``view`` as PNG or SVG file content.

    Parameters
    ----------
    view : pyqtgraph.GraphicsView
        A ``PlotWidget`` or ``GraphicsLayoutWidget``, shown (it needs a size).
    kind : {"png", "svg"}
    scale : int
        PNG pixels per screen pixel.

    Raises
    ------
    ValueError
        An unknown kind, or a view with no size yet (never shown).
    """
    from pyqtgraph.exporters import ImageExporter, SVGExporter

    if kind not in FILTERS:
        raise ValueError(f"plots are saved as PNG or SVG, not {kind!r}")
    if view.width() < 2 or view.height() < 2:
        raise ValueError("the plot has no size yet: show it first")
    scene = view.scene()
    if kind == "svg":
        with _closed_paths_tolerated():
            return bytes(SVGExporter(scene).export(toBytes=True))
    exporter = ImageExporter(scene)
    # Setting the width sets the height in proportion (ImageExporter.widthChanged).
    exporter.parameters()["width"] = int(exporter.parameters()["width"] * scale)
    image = exporter.export(toBytes=True)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ValueError("Qt could not encode the plot as PNG")
    buffer.close()
    return bytes(data.data())


def save_plot(view: pg.GraphicsView, path: str | os.PathLike, kind: str | None = None) -> Path:
    """Write ``view`` to ``path`` as PNG or SVG (from the suffix unless ``kind`` says).

    The file is written under a temporary name and renamed when complete, so an
    existing file is never left half-written.

    Raises
    ------
    ValueError
        See :func:`plot_bytes`; also a path whose suffix is neither .png nor .svg.
    OSError
        The file cannot be written.
    """
    path = Path(path)
    kind = kind or path.suffix.lower().lstrip(".")
    content = plot_bytes(view, kind)
    with atomic_write(path, binary=True) as handle:
        handle.write(content)
    return path


def with_suffix(path: str, kind: str) -> str:
    """``path`` ending in ``.png``/``.svg`` (a name typed without it gets it)."""
    return path if path.lower().endswith(f".{kind}") else f"{path}.{kind}"


class PlotSaveMenu(QObject):
    """The right-click menu of one view: save it as PNG or SVG.

    Parameters
    ----------
    view : pyqtgraph.GraphicsView
    name : str
        The suggested file name, without suffix (``"msd"``, ``"overview"``).

    Attributes
    ----------
    png_action, svg_action : QAction
    menu : QMenu
    last_saved : Path or None
        The last file written (tests and the status bar read it).
    """

    def __init__(self, view: pg.GraphicsView, name: str) -> None:
        super().__init__(view)
        self.view = view
        self.name = name
        self.last_saved: Path | None = None
        self.png_action = QAction(SAVE_PNG_TEXT, view)
        self.png_action.triggered.connect(lambda: self.choose_and_save("png"))
        self.svg_action = QAction(SAVE_SVG_TEXT, view)
        self.svg_action.triggered.connect(lambda: self.choose_and_save("svg"))
        self.menu = QMenu(view)
        self.menu.addAction(self.png_action)
        self.menu.addAction(self.svg_action)
        scene = view.scene()
        # pyqtgraph appends the scene's actions to an item's own menu (ViewBox menus left on).
        scene.contextMenu = [self.png_action, self.svg_action]
        scene.sigMouseClicked.connect(self._on_click)

    def _on_click(self, event: object) -> None:
        # Emitted after the items saw the click: one that showed its own menu accepted it.
        if event.button() != Qt.MouseButton.RightButton or event.isAccepted():
            return
        event.accept()
        self.menu.popup(event.screenPos().toPoint())

    def choose_and_save(self, kind: str) -> Path | None:
        """Ask where, then save; errors go to the app's error dialog. The path written, or None."""
        from ..errors import show_error

        start = os.path.join(_last_folder["path"], f"{self.name}.{kind}")
        path, _ = QFileDialog.getSaveFileName(self.view.window(), f"Save plot as {kind.upper()}", start,
                                              FILTERS[kind])
        if not path:
            return None
        path = with_suffix(path, kind)
        _last_folder["path"] = str(Path(path).parent)
        try:
            self.last_saved = save_plot(self.view, path, kind)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            show_error(self.view.window(), "Could not save the plot",
                       f"{path}: {reason}. Choose another folder, or check that the disk is not full.")
            return None
        log.info("saved plot %s to %s", self.name, path)
        return self.last_saved


def install_save_menu(view: pg.GraphicsView, name: str) -> PlotSaveMenu:
    """Give ``view`` the right-click entries "Save Plot as PNG…" / "Save Plot as SVG…".

    The menu object is a child of the view (it lives as long as the view) and is
    also kept as ``view.save_menu``.
    """
    menu = PlotSaveMenu(view, name)
    view.save_menu = menu
    return menu
