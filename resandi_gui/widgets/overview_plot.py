"""All tracks of a file in one x/y plot, coloured by predicted class or by Grad-CAM.

Clicking near a track emits :attr:`OverviewPlot.track_clicked`; the selected
track is drawn on top with a black outline. Drawing goes through
:class:`~resandi_gui.widgets.colored_segments.ColoredSegments`, so 5,000 tracks
of up to 1,000 points redraw in well under a second.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGraphicsItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from resandi_core.model.spec import CLASS_NAMES

from ..class_help import classes_html, show_class_help
from .class_colors import (
    HIGHLIGHT_HEX,
    UNCLASSIFIED_HEX,
    class_colors,
    gradcam_colormap,
    gradcam_levels,
    label_colorbar,
    set_axis_label,
    xy_plot,
)
from .colored_segments import ColoredSegments, connect_mask
from .plot_export import install_save_menu
from .track_lines import TrackLines

COLOR_BY_CLASS = "class"
#: Opacity (0-255) of uncertain tracks in class colours.
FADED_ALPHA = 70
COLOR_BY_GRADCAM = "Grad-CAM"
#: Largest distance from a click to a track's point that still picks it, screen pixels.
PICK_TOLERANCE_PX = 8.0


class OverviewPlot(QWidget):
    """Every track of a file, coloured by class or Grad-CAM, with click-to-select.

    Signals
    -------
    track_clicked(object)
        The track id nearest to a click (within :data:`PICK_TOLERANCE_PX`).
    """

    track_clicked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: TrackLines | None = None
        self.class_index = np.zeros(0, dtype=np.int64)
        self.uncertain = np.zeros(0, dtype=bool)
        self._scores: np.ndarray | Callable[[], np.ndarray] | None = None
        self.levels = (-1.0, 1.0)
        self.relu = False
        self.score_label = "Grad-CAM score"
        self.selected: object | None = None

        self.mode_combo = QComboBox()
        self.mode_combo.addItems([COLOR_BY_CLASS, COLOR_BY_GRADCAM])
        self.mode_combo.setToolTip("Colour every track by its predicted class or by its Grad-CAM scores")
        self.mode_combo.currentTextChanged.connect(lambda _: self.redraw())
        self.graphics, self.plot = xy_plot()
        install_save_menu(self.graphics, "overview")
        # A Qt label, not a pyqtgraph LegendItem: in a layout column the latter
        # stretches its rows over the plot's full height.
        self.legend = QLabel()
        self.legend.setObjectName("overviewLegend")
        self.legend.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setToolTip(classes_html())  # the class names are the paper's abbreviations
        self.legend.linkActivated.connect(lambda _link: show_class_help(self))
        self.colorbar = pg.ColorBarItem(values=(-1, 1), colorMap=gradcam_colormap(False), interactive=False, width=12)
        self.colorbar.setMenuEnabled(False)
        self.colorbar.hide()
        self.graphics.addItem(self.colorbar, row=0, col=1)
        self.segments = ColoredSegments(self.plot, width=1.0, z=0)
        self.highlight_casing = pg.PlotCurveItem(pen=pg.mkPen(HIGHLIGHT_HEX, width=3.5), antialias=True)
        self.highlight_casing.setZValue(10)
        self.plot.addItem(self.highlight_casing)
        self.highlight = ColoredSegments(self.plot, width=1.5, z=11)
        # A ring of fixed screen size finds a track that is a few pixels across when zoomed out.
        self.ring = pg.ScatterPlotItem(symbol="o", size=26, pen=pg.mkPen(HIGHLIGHT_HEX, width=2), brush=None)
        self.ring.setZValue(12)
        self.plot.addItem(self.ring)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.plot.vb.sigRangeChanged.connect(lambda *_: self._cache_tracks(False))

        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(QLabel("Overview, colour by"))
        controls.addWidget(self.mode_combo)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(controls)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.graphics, 1)
        body.addWidget(self.legend)
        layout.addLayout(body, 1)

    @property
    def point_scores(self) -> np.ndarray | None:
        """Grad-CAM score per point of :attr:`lines`, shape (n_points,), or None."""
        if callable(self._scores):
            self._scores = self._scores()
        return self._scores

    @property
    def mode(self) -> str:
        """:data:`COLOR_BY_CLASS` or :data:`COLOR_BY_GRADCAM`."""
        return self.mode_combo.currentText()

    def set_mode(self, mode: str) -> None:
        self.mode_combo.setCurrentText(mode)

    def set_data(
        self,
        lines: TrackLines | None,
        predicted_class: np.ndarray | None = None,
        point_scores: np.ndarray | Callable[[], np.ndarray] | None = None,
        relu: bool = False,
        score_label: str = "Grad-CAM score",
        uncertain: np.ndarray | None = None,
    ) -> None:
        """Show tracks.

        Parameters
        ----------
        lines : TrackLines or None
            None clears the plot.
        predicted_class : ndarray, shape (n_tracks,), str
            Class name per track of ``lines`` ("" when not classified).
        point_scores : ndarray, shape (n_points,), or callable returning it, optional
            Grad-CAM score per point of ``lines`` (NaN where none). A callable is
            called only when Grad-CAM colouring is first shown (matching scores
            to 10⁶ points takes a noticeable fraction of a second).
        relu : bool
            Whether the scores are ReLU scores (sequential colours) or signed (diverging).
        score_label : str
            Colour bar label in Grad-CAM mode.
        uncertain : ndarray, shape (n_tracks,), bool, optional
            Tracks flagged ``uncertain``: drawn in a faded version of their class colour.
        """
        self.lines = lines
        names = {name: i + 1 for i, name in enumerate(CLASS_NAMES)}  # 0: not classified
        n_tracks = 0 if lines is None else len(lines.track_ids)
        classes = predicted_class if predicted_class is not None else np.full(n_tracks, "", dtype=object)
        self.class_index = np.array([names.get(str(c), 0) for c in classes], dtype=np.int64)
        self.uncertain = (np.zeros(n_tracks, dtype=bool) if uncertain is None
                          else np.asarray(uncertain, dtype=bool) & (self.class_index > 0))
        self._scores = point_scores
        self.relu = relu
        self.score_label = score_label
        unit = lines.unit if lines is not None else "px"
        set_axis_label(self.plot, "bottom", f"x ({unit})")
        set_axis_label(self.plot, "left", f"y ({unit})")
        self.selected = None
        self.redraw()
        self.plot.enableAutoRange()

    def redraw(self) -> None:
        """Draw all tracks in the current colour mode, and the selection on top."""
        lines = self.lines
        self._cache_tracks(False)
        self.legend.hide()
        self.colorbar.hide()
        if lines is None or not len(lines.x):
            self.segments.clear()
            self._draw_selection()
            return
        connect = connect_mask(lines.lengths)
        scores = self.point_scores if self.mode == COLOR_BY_GRADCAM else None
        if scores is not None:
            self.levels = gradcam_levels(scores, self.relu, percentile=99.0)
            colormap = gradcam_colormap(self.relu)
            self.segments.set_by_value(lines.x, lines.y, connect, scores, colormap, self.levels)
            self.colorbar.setColorMap(colormap)
            self.colorbar.setLevels(self.levels)
            label_colorbar(self.colorbar, self.score_label)
            self.colorbar.show()
        else:
            solid = [pg.mkColor(UNCLASSIFIED_HEX), *class_colors()]
            faded = [pg.mkColor(c.red(), c.green(), c.blue(), FADED_ALPHA) for c in solid[1:]]
            # categories 1..8: classes; 9..16: the same classes, uncertain (faded)
            category = self.class_index + np.where(self.uncertain, len(CLASS_NAMES), 0)
            self.segments.set_by_category(lines.x, lines.y, connect, lines.per_point(category), [*solid, *faded])
            colors = solid
            self._fill_legend(colors)
            self.legend.show()
        self._draw_selection()

    def _fill_legend(self, colors: list) -> None:
        """Classes present, with their colour and number of tracks."""
        counts = np.bincount(self.class_index, minlength=len(CLASS_NAMES) + 1)
        rows = [
            f'<span style="color:{colors[i].name()}">&#9632;</span>&nbsp;{name}&nbsp;({counts[i]})'
            for i, name in enumerate(["not classified", *CLASS_NAMES])
            if counts[i]
        ]
        order = [*rows[1:], *rows[:1]] if counts[0] else rows  # "not classified" last
        n_uncertain = int(self.uncertain.sum())
        if n_uncertain:
            order.append(f"<i>faded: uncertain ({n_uncertain})</i>")
        order.append('<a href="classes">about the classes</a>')
        self.legend.setText("<br>".join(order))

    def _cache_tracks(self, cached: bool) -> None:
        """Keep the drawn tracks as one pixmap (True) or draw them on every paint (False).

        Changing the selection only redraws the outline, so with the pixmap it costs
        ~0.01 s instead of ~0.15 s for 5,000 tracks. But filling the pixmap makes the
        first paint after new data, a zoom or a pan slower, so the cache is switched
        on by a selection change and off by anything that redraws all tracks anyway.
        """
        mode = QGraphicsItem.CacheMode.DeviceCoordinateCache if cached else QGraphicsItem.CacheMode.NoCache
        if self.segments.item.cacheMode() != mode:
            self.segments.item.setCacheMode(mode)

    def set_selected(self, track_id: object | None) -> None:
        """Outline ``track_id`` (None: no selection) without emitting anything."""
        if self.segments.item.painted:  # not before the tracks were shown once: see _cache_tracks
            self._cache_tracks(True)
        self.selected = track_id
        self._draw_selection()

    def _draw_selection(self) -> None:
        lines = self.lines
        i = None if lines is None or self.selected is None else lines.index_of(self.selected)
        if i is None or not lines.lengths[i]:
            self.highlight_casing.setData([], [])
            self.highlight.clear()
            self.ring.setData([], [])
            return
        part = slice(int(lines.starts[i]), int(lines.starts[i + 1]))
        x, y = lines.x[part], lines.y[part]
        self.highlight_casing.setData(x, y)
        self.ring.setData([0.5 * (x.min() + x.max())], [0.5 * (y.min() + y.max())])
        connect = connect_mask(np.array([len(x)]))
        scores = self.point_scores if self.mode == COLOR_BY_GRADCAM else None
        if scores is not None:
            self.highlight.set_by_value(x, y, connect, scores[part], gradcam_colormap(self.relu), self.levels)
        else:
            colors = [pg.mkColor(UNCLASSIFIED_HEX), *class_colors()]
            category = np.full(len(x), self.class_index[i])
            self.highlight.set_by_category(x, y, connect, category, colors)

    def pick(self, x: float, y: float, tolerance: float) -> object | None:
        """The track with a point nearest to (x, y), if within ``tolerance`` (plot units)."""
        lines = self.lines
        if lines is None or not len(lines.x):
            return None
        d2 = (lines.x - x) ** 2 + (lines.y - y) ** 2
        nearest = int(np.argmin(d2))
        if d2[nearest] > tolerance**2:
            return None
        track = int(np.searchsorted(lines.starts, nearest, side="right")) - 1
        return lines.track_ids[track]

    def _on_mouse_clicked(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        view = self.plot.vb
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        point = view.mapSceneToView(event.scenePos())
        pixel_w, pixel_h = view.viewPixelSize()
        track_id = self.pick(point.x(), point.y(), PICK_TOLERANCE_PX * max(pixel_w, pixel_h))
        if track_id is not None:
            self.track_clicked.emit(track_id)
