"""The list of open files (conditions), with each file's state."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from ..session import KIND_MOVIE, Session, SessionFile


def _label(entry: SessionFile) -> str:
    """Two lines: the file name, then e.g. ``movie · 942 tracks linked`` or ``tracks · 300 of 300 classified``."""
    kind = "movie" if entry.kind == KIND_MOVIE else "tracks"
    if entry.result is not None:
        ok = int((entry.result.tracks["status"] == "ok").sum())
        state = f"{ok:,} of {len(entry.result.tracks):,} classified"
    elif entry.tracks is not None:
        state = f"{entry.tracks.n_tracks:,} tracks" + (" linked" if entry.kind == KIND_MOVIE else "")
    else:
        state = entry.status
    return f"{entry.name}\n   {kind} · {state}"


class SessionList(QListWidget):
    """Mirrors a :class:`Session`: one row per file; clicking a row shows that file."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("sessionList")
        self.setAlternatingRowColors(True)
        self.setToolTip("Open files. Drop track files or TIFF movies on the window to add more.")
        session.file_added.connect(self._add)
        session.file_changed.connect(self._refresh)
        session.file_removed.connect(self._remove)
        session.current_changed.connect(self._select)
        self.currentItemChanged.connect(self._on_current_item)

    def item_of(self, entry: SessionFile) -> QListWidgetItem | None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(Qt.ItemDataRole.UserRole) is entry:
                return item
        return None

    def _add(self, entry: SessionFile) -> None:
        item = QListWidgetItem(_label(entry))
        item.setData(Qt.ItemDataRole.UserRole, entry)
        item.setToolTip(str(entry.path))
        self.addItem(item)

    def _refresh(self, entry: SessionFile) -> None:
        item = self.item_of(entry)
        if item is not None:
            item.setText(_label(entry))

    def _remove(self, entry: SessionFile) -> None:
        item = self.item_of(entry)
        if item is not None:
            self.takeItem(self.row(item))

    def _select(self, entry: SessionFile | None) -> None:
        item = self.item_of(entry) if entry is not None else None
        if item is not None and item is not self.currentItem():
            self.setCurrentItem(item)

    def _on_current_item(self, item: QListWidgetItem | None, _previous) -> None:
        if item is not None:
            self.session.set_current(item.data(Qt.ItemDataRole.UserRole))
