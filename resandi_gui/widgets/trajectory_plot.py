"""One trajectory in x/y, each segment coloured by its Grad-CAM score, with a colour bar.

Signed scores (the paper's) use a diverging map symmetric around 0; ReLU scores
the same map's positive half from 0 (see :mod:`.class_colors`). The range is the
shown track's largest ``|score|``, so every track uses its full colour range;
the colour bar gives the numbers. Start and end are told apart by shape and a
label as well as colour; points filled in for missing frames are marked.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .class_colors import (
    END_HEX,
    START_HEX,
    UNCLASSIFIED_HEX,
    gradcam_colormap,
    gradcam_levels,
    label_colorbar,
    set_axis_label,
    xy_plot,
)
from .colored_segments import ColoredSegments, connect_mask
from .plot_export import install_save_menu


class TrajectoryPlot(QWidget):
    """The selected track, coloured by Grad-CAM, in µm (calibrated) or px.

    Attributes
    ----------
    levels : (float, float)
        Score range of the colour map (what the colour bar shows).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics, self.plot = xy_plot()
        install_save_menu(self.graphics, "trajectory")
        self.colorbar = pg.ColorBarItem(values=(-1, 1), colorMap=gradcam_colormap(False), interactive=False, width=14)
        self.colorbar.setMenuEnabled(False)
        label_colorbar(self.colorbar, "Grad-CAM score")
        self.graphics.addItem(self.colorbar, row=0, col=1)
        self.segments = ColoredSegments(self.plot, width=3.0, z=1)
        self.plain = pg.PlotCurveItem(pen=pg.mkPen(UNCLASSIFIED_HEX, width=2), antialias=True)
        self.plot.addItem(self.plain)
        self.filled = pg.ScatterPlotItem(
            symbol="o", size=6, pen=pg.mkPen("#444444", width=1), brush=pg.mkBrush(255, 255, 255, 200)
        )
        self.filled.setZValue(2)
        self.plot.addItem(self.filled)
        self.markers = pg.ScatterPlotItem(pxMode=True)
        self.markers.setZValue(3)
        self.plot.addItem(self.markers)
        self.start_label = pg.TextItem("start", color=START_HEX, anchor=(-0.15, 1.0))
        self.end_label = pg.TextItem("end", color=END_HEX, anchor=(-0.15, 1.0))
        for label in (self.start_label, self.end_label):
            label.setZValue(4)
            self.plot.addItem(label)
        # What red and blue mean, in words: a colour bar's numbers alone do not say it.
        self.caption = QLabel()
        self.caption.setObjectName("gradcamCaption")
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setStyleSheet("color: #333333;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.caption)
        self.levels = (-1.0, 1.0)
        self.show_message("Select a track in the table or the overview")

    def show_message(self, text: str) -> None:
        """Empty the plot and say why in its title."""
        self.segments.clear()
        self.plain.setData([], [])
        self.filled.setData([], [])
        self.markers.setData([], [])
        self.start_label.hide()
        self.end_label.hide()
        self.colorbar.hide()
        self.caption.hide()
        self.plot.setTitle(text, size="10pt")

    def show_track(
        self,
        x: np.ndarray,
        y: np.ndarray,
        unit: str,
        scores: np.ndarray | None = None,
        interpolated: np.ndarray | None = None,
        relu: bool = False,
        score_label: str = "Grad-CAM score",
        title: str = "",
        caption: str = "",
    ) -> None:
        """Draw one trajectory.

        Parameters
        ----------
        x, y : ndarray, shape (n,)
            Positions in ``unit``, in frame order (gaps already filled when scored).
        unit : str
            ``"µm"`` or ``"px"``; labels the axes.
        scores : ndarray, shape (n,), optional
            Grad-CAM score per point (dimensionless); None draws a grey line (not classified).
        interpolated : ndarray, shape (n,), bool, optional
            Points filled in for missing frames; drawn as small open circles.
        relu : bool
            Whether ``scores`` are ReLU (sequential colours from 0) or signed (diverging).
        score_label : str
            The colour bar's label, e.g. ``"Grad-CAM score (SubFBM)"``.
        title : str
        caption : str
            What the colours mean, shown under the plot with the scores (e.g. from
            :func:`~resandi_gui.class_help.gradcam_caption`).
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        self.plot.setTitle(title, size="10pt")
        set_axis_label(self.plot, "bottom", f"x ({unit})")
        set_axis_label(self.plot, "left", f"y ({unit})")
        if scores is None or len(scores) != len(x):
            self.segments.clear()
            self.plain.setData(x, y)
            self.colorbar.hide()
            self.caption.hide()
        else:
            self.plain.setData([], [])
            self.levels = gradcam_levels(scores, relu)
            colormap = gradcam_colormap(relu)
            connect = connect_mask(np.array([len(x)]))
            self.segments.set_by_value(x, y, connect, scores, colormap, self.levels, n_bins=64)
            self.colorbar.setColorMap(colormap)
            self.colorbar.setLevels(self.levels)
            label_colorbar(self.colorbar, score_label)
            self.colorbar.show()
            self.caption.setText(caption)
            self.caption.setVisible(bool(caption))
        filled = np.zeros(len(x), bool) if interpolated is None else np.asarray(interpolated, dtype=bool)
        self.filled.setData(x[filled], y[filled])
        if len(x):
            self.markers.setData(
                [
                    {"pos": (x[0], y[0]), "symbol": "o", "size": 12, "brush": START_HEX, "pen": pg.mkPen("k", width=1)},
                    {"pos": (x[-1], y[-1]), "symbol": "s", "size": 11, "brush": END_HEX, "pen": pg.mkPen("k", width=1)},
                ]
            )
            self.start_label.setPos(x[0], y[0])
            self.end_label.setPos(x[-1], y[-1])
            self.start_label.show()
            self.end_label.show()
        # 12% margins: the "start" and "end" labels sit beside the end points and must not be cut off.
        self.plot.getViewBox().setDefaultPadding(0.12)
        self.plot.enableAutoRange()
