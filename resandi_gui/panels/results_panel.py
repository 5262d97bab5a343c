"""The Results view: a file's tracks table beside the selected track's plots.

Left, the filterable table of every track above the class fractions of the
rows it shows; right, a control row (Grad-CAM target class, signed or ReLU)
above the selected track's trajectory coloured by Grad-CAM, the overview of all
tracks, the class probabilities and the MSD.
Selecting a track anywhere (table row, overview click, :meth:`select_track`)
selects it everywhere; each view is updated directly, never through another
view's signal, so there are no signal loops.

Each file's indexed result (:class:`~.results_data.FileResults`, with its
Grad-CAM cache and formatted table) is kept while the file is open and its
result unchanged, so switching between files does not redo that work.
"""

from __future__ import annotations

import logging
import weakref

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from resandi_core.errors import ResandiError
from resandi_core.model.spec import CLASS_NAMES

from ..class_help import gradcam_caption
from ..session import SessionFile
from ..widgets.class_fractions import ClassFractionChart
from ..widgets.msd_plot import MsdPlot
from ..widgets.overview_plot import OverviewPlot
from ..widgets.probability_chart import ProbabilityChart
from ..widgets.track_table import TrackTable
from ..widgets.trajectory_plot import TrajectoryPlot
from .results_data import PREDICTED, FileResults

log = logging.getLogger(__name__)

PREDICTED_LABEL = "predicted class"
HINT_NO_FILE = "Open a track file or a movie, then classify it to see results here."
HINT_NOT_CLASSIFIED = (
    "Classify this file to see results: the class of each track, where Grad-CAM says "
    "the network looked, and each track's MSD."
)


