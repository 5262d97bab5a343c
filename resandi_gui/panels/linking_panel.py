"""Side panel: trackpy's linking parameters, the frames and calibration, and the Link button.

Linking runs on the app's shared :class:`~resandi_gui.workers.JobRunner` (its
progress bar and Cancel button belong to the main window); the result lands on
the :class:`~resandi_gui.session.SessionFile` the job started from, whatever is
shown by the time it finishes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
    QScrollArea, QSpinBox, QVBoxLayout, QWidget,
)

from ..session import KIND_MOVIE, Session, SessionFile
from ..workers import JobRunner

if TYPE_CHECKING:
    from resandi_core.linking import LinkingParams, LinkResult
    from resandi_core.settings import Settings
    from resandi_core.stacks import StackReader

# Tooltips in the words of someone at the microscope, with trackpy's name for each.
TIPS = {
    "diameter": "How wide a particle looks in the image, in pixels (trackpy: diameter).\n"
                "An odd number a little larger than the spots. Too small cuts spots and pulls\n"
                "positions to whole pixels; too large merges neighbouring particles.",
    "minmass": "Least total brightness of a spot (sum of its smoothed pixel values; trackpy: minmass).\n"
               "Raise it to ignore dim noise and out-of-focus particles, lower it if real\n"
               "particles are missed. Watch the spot count under the movie as you change it.",
    "invert": "Tick when particles look darker than the background (e.g. beads in bright-field).\n"
              "Leave unticked for fluorescence, where particles are bright.",
    "search_range": "Farthest a particle can move between two consecutive frames, in pixels.\n"
                    "Too small breaks tracks into pieces; too large makes linking slow and\n"
                    "may swap identities in crowded fields.",
    "memory": "Frames a particle may vanish (blinking, leaving focus) and still keep its track.\n"
              "0: every gap starts a new track.",
    "min_length": "Tracks with fewer detections than this are dropped (trackpy: filter_stubs).\n"
                  "Short tracks carry too few steps to say how a particle moves.",
    "subtract_drift": "Remove the motion all particles share (stage drift, flow), measured from\n"
                      "the tracks themselves. The raw positions are kept as x_raw, y_raw.",
    "drift_smoothing": "Frames over which the measured drift is averaged before it is subtracted;\n"
                       "0: no smoothing.",
    "frames": "Frames to link, counted from 0, both ends included.\n"
              "Link a short stretch first to check the parameters, then the whole movie.",
    "pixel_size_um": "Size of one camera pixel in the sample, in µm (read from the file when it says).\n"
                     "Positions stay in pixels; this calibrates the scale bar, MSD and diffusion\n"
                     "coefficients. 'unknown' if you do not know it.",
    "frame_interval_s": "Time between two frames, in seconds (1 / frame rate; read from the file\n"
                        "when it says). 'unknown' if you do not know it.",
}


def _same(value: float | None, file_value: float | None, decimals: int) -> bool:
    """Whether a spin box's ``value`` is ``file_value`` up to the box's rounding."""
    if value is None or file_value is None:
        return value is file_value
    return abs(value - file_value) <= 0.51 * 10.0 ** -decimals


class OddSpinBox(QSpinBox):
    """A spin box that accepts odd numbers only (trackpy's feature diameter)."""

    def validate(self, text: str, pos: int) -> object:
        state = super().validate(text, pos)
        state = state[0] if isinstance(state, tuple) else state
        try:
            even = int(self.valueFromText(text)) % 2 == 0
        except ValueError:
            even = False
        if state == QValidator.State.Acceptable and even:
            return QValidator.State.Intermediate  # may still become odd ("1" -> "11")
        return state

    def fixup(self, text: str) -> str:
        try:
            value = int(self.valueFromText(text))
        except ValueError:
            return text
        return self.textFromValue(value + 1 if value % 2 == 0 else value)


def _spin(widget: QSpinBox | QDoubleSpinBox, low: float, high: float, step: float, suffix: str = "",
          decimals: int | None = None) -> Any:
    if decimals is not None:
        widget.setDecimals(decimals)
    widget.setRange(low, high)
    widget.setSingleStep(step)
    widget.setSuffix(suffix)
    widget.setKeyboardTracking(False)  # typing "120" is one change, not three
    return widget


class LinkingPanel(QWidget):
    """Parameters, frame range, calibration and the Link button for one movie.

    Signals
    -------
    params_edited(dict)
        The user changed a linking parameter: all fields of ``LinkingParams``.
    calibration_edited()
        The user changed the pixel size or frame interval.
    """

    params_edited = Signal(dict)
    calibration_edited = Signal()

    def __init__(self, runner: JobRunner, session: Session, settings: Settings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner, self.session, self.settings = runner, session, settings
        self.entry: SessionFile | None = None
        self._reader_calibration: tuple[float | None, float | None] = (None, None)
        self._hidden: dict[str, Any] = {}  # LinkingParams fields without a widget (kept as given)
        self._filling = False
        self._has_movie = False
        self._busy = runner.busy  # from busy_changed: `runner.busy` lags behind the signal

        self.diameter = _spin(OddSpinBox(), 3, 201, 2, " px")
        self.minmass = _spin(QDoubleSpinBox(), 0, 1e9, 10, decimals=1)
        self.invert = QCheckBox("Dark particles on bright background")
        self.search_range = _spin(QDoubleSpinBox(), 0.1, 1000, 0.5, " px", decimals=1)
        self.memory = _spin(QSpinBox(), 0, 1000, 1, " frames")
        self.min_length = _spin(QSpinBox(), 1, 1_000_000, 1, " frames")
        self.subtract_drift = QCheckBox("Subtract drift")
        self.drift_smoothing = _spin(QSpinBox(), 0, 10_000, 1, " frames")
        self.first_frame = _spin(QSpinBox(), 0, 0, 1)
        self.last_frame = _spin(QSpinBox(), 0, 0, 1)
        self.all_frames = QPushButton("All")
        self.all_frames.setToolTip("Link the whole movie.")
        self.pixel_size = _spin(QDoubleSpinBox(), 0, 1000, 0.01, " µm", decimals=4)
        self.frame_interval = _spin(QDoubleSpinBox(), 0, 3600, 0.001, " s", decimals=5)
        for spin in (self.pixel_size, self.frame_interval):
            spin.setSpecialValueText("unknown")  # 0 means "not known", never a real value

        spots = QFormLayout()
        spots.addRow("Spot diameter", self.diameter)
        spots.addRow("Min. brightness", self.minmass)
        spots.addRow(self.invert)
        links = QFormLayout()
        links.addRow("Search range", self.search_range)
        links.addRow("Memory", self.memory)
        links.addRow("Min. track length", self.min_length)
        links.addRow(self.subtract_drift)
        links.addRow("Drift smoothing", self.drift_smoothing)
        frames_row = QHBoxLayout()
        for widget in (self.first_frame, QLabel("to"), self.last_frame, self.all_frames):
            frames_row.addWidget(widget)
        movie = QFormLayout()
        movie.addRow("Frames", frames_row)
        movie.addRow("Pixel size", self.pixel_size)
        movie.addRow("Frame interval", self.frame_interval)
        tips = [(self.diameter, "diameter"), (self.minmass, "minmass"), (self.invert, "invert"),
                (self.search_range, "search_range"), (self.memory, "memory"), (self.min_length, "min_length"),
                (self.subtract_drift, "subtract_drift"), (self.drift_smoothing, "drift_smoothing"),
                (self.first_frame, "frames"), (self.last_frame, "frames"),
                (self.pixel_size, "pixel_size_um"), (self.frame_interval, "frame_interval_s")]
        for widget, key in tips:
            widget.setToolTip(TIPS[key])
        for form in (spots, links, movie):  # the labels explain too, not only the fields
            for row in range(form.rowCount()):
                label, field = (form.itemAt(row, role) for role in (QFormLayout.ItemRole.LabelRole,
                                                                     QFormLayout.ItemRole.FieldRole))
                if label is not None and field is not None and field.widget() is not None:
                    label.widget().setToolTip(field.widget().toolTip())

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

        for spin in (self.diameter, self.minmass, self.search_range, self.memory, self.min_length,
                     self.drift_smoothing):
            spin.valueChanged.connect(self._on_params_edited)
        for box in (self.invert, self.subtract_drift):
            box.toggled.connect(self._on_params_edited)
        for spin in (self.pixel_size, self.frame_interval):
            spin.valueChanged.connect(self._on_calibration_edited)
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
        """Pixel size (µm) and frame interval (s), None where unknown."""
        return self.pixel_size.value() or None, self.frame_interval.value() or None

    def _on_params_edited(self) -> None:
        if self._filling:
            return
        values = self.params().to_dict()
        if self.entry is not None:
            self.entry.linking = values  # each movie remembers its own parameters
        self.params_edited.emit(values)

    def _on_calibration_edited(self) -> None:
        if not self._filling:
            self.calibration_edited.emit()

    # -- the file shown --------------------------------------------------------------

    def set_entry(self, entry: SessionFile | None, reader: StackReader | None) -> None:
        """Fill the panel for ``entry``; ``reader`` is its open movie (None: no movie)."""
        from resandi_core.linking import LinkingParams

        from resandi_core.errors import ResandiError

        self.entry = entry
        stored = (entry.linking if entry is not None and entry.linking else None) or self.settings.linking
        try:
            params = LinkingParams.from_dict(stored or {})
            params.check()
            self.set_params(params)
        except (TypeError, ValueError, ResandiError):  # a hand-edited settings file must not stop the view
            self.set_params(LinkingParams())
        self._filling = True
        try:
            last = reader.n_file_frames - 1 if reader is not None else 0
            self.first_frame.setRange(0, last)
            self.last_frame.setRange(0, last)
            self.set_frame_range(0, last)
            self._reader_calibration = (reader.pixel_size_um, reader.frame_interval_s) if reader else (None, None)
            tracks = entry.tracks if entry is not None else None
            # The file's own calibration first, then the user's defaults.
            self.pixel_size.setValue(self._reader_calibration[0] or (tracks and tracks.pixel_size_um)
                                     or self.settings.pixel_size_um or 0)
            self.frame_interval.setValue(self._reader_calibration[1] or (tracks and tracks.frame_interval_s)
                                         or self.settings.frame_interval_s or 0)
        finally:
            self._filling = False
        if entry is None:
            self.note.setText("Open a TIFF movie to find and link its particles.")
        elif entry.kind != KIND_MOVIE:
            self.note.setText("This file holds tracks, not a movie: there is nothing to link.")
        elif reader is None:
            self.note.setText("The movie could not be read (see the message above the image).")
        else:
            self.note.setText("")
        self.note.setVisible(bool(self.note.text()))
        self.preview_label.setText("")
        self.show_summary(entry.link_result if entry is not None else None)
        self._has_movie = reader is not None and entry is not None and entry.kind == KIND_MOVIE
        self._update_enabled()

    def _update_enabled(self) -> None:
        for child in self.findChildren(QGroupBox):
            child.setEnabled(self._has_movie)
        self.link_button.setEnabled(self._has_movie and not self._busy)

    def _on_busy_changed(self, busy: bool) -> None:
        self._busy = busy
        self._update_enabled()

    def show_summary(self, result: LinkResult | None) -> None:
        """A few lines about the last link of the file shown (or nothing)."""
        if result is None:
            self.summary.setText("")
            return
        lengths = result.tracks.table.groupby("track_id").size()
        self.summary.setText(
            f"<b>Last link</b>: {result.n_tracks_kept} tracks kept of {result.n_tracks_linked} linked "
            f"(≥ {result.params.min_length} detections)<br>"
            f"{result.n_features} spots found in {result.n_frames} frames, "
            f"{result.tracks.n_detections} in kept tracks<br>"
            f"median track length {int(lengths.median()) if len(lengths) else 0} frames; "
            f"took {result.elapsed_s:.1f} s")

    # -- linking ---------------------------------------------------------------------

    def link(self) -> None:
        """Start linking the shown movie on the shared runner."""
        from resandi_core.linking import iter_link

        entry = self.entry
        if entry is None or entry.kind != KIND_MOVIE or self._busy:
            return
        params, frames = self.params(), self.frame_range()
        pixel_size, interval = self.calibration()
        # Pass only what differs from the file, so the result says "from the file" where true.
        file_pixel, file_interval = self._reader_calibration
        pixel_size = None if _same(pixel_size, file_pixel, self.pixel_size.decimals()) else pixel_size
        interval = None if _same(interval, file_interval, self.frame_interval.decimals()) else interval
        path = entry.path

        def finished(result: LinkResult) -> None:
            entry.tracks, entry.link_result, entry.linking = result.tracks, result, params.to_dict()
            if self.entry is entry:
                self.show_summary(result)
            self.session.changed(entry)

        self.runner.start(
            f"Linking {entry.name}",
            lambda: iter_link(path, params, frames=frames, pixel_size_um=pixel_size, frame_interval_s=interval),
            on_finished=finished,
        )
