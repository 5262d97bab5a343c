"""Time-averaged MSD of one track on log-log axes, with its power-law fit ``4 D t^α``.

The MSD points come from :func:`resandi_core.msd.imsd` and the fit's α and D
from the result table (the same :func:`resandi_core.msd.fit_msd` numbers the table
shows), so the line drawn is exactly the fit the user reads. Lags that the fit
used (the result's ``msd_n_lags``) are filled, the others (noisier, not fitted) hollow.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from .class_colors import TEXT_HEX, set_axis_label, style_plot
from .plot_export import install_save_menu
from .track_table_model import pretty_unit

POINT_HEX = "#332288"
FIT_HEX = "#CC3311"


class LogAxis(pg.AxisItem):
    """A log-scale axis labelled at decades, and at 2 and 5 when less than two decades show.

    pyqtgraph's own log ticks label 2..9 of every decade, which overlap
    ("0.050.060.07") on a plot a few hundred pixels wide.
    """

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        if not self.logMode:
            return super().tickValues(minVal, maxVal, size)
        low, high = sorted((minVal, maxVal))
        decades = np.arange(np.floor(low), np.ceil(high) + 1)
        inside = lambda v: v[(v >= low) & (v <= high)]  # noqa: E731
        major = inside(decades)
        minor_steps = np.log10(np.arange(2, 10))
        minor = inside((decades[:, None] + minor_steps[None, :]).ravel())
        if len(major) < 2:
            # Few decades: label 2 and 5 of each as well, so the axis has numbers.
            labelled = inside((decades[:, None] + np.log10([1, 2, 5])[None, :]).ravel())
            return [(1.0, labelled.tolist()), (None, np.setdiff1d(minor, labelled).tolist())]
        return [(1.0, major.tolist()), (None, minor.tolist())]

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [f"{10.0**v:g}" for v in values]


class MsdPlot(QWidget):
    """MSD against lag time of the selected track, log-log, with the fit overlaid."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.plot: pg.PlotItem = self.graphics.addPlot(
            axisItems={"bottom": LogAxis("bottom"), "left": LogAxis("left")}
        )
        self.plot.setMenuEnabled(False)
        install_save_menu(self.graphics, "msd")
        self.plot.setLogMode(x=True, y=True)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        style_plot(self.plot)
        for name in ("bottom", "left"):
            self.plot.getAxis(name).setStyle(maxTextLevel=0)  # minor ticks unlabelled
        self.legend = self.plot.addLegend(
            offset=(-6, -6), labelTextSize="8pt", labelTextColor=TEXT_HEX, brush=pg.mkBrush(255, 255, 255, 210)
        )
        self.fitted = pg.PlotDataItem(
            pen=None, symbol="o", symbolSize=6, symbolBrush=POINT_HEX, symbolPen=None, name="MSD, fitted lags"
        )
        self.unfitted = pg.PlotDataItem(
            pen=None, symbol="o", symbolSize=6, symbolBrush=None, symbolPen=pg.mkPen(POINT_HEX), name="MSD, not fitted"
        )
        self.fit = pg.PlotDataItem(pen=pg.mkPen(FIT_HEX, width=2), name="fit")
        for z, item in enumerate((self.fitted, self.unfitted, self.fit)):  # legend order
            item.setZValue(z)
            self.plot.addItem(item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.set_units("frame", "px")
        self.clear("MSD of the selected track")

    def set_units(self, time_unit: str, length_unit: str) -> None:
        """Axis labels: ``time_unit`` "s" or "frame", ``length_unit`` "µm" or "px"."""
        time_label = "lag time (s)" if time_unit == "s" else "lag time (frames)"
        set_axis_label(self.plot, "bottom", time_label)
        set_axis_label(self.plot, "left", f"MSD ({length_unit}²)")

    def clear(self, title: str = "") -> None:
        for item in (self.fitted, self.unfitted, self.fit):
            item.setData([], [])
        self.legend.setVisible(False)
        self.plot.setTitle(title, size="10pt")

    def show_msd(
        self,
        lag: np.ndarray,
        msd: np.ndarray,
        n_fit_lags: int,
        alpha: float,
        diffusion: float,
        diffusion_unit: str,
        title: str = "time-averaged MSD",
    ) -> None:
        """Draw one track's MSD and fit.

        Parameters
        ----------
        lag : ndarray, shape (n_lags,)
            Lag times (s, or frames when uncalibrated), lag 1 first.
        msd : ndarray, shape (n_lags,)
            MSD (µm² or px²); NaN or 0 where a lag has no pair (not drawn).
        n_fit_lags : int
            The fit used the first ``n_fit_lags`` lags that have a positive, finite
            MSD (the result's ``msd_n_lags``; the core's fit leaves out lags without
            a pair or with zero MSD, so these are counted among drawable lags only).
        alpha, diffusion : float
            The fit ``MSD = 4 D t^α``; NaN when no fit was possible (no line drawn).
        diffusion_unit : str
            Unit of D, e.g. ``"µm^2/s^alpha"``.
        """
        lag = np.asarray(lag, dtype=np.float64)
        msd = np.asarray(msd, dtype=np.float64)
        drawable = np.isfinite(msd) & (msd > 0) & (lag > 0)
        fitted = bool(np.isfinite(alpha) and np.isfinite(diffusion))
        # Lags are "fitted" only when a fit exists; else all are drawn hollow.
        in_fit = drawable & (np.cumsum(drawable) <= (n_fit_lags if fitted else 0))
        self.fitted.setData(lag[drawable & in_fit], msd[drawable & in_fit])
        self.unfitted.setData(lag[drawable & ~in_fit], msd[drawable & ~in_fit])
        if fitted and drawable.any():
            t = np.geomspace(lag[drawable].min(), lag[drawable].max(), 50)
            self.fit.setData(t, 4 * diffusion * t**alpha)
            self.legend.getLabel(self.fit).setText(
                f"fit: α = {alpha:.2f}, D = {diffusion:.3g} {pretty_unit(diffusion_unit)}"
            )
        else:
            self.fit.setData([], [])
            self.legend.getLabel(self.fit).setText("no fit (too few lags)")
        self.legend.setVisible(bool(drawable.any()))
        self.plot.setTitle(title, size="10pt")
        self.plot.enableAutoRange()
