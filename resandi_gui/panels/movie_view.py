"""The movie, one frame at a time, with detected spots and track tails drawn on it.

Frames are read one at a time through :class:`~resandi_core.io.stacks.StackReader`
when the frame slider moves, so a movie of any length costs one frame of memory.
Tracks are drawn as a few curve items (one per colour), not one item per track,
so thousands of tracks scrub smoothly. The view shows readers it is given and
never closes them: the Data view keeps one open per movie, so switching files
does not reopen (and re-parse) a TIFF on the UI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QSpinBox, QVBoxLayout, QWidget

from ..widgets.plot_export import install_save_menu
from .track_overlay import HIGHLIGHT_COLOUR, PREVIEW_COLOUR, TAIL_FRAMES, TRACK_COLOURS, TrackTails, nice_length

if TYPE_CHECKING:
    import pandas as pd

    from resandi_core.io.stacks import StackReader
    from resandi_core.tracks import Tracks

__all__ = ["MovieView", "TrackTails", "nice_length"]


class MovieView(QWidget):
    """A movie frame (or a blank canvas) with spots, track tails and a frame slider.

    Coordinates are trackpy's: x along columns, y along rows, in px, with a
    pixel's centre at its integer index (pyqtgraph puts it at +0.5, so overlays
    are shifted by half a pixel to sit on the spots).

    Signals
    -------
    frame_changed(int)
        The file's frame number now shown.
    """

    frame_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reader: StackReader | None = None
        self.tail_frames = TAIL_FRAMES
        self._tails: TrackTails | None = None
        self._table: pd.DataFrame | None = None  # track_id, frame, x, y as drawn
        self._drawn_from: tuple[Any, bool] | None = None  # (tracks.table, on a movie) behind _tails
        self._offset = 0.5  # px: pixel centres for a movie; 0 on a blank canvas
        self._levels_set = False
        self._pixel_size_um: float | None = None
        self._frame_interval_s: float | None = None
        self._spots: tuple[Any, ...] | None = None
        self._spot_diameter = 11.0
        self._pens = [pg.mkPen(c, width=1.5) for c in TRACK_COLOURS]

        # An ImageItem in a PlotItem (pixel axes) with a histogram beside it, rather
        # than pg.ImageView: frames come one at a time from the reader, so ImageView's
        # time line, ROI and normalisation widgets would only be hidden, and its
        # setImage recomputes the histogram range on every frame.
        self.graphics = pg.GraphicsLayoutWidget()
        plot = self.plot = self.graphics.addPlot()
        plot.setAspectLocked(True)
        plot.invertY(True)  # image convention: row 0 at the top, as in Fiji
        self.image_item = pg.ImageItem(axisOrder="row-major")
        plot.addItem(self.image_item)
        self.histogram = pg.HistogramLUTItem(image=self.image_item)
        self.histogram.setToolTip("Brightness and contrast: drag the yellow bars.")
        self.graphics.addItem(self.histogram)
        install_save_menu(self.graphics, "movie_frame")
        self._image: np.ndarray | None = None
        self._curves = [pg.PlotCurveItem(pen=pg.mkPen(c, width=1.5), skipFiniteCheck=True) for c in TRACK_COLOURS]
        self._highlight = pg.PlotCurveItem(pen=pg.mkPen(HIGHLIGHT_COLOUR, width=3.5), skipFiniteCheck=True)
        self._spot_item = pg.ScatterPlotItem(pxMode=False, symbol="o", brush=None)
        for z, item in enumerate([*self._curves, self._spot_item, self._highlight], start=10):
            item.setZValue(z)
            plot.addItem(item)
        self._scale_bar: pg.ScaleBar | None = None

        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.spin = QSpinBox()
        self.spin.setToolTip("Frame number, counted from 0 as in trackpy and the track tables.")
        self.frame_label = QLabel()
        self.show_spots = QCheckBox("spots")
        self.show_tracks = QCheckBox("tracks")
        for box in (self.show_spots, self.show_tracks):
            box.setChecked(True)
            box.toggled.connect(self._redraw_overlays)
        self.show_spots.setToolTip("Circles of the spot diameter around the particles found in this frame.")
        self.show_tracks.setToolTip(f"Each linked particle's path over its last {TAIL_FRAMES} frames.")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Frame"))
        bar.addWidget(self.spin)
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.frame_label)
        bar.addWidget(self.show_spots)
        bar.addWidget(self.show_tracks)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.graphics, 1)
        layout.addLayout(bar)
        self.slider.valueChanged.connect(self.set_frame)
        self.spin.valueChanged.connect(self.set_frame)
        self._set_range(0, 0)

    # -- what is shown ---------------------------------------------------------------

    @property
    def current_frame(self) -> int:
        """The file's frame number now shown (0-based)."""
        return self.slider.value()

    @property
    def current_image(self) -> np.ndarray | None:
        """The frame shown, shape ``(height, width)``; None on a blank canvas."""
        return self._image

    def show_movie(self, reader: StackReader, frame: int = 0, levels: tuple[float, float] | None = None) -> None:
        """Show an open movie at ``frame``; the caller owns ``reader`` (and closes it).

        ``levels``: the brightness range the user left for this movie; None sets it
        from the frame shown.
        """
        self.clear()
        self.reader = reader
        self.histogram.show()
        self._offset = 0.5
        self._levels_set = levels is not None
        if levels is not None:
            self.image_item.setLevels(levels, update=False)  # setImage(autoLevels=False) keeps them
        self._set_units("px")
        self._set_range(0, reader.n_file_frames - 1)
        frame = max(0, min(int(frame), reader.n_file_frames - 1))
        self._set_value(frame)
        self._show_frame(frame)
        if levels is not None:
            self.plot.autoRange(padding=0.02)  # _show_frame fits the view only when it sets levels

    @property
    def levels(self) -> tuple[float, float] | None:
        """The brightness range shown (the histogram's bars); None without a movie."""
        if self.reader is None or self._image is None:
            return None
        low, high = self.image_item.getLevels()
        return float(low), float(high)

    def clear(self) -> None:
        """Forget the movie (without closing its reader) and clear the image and overlays."""
        self.reader = None
        self._image = None
        self.image_item.clear()
        self.histogram.hide()  # it would show the last movie's histogram
        self.set_tracks(None)
        self.set_spots(None)
        self.show_note("")

    def show_tracks_only(self, tracks: Tracks, frame: int | None = None) -> None:
        """A blank canvas spanning the tracks, for files that hold tracks but no movie.

        ``frame``: the frame to show (clipped to the tracks'); None: their first.
        """
        self.clear()
        self._offset = 0.0
        self._set_units(tracks.position_unit)
        frames = tracks.table["frame"]
        self._set_range(int(frames.min()), int(frames.max()))
        if frame is not None:
            self._set_value(max(int(frames.min()), min(int(frame), int(frames.max()))))
        self.set_tracks(tracks)
        x, y = tracks.table["x"], tracks.table["y"]
        self.plot.setRange(xRange=(x.min(), x.max()), yRange=(y.min(), y.max()))
        self._show_frame(self.current_frame)

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def set_calibration(self, pixel_size_um: float | None, frame_interval_s: float | None) -> None:
        """µm per px (draws a scale bar) and s per frame (shows the time), None when unknown."""
        self._pixel_size_um, self._frame_interval_s = pixel_size_um, frame_interval_s
        bar = self._scale_bar
        if pixel_size_um and self.reader is not None:
            length_um = nice_length(self.reader.shape[2] * pixel_size_um / 6)
            if bar is None:
                bar = self._scale_bar = pg.ScaleBar(size=1, width=6, brush="w", pen="k", offset=(-25, -25))
                bar.text.fill = pg.mkBrush(0, 0, 0, 150)  # readable on bright and dark images
                bar.setParentItem(self.plot.getViewBox())
            bar.size = length_um / pixel_size_um  # in px, the view's units
            bar.text.setText(f"{length_um:g} µm")
            bar.updateBar()
            bar.show()
        elif bar is not None:
            bar.hide()
        self._update_label()

    def set_tracks(self, tracks: Tracks | None) -> None:
        """Tracks to draw as tails (and, on a movie, as spots of the frame), or None.

        Tracks with the very table already drawn (e.g. the same tracks recalibrated)
        keep their tails and highlight: sorting a large table again would stall the UI.
        """
        source = (tracks.table, self.reader is not None) if tracks is not None and len(tracks.table) else None
        if source is not None and self._drawn_from is not None and source[0] is self._drawn_from[0] \
                and source[1] == self._drawn_from[1]:
            return
        self._drawn_from = source
        table = None
        if tracks is not None and len(tracks.table):
            table = tracks.table
            if self.reader is not None and {"x_raw", "y_raw"} <= set(table.columns):
                # Drift-corrected positions would drift off the particles in the movie.
                table = table[["track_id", "frame", "x_raw", "y_raw"]].rename(columns={"x_raw": "x", "y_raw": "y"})
        self._table = table
        self._tails = TrackTails(table) if table is not None else None
        self._highlight.setData([], [])
        self._redraw_overlays()

    def set_spots(self, spots: pd.DataFrame | None, diameter_px: float = 11) -> None:
        """Spots of a live preview (``x, y`` in px) in the current frame, or None."""
        self._spots = None if spots is None else (spots["x"].to_numpy(), spots["y"].to_numpy(), diameter_px)
        self._redraw_overlays()

    def highlight_track(self, track_id: Any) -> None:
        """Draw one track's whole path bold; None removes the highlight."""
        if self._table is None or track_id is None:
            self._highlight.setData([], [])
            return
        rows = self._table[self._table["track_id"] == track_id]
        self._highlight.setData(rows["x"].to_numpy(float) + self._offset, rows["y"].to_numpy(float) + self._offset)

    # -- frames ----------------------------------------------------------------------

    def set_frame(self, frame: int) -> None:
        """Show the file's frame ``frame`` (clipped to the movie)."""
        frame = max(self.slider.minimum(), min(int(frame), self.slider.maximum()))
        self._set_value(frame)
        self._show_frame(frame)
        self.frame_changed.emit(frame)

    def _set_range(self, first: int, last: int) -> None:
        for control in (self.slider, self.spin):
            control.blockSignals(True)
            control.setRange(first, last)
            control.setValue(first)
            control.blockSignals(False)

    def _set_value(self, frame: int) -> None:
        """Move the slider and spin box to ``frame`` without ``frame_changed``."""
        for control in (self.slider, self.spin):
            control.blockSignals(True)
            control.setValue(frame)
            control.blockSignals(False)

    def _show_frame(self, frame: int) -> None:
        if self.reader is not None:
            image = self.reader.read(frame)
            # Levels are set from the first frame only: afterwards they stay put so
            # brightness changes between frames stay visible (and the user's own
            # histogram setting survives scrubbing).
            first = not self._levels_set
            self.image_item.setImage(image, autoLevels=first)
            self._image = image
            if first:
                self.plot.autoRange(padding=0.02)
            self._levels_set = True
        self._redraw_overlays()
        self._update_label()

    def _update_label(self) -> None:
        frame = self.current_frame
        text = f"/ {self.slider.maximum() + 1}"
        if self._frame_interval_s:
            text += f"   t = {frame * self._frame_interval_s:.3f} s"
        self.frame_label.setText(text)
        if self.reader is not None:
            self._set_units("px")

    def _set_units(self, unit: str) -> None:
        calibration = ""
        if unit == "px" and self.reader is not None:
            size = self._pixel_size_um
            calibration = f";  1 px = {size:.4g} µm" if size else ";  pixel size unknown"
        self.plot.setLabel("bottom", f"x ({unit}{calibration})")
        self.plot.setLabel("left", f"y ({unit})")

    def _redraw_overlays(self) -> None:
        frame, shift = self.current_frame, self._offset
        tails = None
        if self._tails is not None and self.show_tracks.isChecked():
            tails = self._tails.tails(frame, self.tail_frames)
        for i, curve in enumerate(self._curves):
            if tails is None:
                curve.setData([], [])
            else:
                x, y, connect = tails[i]
                curve.setData(x + shift, y + shift, connect=connect)
        if not self.show_spots.isChecked():
            self._spot_item.setData([], [])
        elif self._spots is not None:
            x, y, diameter = self._spots
            self._spot_item.setPxMode(False)
            self._spot_item.setData(x + shift, y + shift, size=diameter, pen=pg.mkPen(PREVIEW_COLOUR, width=1.5))
        elif self._tails is not None:
            # After linking: the frame's detections, in the colour of their track.
            x, y, colour = self._tails.at(frame)
            pens = [self._pens[c] for c in colour]
            on_movie = self.reader is not None
            # On a blank canvas (tracks only) the spot size is unknown: fixed 7-px dots.
            self._spot_item.setPxMode(not on_movie)
            self._spot_item.setData(x + shift, y + shift, size=self._spot_diameter if on_movie else 7, pen=pens)
        else:
            self._spot_item.setData([], [])

    def set_spot_diameter(self, diameter_px: float) -> None:
        """Diameter (px) of the circles drawn around linked detections."""
        self._spot_diameter = float(diameter_px)
        self._redraw_overlays()