class ResultsPanel(QWidget):
    """Classification results of one file, explained track by track.

    Signals
    -------
    track_selected(object)
        The selected track id changed (from the table, the overview or
        :meth:`select_track`); None when the selection is cleared.
    relu_toggled(bool)
        The user switched between signed (False) and ReLU (True) Grad-CAM.
    """

    track_selected = Signal(object)
    relu_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entry: SessionFile | None = None
        self._data: FileResults | None = None
        self._selected: object | None = None
        # Last selected track of each file, so switching files and back keeps it.
        self._last_selected: weakref.WeakKeyDictionary[SessionFile, object] = weakref.WeakKeyDictionary()
        # Each file's indexed result; weak keys, so closing a file frees it (a
        # FileResults holds its file only weakly, else the key would never die).
        self._results: weakref.WeakKeyDictionary[SessionFile, FileResults] = weakref.WeakKeyDictionary()

        self.hint = QLabel(HINT_NO_FILE)
        self.hint.setObjectName("resultsHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setMargin(40)
        self.hint.setStyleSheet("font-size: 13pt; color: #555555;")
        self.table = TrackTable()
        self.fractions = ClassFractionChart()
        self.trajectory = TrajectoryPlot()
        self.probabilities = ProbabilityChart()
        self.msd = MsdPlot()
        self.overview = OverviewPlot()

        self.target_combo = QComboBox()
        self.target_combo.addItems([PREDICTED_LABEL, *CLASS_NAMES])
        self.target_combo.setToolTip(
            "Class whose Grad-CAM colours the trajectory: which points raised (red) or lowered (blue) its score"
        )
        self.signed_button = QToolButton(text="signed", checkable=True, checked=True)
        self.signed_button.setToolTip("Grad-CAM scores with their sign, as in the paper")
        self.relu_button = QToolButton(text="ReLU", checkable=True)
        self.relu_button.setToolTip("Negative Grad-CAM scores set to 0 (standard Grad-CAM)")
        self.relu_group = QButtonGroup(self)
        self.relu_group.setExclusive(True)
        self.relu_group.addButton(self.signed_button)
        self.relu_group.addButton(self.relu_button)
        self.info_label = QLabel()
        self.info_label.setObjectName("resultsInfo")
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Wrapped, so a long file or model name takes a second line instead of widening the window past the screen.
        self.info_label.setWordWrap(True)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.hint)
        self.stack.addWidget(self._build_content())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.table.track_activated.connect(self.select_track)
        # The chart counts the rows the table shows: it follows every filter and every new file.
        self.table.filters_changed.connect(lambda: self.fractions.show_table(self.table))
        self.overview.track_clicked.connect(self.select_track)
        self.target_combo.currentTextChanged.connect(lambda _: self._show_selected())
        self.relu_button.toggled.connect(self._on_relu_toggled)
        self.show_file(None)

    def _build_content(self) -> QWidget:
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(QLabel("Grad-CAM of"))
        controls.addWidget(self.target_combo)
        controls.addSpacing(8)
        controls.addWidget(self.signed_button)
        controls.addWidget(self.relu_button)
        controls.addSpacing(12)
        controls.addWidget(self.info_label, 1)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.trajectory)
        top.addWidget(self.overview)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.probabilities)
        bottom.addWidget(self.msd)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(top)
        plots.addWidget(bottom)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 2)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(controls)
        right_layout.addWidget(plots, 1)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        left.addWidget(self.fractions)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 1)
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(left)
        main.addWidget(right)
        main.setStretchFactor(0, 2)
        main.setStretchFactor(1, 5)
        main.setSizes([530, 1000])
        self.splitter = main
        return main

    # ----------------------------------------------------------------- public API

    @property
    def selected_track_id(self) -> object | None:
        """The selected track id, or None."""
        return self._selected

    @property
    def relu(self) -> bool:
        """True when Grad-CAM is shown with ReLU, False for signed scores."""
        return self.relu_button.isChecked()

    @property
    def target(self) -> str:
        """``"predicted"`` or the class name chosen in the Grad-CAM target combo."""
        text = self.target_combo.currentText()
        return PREDICTED if text == PREDICTED_LABEL else text

    def set_target(self, target: str) -> None:
        """Choose the Grad-CAM target: ``"predicted"`` or a class name."""
        self.target_combo.setCurrentText(PREDICTED_LABEL if target == PREDICTED else target)

    def set_relu(self, relu: bool) -> None:
        """Restore the signed/ReLU choice without emitting :attr:`relu_toggled`."""
        self.relu_button.blockSignals(True)
        self.signed_button.blockSignals(True)
        (self.relu_button if relu else self.signed_button).setChecked(True)
        self.relu_button.blockSignals(False)
        self.signed_button.blockSignals(False)
        self._show_selected()

    def show_file(self, entry: SessionFile | None) -> None:
        """Show ``entry``'s classification (None, or a file not classified yet: a hint).

        Showing the file already shown, with the same result, changes nothing:
        the main window calls this on every ``file_changed`` (a link result, a
        rename, another file's job), and that must not rebuild the views or move
        the user's selection.
        """
        if entry is not None and entry is self._entry and self._data is not None and self._data.is_current():
            self._show_info(entry)  # the only thing that may differ: the file's name
            return
        self._entry = entry
        self._forget_stale_results()
        if entry is None or entry.result is None or entry.tracks is None:
            self._data = None
            self.hint.setText(HINT_NO_FILE if entry is None else HINT_NOT_CLASSIFIED)
            self.stack.setCurrentIndex(0)
            self.table.set_tracks(None)
            self.overview.set_data(None)
            self._set_selected(None)
            return
        data = self._results.get(entry)
        if data is None or not data.is_current():
            data = FileResults.build(entry)
            self._results[entry] = data
        self._data = data
        self.table.set_tracks(data.table_columns())
        self.overview.set_data(
            data.lines,
            data.overview_classes(),
            data.overview_scores,  # computed on the first switch to Grad-CAM colours, then kept
            relu=data.result.relu,
            score_label=data.overview_label(),
            uncertain=data.overview_uncertain(),
        )
        self._show_info(entry)
        self.msd.set_units(data.units.time, data.units.length)
        self.stack.setCurrentIndex(1)
        previous = self._last_selected.get(entry)
        if previous is None or not data.has_track(previous):
            previous = self._first_track()
        self._selected = object()  # another file or result: announce its track even if the id is the same
        self._set_selected(previous)

    def select_track(self, track_id: object | None) -> None:
        """Select ``track_id`` in every view (None clears); unknown ids are ignored."""
        if track_id is not None and (self._data is None or not self._data.has_track(track_id)):
            log.debug("track %r is not in the shown result", track_id)
            return
        self._set_selected(track_id)

    def scores_for(self, track_id: object) -> tuple[np.ndarray, np.ndarray]:
        """Grad-CAM (frames, scores) of a track for the current target and ReLU setting.

        Returns
        -------
        frames : ndarray, shape (n,), int64
        scores : ndarray, shape (n,), float64
            Empty when the track was not classified or the scores cannot be computed.
        """
        scores = self._scores(track_id)[0]
        if scores is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return scores.frames, scores.scores

    # ----------------------------------------------------------------- internals

    def _show_info(self, entry: SessionFile) -> None:
        result = self._data.result
        self.info_label.setText(f"{entry.name}: {len(result.tracks):,} tracks, model {result.model_name}")
        if entry.model is not None:  # how far to trust the answers, in plain words
            from resandi_core.trust import describe_trust

            self.info_label.setToolTip(describe_trust(entry.model.config))

    def _forget_stale_results(self) -> None:
        """Drop the cached results of files re-classified or re-read since: their old result is garbage."""
        for entry, data in list(self._results.items()):
            if not data.is_current():
                del self._results[entry]

    def _first_track(self) -> object | None:
        """The first classified track in the table's order, else its first track."""
        first = self.table.first_track_id()
        if first is not None:
            return first
        return self._data.track_ids[0] if self._data.track_ids else None

    def _set_selected(self, track_id: object | None) -> None:
        changed = track_id != self._selected
        self._selected = track_id
        if self._entry is not None:
            # Remembered as it happens, so switching back to this file restores it.
            if track_id is None:
                self._last_selected.pop(self._entry, None)
            else:
                self._last_selected[self._entry] = track_id
        self.table.select_track(track_id)
        self.overview.set_selected(track_id)
        self._show_selected()
        if changed:
            self.track_selected.emit(track_id)

    def _on_relu_toggled(self, relu: bool) -> None:
        self._show_selected()
        self.relu_toggled.emit(relu)

    def _scores(self, track_id: object):
        """(TrackScores or None, error message or "")."""
        if self._data is None or track_id is None or not self._data.has_track(track_id):
            return None, ""
        try:
            return self._data.scores(track_id, self.target, self.relu), ""
        except ResandiError as error:
            return None, str(error)

    def _show_selected(self) -> None:
        """Redraw the trajectory, probabilities and MSD for the selected track."""
        data, track_id = self._data, self._selected
        if data is None or track_id is None:
            self.trajectory.show_message("Select a track in the table or the overview")
            self.probabilities.set_probabilities(None, "class probabilities")
            self.msd.clear("MSD of the selected track")
            return
        row = data.row(track_id)
        scores, error = self._scores(track_id)
        classified = data.is_classified(track_id)
        predicted = str(row["predicted_class"])
        uncertain = False
        if classified:
            title = f"track {track_id}: {predicted} (p = {float(row['confidence']):.2f})"
            uncertain = bool(row.get("uncertain", False)) is True
            if uncertain:  # said in the title itself: a screenshot of this plot must not look sure
                title += ", uncertain"
        else:
            title = f"track {track_id}: not classified ({row['status']})"
        if scores is not None:
            x, y = data.positions(track_id, scores.frames)
            n_filled = int(scores.interpolated.sum())
            if n_filled:
                title += f"; ○ {n_filled} filled-in frame{'s' if n_filled > 1 else ''}"
            label = f"Grad-CAM score ({scores.target}{', ReLU' if self.relu else ''})"
            if scores.target != predicted and classified:  # the title names the prediction: say whose map this is
                title += f"; Grad-CAM of {scores.target}"
            self.trajectory.show_track(
                x, y, data.units.length, scores.scores, scores.interpolated, self.relu, label, title,
                gradcam_caption(scores.target, self.relu),
            )
        else:
            x, y = data.positions(track_id)
            self.trajectory.show_track(x, y, data.units.length, title=title + (f"; {error}" if error else ""))
        self.probabilities.set_probabilities(
            data.probabilities(track_id) if classified else None,
            (f"class probabilities, track {track_id}"
             + (f" — uncertain: {row.get('uncertain_reason', '')}" if uncertain else "")) if classified
            else f"not classified: {row['message']}",
        )
        lag, msd, n_fit = data.msd(track_id)
        self.msd.show_msd(
            lag,
            msd,
            n_fit,
            float(row.get("alpha_msd", np.nan)),
            float(row.get("D_msd", np.nan)),
            str(row.get("D_msd_unit", "")),
            title=f"time-averaged MSD, track {track_id}; fit 4 D t<sup>α</sup>",
        )
