"""Side panel: trackpy's linking parameters, the frames and calibration, and the Link button.

Linking runs on the app's shared :class:`~resandi_gui.workers.JobRunner` (its
progress bar and Cancel button belong to the main window); the result lands on
the :class:`~resandi_gui.session.SessionFile` the job started from, whatever is
shown by the time it finishes.

Calibration: the boxes show the linked tracks' calibration when the movie has
tracks, else what the user typed for this movie (kept in its ``linking`` dict
under :data:`~.linking_form.CALIBRATION_KEYS`), else the file's metadata, else
"unknown". Never another movie's: a calibration applied silently would give
wrong MSDs and diffusion coefficients without anyone noticing.

Channel and z-plane: boxes shown only for a movie with several, kept in its
``linking`` dict under :data:`~resandi_gui.jobs.PLANE_KEYS` (absent: the first,
which the movie opens with). They choose what the movie view shows, what the
preview locates and what Link links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from resandi_core.io.planes import PLANE_KEYS

from ..movie_first_open import GUESS_KEY
from ..session import KIND_MOVIE, Session, SessionFile
from ..workers import JobRunner
from .linking_form import (
    CALIBRATION_KEYS,
    FloatSpinBox,
    OddSpinBox,
    explain,
    link_summary,
    recalibrated,
    same,
    show_calibration_value,
    spin,
    typed_calibration,
)

if TYPE_CHECKING:
    from resandi_core.io.stacks import StackReader
    from resandi_core.linking import LinkingParams, LinkResult
    from resandi_core.settings import Settings


class LinkingPanel(QWidget):
    """Parameters, frame range, calibration and the Link button for one movie.

    Signals
    -------
    params_edited(dict)
        The user changed a linking parameter: all fields of ``LinkingParams``.
    calibration_edited()
        The user changed the pixel size or frame interval.
    planes_edited()
        The user chose another channel or z-plane (see :meth:`planes`).
    """

    params_edited = Signal(dict)
    calibration_edited = Signal()
    planes_edited = Signal()

    def __init__(self, runner: JobRunner, session: Session, settings: Settings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner, self.session, self.settings = runner, session, settings
        self.entry: SessionFile | None = None
        self._file_calibration: tuple[float | None, float | None] = (None, None)  # the movie's metadata
        self._hidden: dict[str, Any] = {}  # LinkingParams fields without a widget (kept as given)
        self._filling = False
        self._has_movie = False
        self._n_planes = (1, 1)  # channels and z-planes of the movie shown

        self.diameter = spin(OddSpinBox(), 3, 201, 2, " px")
        # Six decimals: float movies need minmass values such as 0.05 (shown without padding zeros).
        self.minmass = spin(FloatSpinBox(), 0, 1e9, 10, decimals=6)
        self.invert = QCheckBox("Dark particles on bright background")
        self.search_range = spin(QDoubleSpinBox(), 0.1, 1000, 0.5, " px", decimals=1)
        self.memory = spin(QSpinBox(), 0, 1000, 1, " frames")
        self.min_length = spin(QSpinBox(), 1, 1_000_000, 1, " frames")
        self.subtract_drift = QCheckBox("Subtract drift")
        self.drift_smoothing = spin(QSpinBox(), 0, 10_000, 1, " frames")
        self.first_frame = spin(QSpinBox(), 0, 0, 1)
        self.last_frame = spin(QSpinBox(), 0, 0, 1)
        self.all_frames = QPushButton("All")
        self.all_frames.setToolTip("Link the whole movie.")
        self.pixel_size = spin(QDoubleSpinBox(), 0, 1000, 0.01, " µm", decimals=4)
        self.frame_interval = spin(QDoubleSpinBox(), 0, 3600, 0.001, " s", decimals=5)
        self.channel = spin(QSpinBox(), 0, 0, 1)
        self.z_plane = spin(QSpinBox(), 0, 0, 1)

        spots = QFormLayout()
        spots.addRow("Spot diameter", self.diameter)
        spots.addRow("Min. brightness", self.minmass)
        spots.addRow(self.invert)
        self.guess_note = QLabel()  # what the movie's pixels suggested (movie_first_open), so the tick is not a mystery
        self.guess_note.setWordWrap(True)
        self.guess_note.setStyleSheet("color: #555; font-style: italic;")  # readable, yet clearly a remark
        spots.addRow(self.guess_note)
        links = QFormLayout()
        links.addRow("Search range", self.search_range)
        links.addRow("Memory", self.memory)
        links.addRow("Min. track length", self.min_length)
        links.addRow(self.subtract_drift)
        links.addRow("Drift smoothing", self.drift_smoothing)
        frames_row = QHBoxLayout()
        for widget in (self.first_frame, QLabel("to"), self.last_frame, self.all_frames):
            frames_row.addWidget(widget)
        movie = self._movie_form = QFormLayout()
        movie.addRow("Channel", self.channel)
        movie.addRow("z-plane", self.z_plane)
        movie.addRow("Frames", frames_row)
        movie.addRow("Pixel size", self.pixel_size)
        movie.addRow("Frame interval", self.frame_interval)
        tips = [(self.diameter, "diameter"), (self.minmass, "minmass"), (self.invert, "invert"),
                (self.search_range, "search_range"), (self.memory, "memory"), (self.min_length, "min_length"),
                (self.subtract_drift, "subtract_drift"), (self.drift_smoothing, "drift_smoothing"),
                (self.channel, "channel"), (self.z_plane, "z"),
                (self.first_frame, "frames"), (self.last_frame, "frames"),
                (self.pixel_size, "pixel_size_um"), (self.frame_interval, "frame_interval_s")]
        explain(tips, (spots, links, movie))

        self.note = QLabel()
        self.note.setWordWrap(True)
        self.preview_label = QLabel("No preview yet")
        self.preview_label.setWordWrap(True)
        self.preview_label.setToolTip("Spots these parameters find on the frame shown (live preview).")
        self.link_button = QPushButton("Link")
        self.link_button.setToolTip("Find the particles in the chosen frames and link them into tracks.")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        body = QWidget()
        column = QVBoxLayout(body)
        column.addWidget(self.note)
        for title, form in (("Find spots", spots), ("Link into tracks", links), ("Movie", movie)):
            group = QGroupBox(title)
            group.setLayout(form)
            column.addWidget(group)
        column.addWidget(self.preview_label)
        column.addWidget(self.link_button)
        column.addWidget(self.summary)
        column.addStretch(1)
        scroll = QScrollArea()  # a short window scrolls the panel instead of squashing it
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.setMinimumWidth(body.sizeHint().width() + 20)

        for box in (self.diameter, self.minmass, self.search_range, self.memory, self.min_length,
                    self.drift_smoothing):
            box.valueChanged.connect(self._on_params_edited)
        for box in (self.invert, self.subtract_drift):
            box.toggled.connect(self._on_params_edited)
        for box in (self.pixel_size, self.frame_interval):
            box.valueChanged.connect(self._on_calibration_edited)
        for box in (self.channel, self.z_plane):
            box.valueChanged.connect(self._on_planes_edited)
        self.first_frame.valueChanged.connect(self.last_frame.setMinimum)
        self.last_frame.valueChanged.connect(self.first_frame.setMaximum)
        self.all_frames.clicked.connect(lambda: self.set_frame_range(0, self.last_frame.maximum()))
        self.subtract_drift.toggled.connect(self.drift_smoothing.setEnabled)
        self.link_button.clicked.connect(self.link)
        runner.busy_changed.connect(self._on_busy_changed)
        self.set_entry(None, None)

    # -- parameters ------------------------------------------------------------------

    def params(self) -> LinkingParams:
        """The parameters as set in the panel."""
        from resandi_core.linking import LinkingParams

        return LinkingParams.from_dict({
            **self._hidden,
            "diameter": self.diameter.value(), "minmass": self.minmass.value(), "invert": self.invert.isChecked(),
            "search_range": self.search_range.value(), "memory": self.memory.value(),
            "min_length": self.min_length.value(), "subtract_drift": self.subtract_drift.isChecked(),
            "drift_smoothing": self.drift_smoothing.value(),
        })

    def set_params(self, params: LinkingParams) -> None:
        """Show ``params`` (no ``params_edited``: the user did not edit)."""
        self._filling = True
        try:
            self._hidden = params.to_dict()
            self.diameter.setValue(int(params.diameter) | 1)
            self.minmass.setValue(params.minmass)
            self.invert.setChecked(params.invert)
            self.search_range.setValue(params.search_range)
            self.memory.setValue(params.memory)
            self.min_length.setValue(params.min_length)
            self.subtract_drift.setChecked(params.subtract_drift)
            self.drift_smoothing.setValue(params.drift_smoothing)
            self.drift_smoothing.setEnabled(params.subtract_drift)
        finally:
            self._filling = False

    def frame_range(self) -> tuple[int, int]:
        """``(start, stop)`` of the frames to link, stop excluded (Python and ``iter_link`` rules)."""
        return self.first_frame.value(), self.last_frame.value() + 1

    def set_frame_range(self, first: int, last: int) -> None:
        """Frames ``first`` to ``last``, both included."""
        self.first_frame.setMaximum(self.last_frame.maximum())
        self.last_frame.setMinimum(0)
        self.last_frame.setValue(last)
        self.first_frame.setValue(first)

    def calibration(self) -> tuple[float | None, float | None]:
        """Pixel size (µm) and frame interval (s) as shown, None where unknown."""
        return self.pixel_size.value() or None, self.frame_interval.value() or None

    def calibration_overrides(self) -> tuple[float | None, float | None]:
        """The calibration shown where it differs from the file's metadata, else None.

        What Link passes to ``iter_link``, so the link result says "from the file"
        where that is true; None where the file's value (or unknown) applies.
        """
        return tuple(  # type: ignore[return-value]
            None if same(value, file_value, box.decimals()) else value
            for value, file_value, box in zip(self.calibration(), self._file_calibration,
                                              (self.pixel_size, self.frame_interval))
        )

    def planes(self) -> tuple[int | None, int | None]:
        """Channel and z-plane as chosen; None where the movie has only one (what ``iter_link`` takes)."""
        return tuple(  # type: ignore[return-value]
            box.value() if count > 1 else None for box, count in zip((self.channel, self.z_plane), self._n_planes)
        )

    def show_calibration(self) -> None:
        """Fill the calibration boxes for the entry shown (no ``calibration_edited``).

        The tracks' calibration when it has tracks (the one their MSDs use), else
        the one typed for this movie, else the file's; never a default of the app.
        """
        entry, file_values = self.entry, self._file_calibration
        if entry is not None and entry.tracks is not None:
            values = (entry.tracks.pixel_size_um, entry.tracks.frame_interval_s)
        elif entry is not None and entry.kind == KIND_MOVIE:
            typed = typed_calibration(entry.linking)
            values = tuple(t if t is not None else f for t, f in zip(typed, file_values))
        else:
            values = (None, None)
        self._filling = True
        try:
            for box, value, file_value in zip((self.pixel_size, self.frame_interval), values, file_values):
                show_calibration_value(box, value, file_value)
        finally:
            self._filling = False

    def _on_params_edited(self) -> None:
        if self._filling:
            return
        values = self.params().to_dict()
        if self.entry is not None:
            # Each movie remembers its own parameters (and keeps its typed calibration).
            self.entry.linking = {**self.entry.linking, **values}
        self.params_edited.emit(values)

    def _on_calibration_edited(self) -> None:
        if self._filling:
            return
        entry = self.entry
        if entry is not None and entry.kind == KIND_MOVIE:
            overrides = dict(zip(CALIBRATION_KEYS, self.calibration_overrides()))
            linking = {k: v for k, v in entry.linking.items() if k not in CALIBRATION_KEYS}
            entry.linking = {**linking, **{k: v for k, v in overrides.items() if v is not None}}
            self._recalibrate_tracks(entry)
        self.calibration_edited.emit()

    def _on_planes_edited(self) -> None:
        if self._filling:
            return
        entry = self.entry
        if entry is not None and entry.kind == KIND_MOVIE:
            # Remembered with the movie, as its parameters: showing it again, or
            # classifying it without showing it, uses the same plane.
            linking = {k: v for k, v in entry.linking.items() if k not in PLANE_KEYS}
            entry.linking = {**linking, **{k: v for k, v in zip(PLANE_KEYS, self.planes()) if v is not None}}
        self.planes_edited.emit()

    def _recalibrate_tracks(self, entry: SessionFile) -> None:
        """Give linked tracks the calibration now shown, as a new link would.

        Their positions are in px, so only the attributes change; the tracks are
        replaced (not edited in place) so that the classification computed with the
        old calibration is dropped and the views see the change.
        """
        tracks = entry.tracks
        if tracks is None or tracks.position_unit != "px":
            return
        overrides = self.calibration_overrides()
        # What a new link would give them: the user's calibration, else the file's.
        used = tuple(o if o is not None else f for o, f in zip(overrides, self._file_calibration))
        if used == (tracks.pixel_size_um, tracks.frame_interval_s):
            return
        self.session.replace_tracks(entry, *recalibrated(tracks, entry.link_result, used, overrides))

    # -- the file shown --------------------------------------------------------------

    def set_entry(self, entry: SessionFile | None, reader: StackReader | None,
                  frames: tuple[int, int] | None = None, n_planes: tuple[int, int] = (1, 1)) -> None:
        """Fill the panel for ``entry``.

        Parameters
        ----------
        entry : SessionFile or None
        reader : StackReader or None
            Its open movie (None: no movie), opened with the channel and z-plane
            the boxes then show.
        frames : (first, last) or None
            Frames to link, both included, as the user left them; None: all.
        n_planes : (int, int)
            Channels and z-planes (besides time) of the movie: a box for each of
            which it has several, hidden otherwise.
        """
        from resandi_core.errors import ResandiError
        from resandi_core.linking import LinkingParams

        self.entry = entry
        # The movie's own parameters over the user's defaults (from_dict ignores other keys).
        stored = {**(self.settings.linking or {}), **(entry.linking if entry is not None else {})}
        try:
            params = LinkingParams.from_dict(stored)
            params.check()
            self.set_params(params)
        except (TypeError, ValueError, ResandiError):  # a hand-edited settings file must not stop the view
            self.set_params(LinkingParams())
        self._filling = True
        try:
            last = reader.n_file_frames - 1 if reader is not None else 0
            self.first_frame.setRange(0, last)
            self.last_frame.setRange(0, last)
            first, last_wanted = frames if frames is not None else (0, last)
            self.set_frame_range(max(0, min(first, last)), max(0, min(last_wanted, last)))
            self._n_planes = n_planes if reader is not None else (1, 1)
            for box, count, value in zip((self.channel, self.z_plane), self._n_planes,
                                         (getattr(reader, "channel", None), getattr(reader, "z", None))):
                box.setRange(0, max(count - 1, 0))
                box.setValue(value or 0)
                # Hidden for a movie with one: a box that offers nothing would only puzzle.
                self._movie_form.setRowVisible(box, count > 1)
        finally:
            self._filling = False
        self._file_calibration = (reader.pixel_size_um, reader.frame_interval_s) if reader else (None, None)
        self.show_calibration()
        if entry is None:
            self.note.setText("Open a TIFF movie to find and link its particles.")
        elif entry.kind != KIND_MOVIE:
            self.note.setText("This file holds tracks, not a movie: there is nothing to link.")
        elif reader is None:
            self.note.setText("The movie could not be read (see the message above the image).")
        else:
            self.note.setText(self._planes_note(entry))
        self.note.setVisible(bool(self.note.text()))
        guess = entry.linking.get(GUESS_KEY) if entry is not None and reader is not None else None
        self.guess_note.setText(f"Guessed from the movie: {guess}." if guess else "")
        self.guess_note.setVisible(bool(guess))
        self.preview_label.setText("")
        self.show_summary(entry.link_result if entry is not None else None)
        self._has_movie = reader is not None and entry is not None and entry.kind == KIND_MOVIE
        self._update_enabled()

    def _planes_note(self, entry: SessionFile) -> str:
        """What the movie has and which plane of it is used; "" for a movie with one."""
        names = (("channel", "channels"), ("z-plane", "z-planes"))
        has = [f"{count} {plural}" for count, (_, plural) in zip(self._n_planes, names) if count > 1]
        if not has:
            return ""
        used = [f"{name} {value}" for value, (name, _) in zip(self.planes(), names) if value is not None]
        chosen = any(key in entry.linking for key in PLANE_KEYS)
        return (f"This movie has {' and '.join(has)}. Shown, previewed and linked: {', '.join(used)}"
                f"{'' if chosen else ' (the first, by default)'}; choose another under Movie.")

    def _update_enabled(self) -> None:
        for child in self.findChildren(QGroupBox):
            child.setEnabled(self._has_movie)
        self.link_button.setEnabled(self._has_movie and not self.runner.busy)

    def _on_busy_changed(self, _busy: bool) -> None:
        # JobRunner sets `busy` before it emits busy_changed (both ways), so the
        # property is up to date here and is the one source of truth.
        self._update_enabled()

    def show_summary(self, result: LinkResult | None) -> None:
        """A few lines about the last link of the file shown (or nothing)."""
        self.summary.setText(link_summary(result) if result is not None else "")

    # -- linking ---------------------------------------------------------------------

    def link_request(self) -> dict[str, Any]:
        """What Link would link for the movie shown, as the arguments of ``iter_link``.

        Returns
        -------
        dict
            ``params`` (LinkingParams); ``frames``: ``(first, last_exclusive)``, or
            None for the whole movie; ``channel`` and ``z``: the plane chosen, None
            where the movie has only one; ``pixel_size_um`` and ``frame_interval_s``:
            the calibration the user typed where it differs from the file's
            metadata, None where the file's (or unknown) applies.
        """
        first, stop = self.frame_range()
        whole = first == 0 and stop == self.last_frame.maximum() + 1
        channel, z = self.planes()
        pixel_size, interval = self.calibration_overrides()
        return {"params": self.params(), "frames": None if whole else (first, stop), "channel": channel, "z": z,
                "pixel_size_um": pixel_size, "frame_interval_s": interval}

    def link(self) -> None:
        """Start linking the shown movie on the shared runner."""
        from resandi_core.linking import iter_link

        entry = self.entry
        if entry is None or entry.kind != KIND_MOVIE or not self._has_movie or self.runner.busy:
            return
        request = self.link_request()
        params, path = request["params"], entry.path
        used = {**{k: v for k, v in entry.linking.items() if k == GUESS_KEY}, **params.to_dict(),  # guess note stays
                **{k: request[k] for k in (*PLANE_KEYS, *CALIBRATION_KEYS) if request[k] is not None}}

        linking_at_start = dict(entry.linking)

        def finished(result: LinkResult) -> None:
            # What was used, unless the user edited the panel while it linked: keep the edits.
            entry.linking = used if entry.linking == linking_at_start else {**used, **entry.linking}
            # New tracks: the old classification goes with the old ones (its track ids
            # would otherwise be joined to the new tracks). Emits file_changed.
            self.session.replace_tracks(entry, result.tracks, result)

        # The request's keys are iter_link's arguments: Link links exactly what
        # link_request() says (and what a classification of the movie links).
        self.runner.start(f"Linking {entry.name}", lambda: iter_link(path, **request), on_finished=finished)
