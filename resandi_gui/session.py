"""The files a user has open: each with its tracks, linking and classification.

A session holds several files (conditions of one experiment). Results are
stored on the :class:`SessionFile` they came from, never on "the current file",
so a job that finishes after the user clicked elsewhere still lands right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:  # heavy modules stay unimported until a file needs them
    from resandi_core.classify import ClassificationResult
    from resandi_core.linking import LinkResult
    from resandi_core.tracks import Tracks

KIND_TRACKS = "tracks"
KIND_MOVIE = "movie"


@dataclass(eq=False)
class SessionFile:
    """One opened file.

    Attributes
    ----------
    path : Path
    kind : {"tracks", "movie"}
        A track table, or a TIFF movie that must be linked first.
    tracks : Tracks or None
        The tracks read from the file, or linked from the movie.
    link_result : LinkResult or None
        Set after linking a movie (its features, parameters and counts).
    linking : dict
        The linking parameters last used or edited for this movie.
    result : ClassificationResult or None
    model : LoadedModel or None
        The model that produced :attr:`result` (Grad-CAM of another class is
        recomputed with it).
    """

    path: Path
    kind: str
    tracks: Tracks | None = None
    link_result: LinkResult | None = None
    linking: dict[str, Any] = field(default_factory=dict)
    result: ClassificationResult | None = None
    model: Any = None

    @property
    def name(self) -> str:
        """The file name, as shown in the session list."""
        return self.path.name

    @property
    def status(self) -> str:
        """One word for the session list: movie, linked, loaded or classified."""
        if self.result is not None:
            return "classified"
        if self.tracks is not None:
            return "linked" if self.kind == KIND_MOVIE else "loaded"
        return "not linked" if self.kind == KIND_MOVIE else "not loaded"


class Session(QObject):
    """The open files, and which one is shown.

    Signals
    -------
    file_added(SessionFile)
    file_changed(SessionFile)
        Its tracks, link result or classification changed.
    file_removed(SessionFile)
    current_changed(object)
        The shown file (None when the session is empty).
    """

    file_added = Signal(object)
    file_changed = Signal(object)
    file_removed = Signal(object)
    current_changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.files: list[SessionFile] = []
        self.current: SessionFile | None = None

    def find(self, path: str | Path) -> SessionFile | None:
        """The open file at ``path``, if any."""
        resolved = Path(path).resolve()
        return next((f for f in self.files if f.path == resolved), None)

    def add(self, entry: SessionFile) -> SessionFile:
        """Add a file (or return the one already open at that path) and show it."""
        entry.path = entry.path.resolve()
        existing = self.find(entry.path)
        if existing is None:
            self.files.append(entry)
            self.file_added.emit(entry)
            existing = entry
        self.set_current(existing)
        return existing

    def remove(self, entry: SessionFile) -> None:
        """Close a file; shows its neighbour."""
        if entry not in self.files:
            return
        index = self.files.index(entry)
        self.files.remove(entry)
        self.file_removed.emit(entry)
        if self.current is entry:
            self.set_current(self.files[min(index, len(self.files) - 1)] if self.files else None)

    def set_current(self, entry: SessionFile | None) -> None:
        if entry is not self.current:
            self.current = entry
            self.current_changed.emit(entry)

    def replace_tracks(self, entry: SessionFile, tracks: Tracks | None, link_result: LinkResult | None = None) -> None:
        """Give ``entry`` new tracks (a new link, a new calibration) and drop what was
        computed from the old ones: a classification never outlives its tracks."""
        entry.tracks = tracks
        if link_result is not None or entry.kind == KIND_MOVIE:
            entry.link_result = link_result
        entry.result = None
        entry.model = None
        self.file_changed.emit(entry)

    def changed(self, entry: SessionFile) -> None:
        """Tell the views that ``entry``'s data changed."""
        self.file_changed.emit(entry)
