"""The Data view: the movie (or tracks) in the centre, linking parameters at the side.

A live preview runs trackpy's ``locate`` on the frame shown whenever the frame or
a parameter changes, so the user sees what the parameters find before linking a
whole movie. Previews run on their own private :class:`JobRunner`: they never
wait behind, or block, a link or a classification on the app's shared runner.

Each movie keeps its reader open while it is in the session (opening a TIFF
parses its pages, on the UI thread), and its frame, frame range and brightness
levels, so going back to a file finds it as it was left.

A movie with several channels or z-planes opens with the one remembered in its
``linking`` dict, else the first; choosing another in the linking panel reopens
its reader on that plane (a reader reads one plane), so the frames shown, the
preview and Link all use the plane chosen.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QPushButton, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from resandi_core.io.planes import PLANE_KEYS, choose_planes

from ..gui_wording import gui_wording
from ..session import KIND_MOVIE, Session, SessionFile
from ..workers import JobRunner
from .linking_form import linked_planes
from .linking_panel import LinkingPanel
from .movie_view import MovieView
from .welcome_page import WelcomePage

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from resandi_core.io.stacks import StackReader
    from resandi_core.linking import LinkingParams
    from resandi_core.settings import Settings
    from resandi_core.tracks import Tracks

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

    def shutdown(self) -> None:
        """Stop waiting and wait for a running preview, so no thread outlives the panel.

        No time limit: a preview is one bounded ``locate`` call, and a thread
        destroyed while running makes Qt abort the app.
        """
        self.discard()
        self.runner.cancel()
        self.runner.wait(None)

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


@dataclass(eq=False)
class FileView:
    """How one file of the session was left in the Data view.

    Attributes
    ----------
    reader : StackReader or None
        The movie, open while the file is in the session (None: not a movie, or not read yet).
    frame : int
        The file's frame shown.
    frames : (first, last) or None
        Frames to link, both included, as left in the linking panel; None: not set yet.
    levels : (low, high) or None
        Brightness range of the movie; None: from its first frame shown.
    n_planes : (int, int)
        Channels and z-planes (besides time) of the movie, as found when it was opened.
    """

    reader: StackReader | None = None
    frame: int = 0
    frames: tuple[int, int] | None = None
    levels: tuple[float, float] | None = None
    n_planes: tuple[int, int] = (1, 1)


class DataPanel(QWidget):
    """Movie view and linking panel of the file shown.

    Parameters
    ----------
    runner : JobRunner
        The app's shared runner: linking runs there (its progress bar is the main window's).
    session : Session
    settings : Settings
        Default linking parameters for movies without their own (never a calibration:
        a movie has its own, or the one typed for it, or none).

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
        #: Per file of the session: its open movie and how it was left (see FileView).
        self.views: dict[SessionFile, FileView] = {}
        self._shown_tracks: Tracks | None = None  # the entry's tracks as drawn
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
        #: Shown while no file is open, instead of an empty movie view (the window connects its buttons).
        self.welcome = WelcomePage()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.movie_view.frame_changed.connect(self._on_frame_changed)
        self.linking_panel.params_edited.connect(self._on_params_edited)
        self.linking_panel.calibration_edited.connect(self._apply_calibration)
        self.linking_panel.planes_edited.connect(self._on_planes_edited)
        self.preview.ready.connect(self._on_preview)
        self.preview.failed.connect(self._on_preview_failed)
        # Both handled here (the window need not call show_file on file_changed).
        session.file_changed.connect(self._on_file_changed)
        session.file_removed.connect(self._on_file_removed)
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

    def link_request(self) -> dict[str, Any]:
        """What Link would link for the movie shown, as the arguments of ``iter_link``.

        The Link button uses this very dict, so a movie classified without linking
        first is linked exactly as Link would.

        Returns
        -------
        dict
            ``params``: LinkingParams; ``frames``: ``(first, last_exclusive)``, or None
            for the whole movie; ``channel``, ``z``: the channel and z-plane chosen,
            None where the movie has only one; ``pixel_size_um``, ``frame_interval_s``:
            the calibration the user typed for this movie where it differs from the
            file's metadata, None where the file's metadata (or unknown) applies.
        """
        return self.linking_panel.link_request()

    def set_frame(self, frame: int) -> None:
        """Show the file's frame ``frame`` (0-based)."""
        self.movie_view.set_frame(frame)

    def highlight_track(self, track_id: Any) -> None:
        """Draw track ``track_id`` bold (when the file has tracks); None removes it."""
        self.movie_view.highlight_track(track_id)

    def shutdown(self) -> None:
        """Stop the preview thread and close every movie (at quit; the shared runner is the window's)."""
        self.preview.shutdown()
        self.movie_view.clear()
        self.entry, self._shown_tracks = None, None  # a later show_file opens its movie again
        for view in self.views.values():
            if view.reader is not None:
                view.reader.close()
        self.views.clear()

    def show_file(self, entry: SessionFile | None) -> None:
        """Show ``entry``: a movie with its linking, or a track file's tracks on a blank canvas.

        Showing the file already shown only redraws what changed (frame and edits stay).
        """
        if entry is not None and entry is self.entry:
            self._on_file_changed(entry)
            return
        self._remember_view()
        self._show(entry)

    # -- showing a file --------------------------------------------------------------

    def _remember_view(self) -> None:
        """Keep how the file shown is left: its frame, frames to link and levels."""
        view = self.views.get(self.entry) if self.entry is not None else None
        if view is None:
            return
        view.frame = self.current_frame
        if self.movie_view.reader is not None:
            view.frames = (self.linking_panel.first_frame.value(), self.linking_panel.last_frame.value())
            view.levels = self.movie_view.levels

    def _show(self, entry: SessionFile | None) -> None:
        from resandi_core.io.stacks import StackError, StackReader

        self.entry = entry
        self._shown_tracks = entry.tracks if entry is not None else None
        self.preview.discard()
        self.preview_count, self.preview_spots, self.preview_frame, self.preview_params = None, None, None, None
        view = self.views.setdefault(entry, FileView()) if entry is not None else None
        reader = None
        self.stack.setCurrentIndex(0 if entry is None else 1)
        if entry is None:
            self.movie_view.clear()
            self.movie_view.show_note("No file open. Open a TIFF movie or a track table.")
        elif entry.kind == KIND_MOVIE:
            try:
                if view.reader is None:
                    # Inspects the axes only (no pixels) to pick a plane StackReader accepts.
                    planes = choose_planes(entry.path, *(entry.linking.get(key) for key in PLANE_KEYS))
                    view.reader = StackReader(entry.path, channel=planes.channel, z=planes.z)
                    view.n_planes = (planes.n_channels, planes.n_z)
                self.movie_view.show_movie(view.reader, view.frame, view.levels)
                reader = view.reader
            except StackError as exc:  # a failed open is not kept: the next show tries again
                self.movie_view.clear()
                self.movie_view.show_note(f"Cannot show this movie: {exc}")
        elif entry.tracks is not None and len(entry.tracks.table):
            self.movie_view.show_tracks_only(entry.tracks, view.frame)
            self.movie_view.show_note(
                f"This file has tracks only, no movie: {entry.tracks.n_tracks} tracks on a blank canvas, "
                f"positions in {entry.tracks.position_unit}.")
        else:
            self.movie_view.clear()
            self.movie_view.show_note("This file has no tracks to show.")
        self.linking_panel.set_entry(entry, reader, view.frames if view is not None else None,
                                     view.n_planes if view is not None else (1, 1))
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

    def _on_planes_edited(self) -> None:
        """Show the channel / z-plane now chosen: reopen the movie's reader on it."""
        entry = self.entry
        view = self.views.get(entry) if entry is not None else None
        if view is None or view.reader is None:
            return
        self._remember_view()  # frame and frames to link stay as they are
        view.levels = None  # another plane has other brightnesses: levels from its frame
        view.reader.close()
        view.reader = None
        self._show(entry)  # opens the plane now remembered in entry.linking (set by the panel)

    def _apply_calibration(self) -> None:
        self.movie_view.set_calibration(*self.linking_panel.calibration())

    def _on_file_changed(self, entry: SessionFile) -> None:
        if entry is not self.entry:
            return  # a file in the background (e.g. a link that finished after the user moved on)
        # A classification alone changes nothing drawn here: tails are rebuilt (a sort
        # of the whole table) only for new tracks.
        tracks_changed = entry.tracks is not self._shown_tracks
        self._shown_tracks = entry.tracks
        if entry.kind != KIND_MOVIE:
            if tracks_changed:
                self._remember_view()
                self._show(entry)  # the blank canvas spans the new tracks
            return
        if tracks_changed:
            self.linking_panel.show_calibration()  # the new tracks' (a link, or a calibration dialog)
            self._apply_calibration()
            if self.movie_view.reader is not None:
                self.movie_view.set_tracks(entry.tracks)
        self.linking_panel.show_summary(entry.link_result)
        self._show_spots()

    def _on_file_removed(self, entry: SessionFile) -> None:
        if entry is self.entry:
            self._show(None)  # the window shows the next file; this one's reader closes now
        view = self.views.pop(entry, None)
        if view is not None and view.reader is not None:
            view.reader.close()

    def _preview_key(self) -> tuple[int, int, tuple[int | None, int | None], tuple]:
        params = self.linking_params().to_dict()
        # The plane too: a late preview of another channel must not land after a switch.
        return id(self.entry), self.current_frame, self.linking_panel.planes(), tuple(sorted(params.items()))

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
        self.linking_panel.preview_label.setText(f"<span style='color:#c00'>Preview failed: {gui_wording(message)}</span>")

    def _linked_with_current_params(self) -> bool:
        """Whether the last link used the parameters and the plane now set (its detections
        are then what a new link would find)."""
        result = self.entry.link_result if self.entry is not None else None
        if result is None or result.params.to_dict() != self.linking_params().to_dict():
            return False
        planes = linked_planes(result)
        return planes is None or planes == self.linking_panel.planes()  # None: not recorded

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
            result = self.entry.link_result if self.entry is not None else None
            if result is not None:
                planes = linked_planes(result)
                other_plane = planes is not None and planes != self.linking_panel.planes()
                text += (" (another channel or z-plane than the last link)" if other_plane
                         else " (parameters changed since the last link)")
            self.movie_view.set_spots(self.preview_spots, self.linking_params().diameter)
        self.linking_panel.preview_label.setText(text)
