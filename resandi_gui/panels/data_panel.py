"""The Data view: the movie (or tracks) in the centre, linking parameters at the side.

A live preview runs trackpy's ``locate`` on the frame shown whenever the frame or
a parameter changes, so the user sees what the parameters find before linking a
whole movie. Previews run on their own private :class:`JobRunner`: they never
wait behind, or block, a link or a classification on the app's shared runner.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QPushButton, QSplitter, QVBoxLayout, QWidget

from ..session import KIND_MOVIE, Session, SessionFile
from ..workers import JobRunner
from .linking_panel import LinkingPanel
from .movie_view import MovieView

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from resandi_core.linking import LinkingParams
    from resandi_core.settings import Settings

#: Quiet time after the last change before a preview starts, in ms: typing "120"
#: or dragging the slider asks for one preview, not one per step.
PREVIEW_DELAY_MS = 250


class SpotPreview(QObject):
    """Debounced ``locate_preview`` of one frame, off the UI thread.

    While a preview runs, only the newest request waits; older ones are dropped.

    Signals
    -------
    ready(object, DataFrame)
        The request's key and the spots found (``x, y`` in px, ``mass``, ...).
    failed(str)
        Why the preview failed (e.g. a parameter trackpy refuses).
    """

    ready = Signal(object, object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = JobRunner(self)
        self._wanted: tuple[Any, np.ndarray, LinkingParams] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._start_wanted)
        self.runner.stopped.connect(self._start_wanted)
        self.runner.failed.connect(lambda failure: self.failed.emit(failure.message))

    def request(self, key: Any, image: np.ndarray, params: LinkingParams) -> None:
        """Locate spots in ``image`` (one frame, (height, width)) once changes settle."""
        self._wanted = (key, image, params)
        self._timer.start()  # restarts: the delay counts from the last change

    @property
    def busy(self) -> bool:
        """A preview is running or waiting for the parameters to settle."""
        return self.runner.busy or self._wanted is not None or self._timer.isActive()

    def discard(self) -> None:
        """Forget the waiting request (a running one finishes, its result is ignored by key)."""
        self._wanted = None
        self._timer.stop()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Stop waiting and wait for a running preview, so no thread outlives the panel."""
        self.discard()
        self.runner.cancel()
        self.runner.wait(timeout_ms)

    def _start_wanted(self) -> None:
        if self._wanted is None or self._timer.isActive() or self.runner.busy:
            return  # the timer or the running preview's end calls again
        key, image, params = self._wanted
        self._wanted = None

        def job() -> Generator[None, None, pd.DataFrame]:
            from resandi_core.linking import locate_preview

            yield None  # a point where a newer request may cancel before the work
            return locate_preview(image, params)

        self.runner.start("spot preview", job, on_finished=lambda spots: self.ready.emit(key, spots))


