"""The per-track results table: a filter bar above a table sortable by any column.

The model, the filter proxy and the filter itself are in :mod:`.track_table_model`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from resandi_core.model.spec import CLASS_NAMES

from .track_table_model import (
    ALL_CLASSES,
    STATUS_ALL,
    STATUS_NOT_CLASSIFIED,
    STATUS_OK,
    TableColumns,
    TrackFilterProxy,
    TrackTableModel,
    filter_mask,
)


class TrackTable(QWidget):
    """Filter bar above a sortable table of tracks.

    Signals
    -------
    track_activated(object)
        The user selected a row: its track id.
    filters_changed()
        The shown rows changed (a filter, or new tracks): :meth:`visible_rows` is new.
    """

    track_activated = Signal(object)
    filters_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TrackTableModel(self)
        self.proxy = TrackFilterProxy(self.model, self)
        self._syncing = False
        #: The track the panel last selected (kept while the filters hide its row).
        self.current_track_id: object | None = None

        self.class_filter = QComboBox()
        self.class_filter.addItems([ALL_CLASSES, *CLASS_NAMES])
        self.class_filter.setToolTip("Show only tracks predicted as this class")
        self.min_confidence = QDoubleSpinBox()
        self.min_confidence.setRange(0.0, 1.0)
        self.min_confidence.setSingleStep(0.05)
        self.min_confidence.setDecimals(2)
        self.min_confidence.setToolTip("Hide tracks whose predicted class has a lower probability (0 = show all)")
        self.min_points = QSpinBox()
        self.min_points.setRange(0, 10_000_000)
        self.min_points.setSingleStep(10)
        self.min_points.setToolTip("Hide tracks with fewer detections (0 = show all)")
        self.status_filter = QComboBox()
        self.status_filter.addItems([STATUS_ALL, STATUS_OK, STATUS_NOT_CLASSIFIED])
        self.status_filter.setToolTip("Tracks not classified were too short, had NaN positions, repeated frames, ...")
        self.hide_uncertain = QCheckBox("hide uncertain")
        self.hide_uncertain.setToolTip("Hide tracks whose answer should not be relied on alone: low calibrated "
                                       "confidence, or too short for the model's measured accuracy")
        self.id_filter = QLineEdit()
        self.id_filter.setPlaceholderText("track id…")
        self.id_filter.setClearButtonEnabled(True)
        self.id_filter.setToolTip("Show tracks whose id contains this text (several: separate with commas)")
        self.count_label = QLabel()
        self.count_label.setObjectName("trackCount")

        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        # Fixed row heights and no ResizeToContents: Qt would measure all 10,000 rows.
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((60, 88, 74, 50, 56, 96, 72, 72)):
            header.resizeSection(column, width)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)

        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        for label, widget in (
            (None, self.class_filter),
            ("conf ≥", self.min_confidence),
            ("points ≥", self.min_points),
            (None, self.status_filter),
        ):
            if label:
                filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        second = QHBoxLayout()
        second.setContentsMargins(0, 0, 0, 0)
        second.addWidget(self.id_filter, 1)
        second.addWidget(self.hide_uncertain)
        second.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addLayout(second)
        layout.addWidget(self.view, 1)

        self.class_filter.currentTextChanged.connect(self.apply_filters)
        self.min_confidence.valueChanged.connect(self.apply_filters)
        self.min_points.valueChanged.connect(self.apply_filters)
        self.status_filter.currentTextChanged.connect(self.apply_filters)
        self.id_filter.textChanged.connect(self.apply_filters)
        self.hide_uncertain.toggled.connect(self.apply_filters)
        self._update_count()

    def set_tracks(self, tracks: pd.DataFrame | TableColumns | None) -> None:
        """Show a result's ``tracks`` table (None: empty), keeping filters and sort column.

        Parameters
        ----------
        tracks : DataFrame, TableColumns or None
            The table, or its columns from
            :func:`~resandi_gui.widgets.track_table_model.prepare_columns` kept from an
            earlier showing (skips formatting every cell again).
        """
        self._syncing = True
        try:
            self.model.set_tracks(tracks)
            header = self.view.horizontalHeader()
            # The D header carries the unit ("D (px²/frame^α)" is wider than "D (µm²/s^α)").
            d_header = str(self.model.headerData(5, Qt.Orientation.Horizontal))
            header.resizeSection(5, max(96, header.fontMetrics().horizontalAdvance(d_header) + 28))
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
            self.apply_filters()
        finally:
            self._syncing = False

    def apply_filters(self) -> None:
        """Recompute which rows are shown from the filter bar; the selected track stays selected if shown."""
        selected = self.current_track_id
        mask = filter_mask(
            self.model,
            self.class_filter.currentText(),
            self.min_confidence.value(),
            self.min_points.value(),
            self.status_filter.currentText(),
            self.id_filter.text(),
            self.hide_uncertain.isChecked(),
        )
        # Hiding the selected row makes Qt move the selection to a neighbour; that
        # is not the user choosing a track, so it must not be announced.
        syncing, self._syncing = self._syncing, True
        try:
            self.proxy.set_accepted(mask)
        finally:
            self._syncing = syncing
        self._update_count()
        self.select_track(selected)
        self.filters_changed.emit()

    def _update_count(self) -> None:
        n_uncertain = int(self.model.uncertain_rows().sum())
        suffix = f" ({n_uncertain:,} uncertain)" if n_uncertain else ""
        self.count_label.setText(f"{self.proxy.rowCount():,} of {self.model.rowCount():,} tracks{suffix}")

    def visible_rows(self) -> np.ndarray:
        """Rows of the result (not the shown order) that are shown, top to bottom, shape (n_shown,)."""
        return self.proxy.shown_data_rows()

    def visible_track_ids(self) -> list[object]:
        """Track ids of the shown rows, top to bottom."""
        return self.model.track_ids[self.visible_rows()].tolist()

    def first_track_id(self) -> object | None:
        """The first shown track that was classified, else the first shown track; None when none is shown."""
        rows = self.visible_rows()
        if not len(rows):
            return None
        ok = np.flatnonzero(self.model.column("status")[rows].astype(str) == "ok")
        return self.model.track_ids[rows[ok[0] if len(ok) else 0]]

    def selected_track_id(self) -> object | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        source_row = self.proxy.mapToSource(rows[0]).row()
        return self.model.track_ids[self.model.order[source_row]]

    def select_track(self, track_id: object | None) -> None:
        """Select and scroll to ``track_id``'s row without emitting :attr:`track_activated`.

        A track hidden by the filters (or None) clears the selection.
        """
        self.current_track_id = track_id
        self._syncing = True
        try:
            selection = self.view.selectionModel()
            shown = None if track_id is None else self.model.shown_row_of(track_id)
            index = self.proxy.mapFromSource(self.model.index(shown, 0)) if shown is not None else QModelIndex()
            if not index.isValid():
                selection.clearSelection()
                return
            selection.setCurrentIndex(
                index,
                selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows,
            )
            self.view.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        finally:
            self._syncing = False

    def _on_selection_changed(self, *_: object) -> None:
        if self._syncing:
            return
        track_id = self.selected_track_id()
        if track_id is not None:
            self.current_track_id = track_id
            self.track_activated.emit(track_id)