class DataPanel(QWidget):
    """Movie view and linking panel of the file shown.

    Parameters
    ----------
    runner : JobRunner
        The app's shared runner: linking runs there (its progress bar is the main window's).
    session : Session
    settings : Settings
        Default linking parameters and calibration for files without their own.

    Signals
    -------
    linking_changed(dict)
        The user edited a linking parameter; all fields of ``LinkingParams``.
    """

    linking_changed = Signal(dict)

    def __init__(self, runner: JobRunner, session: Session, settings: Settings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner, self.session, self.settings = runner, session, settings
        self.entry: SessionFile | None = None
        #: Spots in the last preview shown (None before the first).
        self.preview_count: int | None = None
        #: The last preview's spots (``x, y`` in px, ``mass``, ...), None before the first.
        self.preview_spots: pd.DataFrame | None = None
        #: The frame and parameters of the last preview shown.
        self.preview_frame: int | None = None
        self.preview_params: LinkingParams | None = None
        self.movie_view = MovieView()
        self.linking_panel = LinkingPanel(runner, session, settings)
        self.preview = SpotPreview(self)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.movie_view)
        splitter.addWidget(self.linking_panel)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setCollapsible(0, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.movie_view.frame_changed.connect(self._on_frame_changed)
        self.linking_panel.params_edited.connect(self._on_params_edited)
        self.linking_panel.calibration_edited.connect(self._apply_calibration)
        self.preview.ready.connect(self._on_preview)
        self.preview.failed.connect(self._on_preview_failed)
        session.file_changed.connect(self._on_file_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.show_file(None)

    # -- public API ------------------------------------------------------------------

    @property
    def link_button(self) -> QPushButton:
        """The Link button (disabled while the shared runner is busy or no movie is shown)."""
        return self.linking_panel.link_button

    @property
    def current_frame(self) -> int:
        """The file's frame number shown (0-based)."""
        return self.movie_view.current_frame

    def linking_params(self) -> LinkingParams:
        """The linking parameters as set in the panel."""
        return self.linking_panel.params()

    def set_frame(self, frame: int) -> None:
        """Show the file's frame ``frame`` (0-based)."""
        self.movie_view.set_frame(frame)

    def highlight_track(self, track_id: Any) -> None:
        """Draw track ``track_id`` bold (when the file has tracks); None removes it."""
        self.movie_view.highlight_track(track_id)

    def shutdown(self) -> None:
        """Stop the preview thread and close the movie (at quit; the shared runner is the window's)."""
        self.preview.shutdown()
        self.movie_view.close_movie()

    def show_file(self, entry: SessionFile | None) -> None:
        """Show ``entry``: a movie with its linking, or a track file's tracks on a blank canvas.

        Showing the file already shown only refreshes its tracks (frame and edits stay).
        """
        from resandi_core.stacks import StackError

        if entry is not None and entry is self.entry and entry.kind == KIND_MOVIE and self.movie_view.reader:
            self._on_file_changed(entry)
            return
        self.entry = entry
        self.preview.discard()
        self.preview_count, self.preview_spots, self.preview_frame, self.preview_params = None, None, None, None
        reader = None
        if entry is None:
            self.movie_view.close_movie()
            self.movie_view.show_note("No file open. Open a TIFF movie or a track table.")
        elif entry.kind == KIND_MOVIE:
            try:
                reader = self.movie_view.open_movie(entry.path)
            except StackError as exc:
                self.movie_view.close_movie()
                self.movie_view.show_note(f"Cannot show this movie: {exc}")
        elif entry.tracks is not None and len(entry.tracks.table):
            self.movie_view.show_tracks_only(entry.tracks)
            self.movie_view.show_note(
                f"This file has tracks only, no movie: {entry.tracks.n_tracks} tracks on a blank canvas, "
                f"positions in {entry.tracks.position_unit}.")
        else:
            self.movie_view.close_movie()
            self.movie_view.show_note("This file has no tracks to show.")
        self.linking_panel.set_entry(entry, reader)
        if reader is not None:
            self.movie_view.set_tracks(entry.tracks)
            self.movie_view.set_spot_diameter(self.linking_params().diameter)
            self._request_preview()
        self._apply_calibration()

    # -- reactions -------------------------------------------------------------------

    def _on_frame_changed(self, _frame: int) -> None:
        # Spots of another frame would sit in the wrong places until the new preview.
        self.movie_view.set_spots(None)
        self._request_preview()

    def _on_params_edited(self, values: dict) -> None:
        self.movie_view.set_spot_diameter(values["diameter"])
        self.linking_changed.emit(values)
        self._request_preview()

    def _apply_calibration(self) -> None:
        self.movie_view.set_calibration(*self.linking_panel.calibration())

    def _on_file_changed(self, entry: SessionFile) -> None:
        if entry is not self.entry:
            return  # a file in the background (e.g. a link that finished after the user moved on)
        if entry.kind == KIND_MOVIE and self.movie_view.reader is not None:
            self.movie_view.set_tracks(entry.tracks)
            self.linking_panel.show_summary(entry.link_result)
            self._show_spots()
        elif entry.kind != KIND_MOVIE:
            self.entry = None  # reload the tracks
            self.show_file(entry)

    def _preview_key(self) -> tuple[int, int, tuple]:
        params = self.linking_params().to_dict()
        return id(self.entry), self.current_frame, tuple(sorted(params.items()))

    def _request_preview(self) -> None:
        image = self.movie_view.current_image
        if self.entry is None or self.entry.kind != KIND_MOVIE or image is None:
            return
        self.linking_panel.preview_label.setText(f"Finding spots on frame {self.current_frame}…")
        self.preview.request(self._preview_key(), image, self.linking_params())

    def _on_preview(self, key: Any, spots: pd.DataFrame) -> None:
        if key != self._preview_key():
            return  # for another frame, file or parameters: a newer request is on its way
        self.preview_spots, self.preview_count, self.preview_frame = spots, len(spots), key[1]
        self.preview_params = self.linking_params()
        self._show_spots()

    def _on_preview_failed(self, message: str) -> None:
        self.movie_view.set_spots(None)
        self.linking_panel.preview_label.setText(f"<span style='color:#c00'>Preview failed: {message}</span>")

    def _linked_with_current_params(self) -> bool:
        result = self.entry.link_result if self.entry is not None else None
        return result is not None and result.params.to_dict() == self.linking_params().to_dict()

    def _show_spots(self) -> None:
        """Draw the linked detections when the parameters are those of the link, else the preview."""
        if self.preview_spots is None:
            return
        frame, text = self.current_frame, f"<b>{self.preview_count} spots</b> on frame {self.current_frame}"
        if self._linked_with_current_params():
            table = self.entry.tracks.table
            text += f"; {int((table['frame'] == frame).sum())} of them in linked tracks (shown)"
            self.movie_view.set_spots(None)
        else:
            if self.entry is not None and self.entry.link_result is not None:
                text += " (parameters changed since the last link)"
            self.movie_view.set_spots(self.preview_spots, self.linking_params().diameter)
        self.linking_panel.preview_label.setText(text)
