"""The model behind the per-track results table: numpy columns, numpy sort, numpy filter.

Built for 10,000+ rows: the model reads from numpy columns prepared once (no
``QStandardItem`` per cell), sorting is one ``numpy.argsort`` in the model
(a Python ``lessThan`` would be called ~10⁵ times), and filtering is a numpy
mask that the proxy only looks up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from ..class_help import class_sentence
from .class_colors import class_color

#: (key, header) of the shown columns; the D header gets its unit appended.
COLUMNS = [
    ("track_id", "track"),
    ("predicted_class", "class"),
    ("confidence", "confidence"),
    ("n_points", "points"),
    ("alpha_msd", "α (MSD)"),
    ("D_msd", "D (MSD)"),
    ("status", "status"),
    ("uncertain", "trust"),
]
TOOLTIPS = [
    "Track id, as in the file",
    "Class predicted by the network (hover a class for what it means; Help ▸ The Eight Classes)",
    "Probability of the predicted class (0-1)",
    "Detections (rows in the file)",
    "Anomalous exponent α from the MSD fit 4 D t^α over the first lags",
    "Generalised diffusion coefficient D from the MSD fit 4 D t^α",
    "ok, or why the track was not classified (too short, NaN positions, ...)",
    "'uncertain': do not rely on this answer alone. Its calibrated confidence is low, or the track is "
    "shorter than where the model's measured accuracy is good (hover the cell for the reason).",
]
NUMERIC = {"confidence", "n_points", "alpha_msd", "D_msd"}
ALL_CLASSES = "all classes"
UNCERTAIN_COLUMN = [k for k, _ in COLUMNS].index("uncertain")
UNCERTAIN_TEXT = QColor(130, 130, 130)
STATUS_ALL, STATUS_OK, STATUS_NOT_CLASSIFIED = "all tracks", "classified (ok)", "not classified"


def pretty_unit(unit: str) -> str:
    """``"µm^2/s^alpha"`` → ``"µm²/s^α"``: the core's ASCII units as people write them."""
    return unit.replace("^2", "²").replace("alpha", "α")


def _format(key: str, value: object) -> str:
    if key == "uncertain":
        return "uncertain" if value is True or value == 1 or str(value).lower() == "true" else ""
    if key in NUMERIC:
        if value is None or not np.isfinite(value):
            return ""
        if key == "n_points":
            return f"{int(value)}"
        if key == "D_msd":
            return f"{value:#.3g}"
        return f"{value:.3f}"
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


@dataclass(eq=False)
class TableColumns:
    """What :class:`TrackTableModel` shows of one result, prepared once.

    Formatting every cell is the slow part of showing a result (~70,000 Python
    calls for 10,000 tracks); a caller that shows the same result again (the
    Results view, switching back to a file) keeps this and skips it.

    Attributes
    ----------
    raw : list of ndarray, shape (n_tracks,) each
        One per :data:`COLUMNS` entry, in the result's row order (numbers as float64).
    display : list of ndarray, shape (n_tracks,), object
        The display strings of :attr:`raw`.
    colors : list of QColor
        Class colour of each row.
    headers : list of str
        Column headers (the D header with its unit).
    track_ids : ndarray, shape (n_tracks,), object
    row_of_id : dict
        Row of each track id in the result's order.
    """

    raw: list[np.ndarray]
    display: list[np.ndarray]
    colors: list[QColor]
    headers: list[str]
    track_ids: np.ndarray
    row_of_id: dict[object, int] = field(repr=False)
    #: Why each track is uncertain ("" when it is not), the trust cell's tooltip.
    reasons: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object), repr=False)

    @property
    def n_rows(self) -> int:
        return len(self.track_ids)


def prepare_columns(tracks: pd.DataFrame | None) -> TableColumns:
    """Format a result's ``tracks`` table for :class:`TrackTableModel` (None: no rows)."""
    tracks = tracks if tracks is not None else pd.DataFrame(columns=[k for k, _ in COLUMNS])
    raw, display = [], []
    for key, _ in COLUMNS:
        column = tracks[key].to_numpy() if key in tracks.columns else np.full(len(tracks), np.nan)
        if key in NUMERIC:
            column = pd.to_numeric(pd.Series(column), errors="coerce").to_numpy(dtype=np.float64)
        raw.append(column)
        display.append(np.array([_format(key, v) for v in column], dtype=object))
    unit = str(tracks["D_msd_unit"].iloc[0]) if "D_msd_unit" in tracks.columns and len(tracks) else ""
    headers = [header for _, header in COLUMNS]
    if unit and unit != "nan":
        headers[5] = f"D ({pretty_unit(unit)})"
    keys = [k for k, _ in COLUMNS]
    colors = [class_color(str(name)) for name in raw[keys.index("predicted_class")]]
    track_ids = np.asarray(raw[keys.index("track_id")], dtype=object)
    row_of_id = {tid: i for i, tid in enumerate(track_ids.tolist())}
    reasons = (tracks["uncertain_reason"].fillna("").astype(str).to_numpy(dtype=object)
               if "uncertain_reason" in tracks.columns else np.full(len(tracks), "", dtype=object))
    return TableColumns(raw, display, colors, headers, track_ids, row_of_id, reasons)


class TrackTableModel(QAbstractTableModel):
    """Read-only table over ``ClassificationResult.tracks``.

    Rows are shown in :attr:`order` (a permutation of the result's rows) so that
    sorting moves no data; :meth:`data` returns display strings prepared once
    (:class:`TableColumns`) and, for ``Qt.UserRole``, the raw value.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._display: list[np.ndarray] = []
        self._raw: list[np.ndarray] = []
        self._colors: list[QColor] = []
        self._reasons = np.zeros(0, dtype=object)
        self.track_ids = np.zeros(0, dtype=object)
        self.order = np.zeros(0, dtype=np.int64)
        self._headers = [header for _, header in COLUMNS]
        self._row_of_id: dict[object, int] = {}

    def set_tracks(self, tracks: pd.DataFrame | TableColumns | None) -> None:
        """Show the rows of a result's ``tracks`` table, or columns prepared from it (None: empty)."""
        columns = tracks if isinstance(tracks, TableColumns) else prepare_columns(tracks)
        self.beginResetModel()
        self._raw, self._display, self._colors = columns.raw, columns.display, columns.colors
        self._reasons = columns.reasons
        self._headers = list(columns.headers)
        self.track_ids = columns.track_ids
        self._row_of_id = columns.row_of_id
        self.order = np.arange(columns.n_rows, dtype=np.int64)
        self.endResetModel()

    def column(self, key: str) -> np.ndarray:
        """Raw values of a column, in the result's row order (not the shown order)."""
        return self._raw[[k for k, _ in COLUMNS].index(key)]

    def uncertain_rows(self) -> np.ndarray:
        """Which of the result's rows are flagged ``uncertain``, shape (n_tracks,), bool."""
        if not self._display:
            return np.zeros(0, dtype=bool)
        return self._display[UNCERTAIN_COLUMN] == "uncertain"

    def data_row_of(self, track_id: object) -> int | None:
        """Row of ``track_id`` in the result's order, or None."""
        return self._row_of_id.get(track_id)

    def shown_row_of(self, track_id: object) -> int | None:
        """Row of ``track_id`` in this model (sorted order), or None."""
        row = self.data_row_of(track_id)
        return None if row is None else int(np.flatnonzero(self.order == row)[0])

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = int(self.order[index.row()])
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display[column][row]
        if role == Qt.ItemDataRole.UserRole:
            value = self._raw[column][row]
            return value.item() if isinstance(value, np.generic) else value
        if role == Qt.ItemDataRole.ForegroundRole and self._display[UNCERTAIN_COLUMN][row]:
            return UNCERTAIN_TEXT  # the whole row greyed: the eye skips what should not be relied on
        if role == Qt.ItemDataRole.ToolTipRole and column == UNCERTAIN_COLUMN and self._display[column][row]:
            return f"Uncertain: {self._reasons[row]}. Do not rely on this class alone."
        if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[column][0] == "predicted_class":
            return class_sentence(str(self._display[column][row]))  # what the abbreviation means
        if role == Qt.ItemDataRole.DecorationRole and COLUMNS[column][0] == "predicted_class":
            return self._colors[row] if self._display[column][row] else None
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[column][0] in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return TOOLTIPS[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by a column: numbers numerically, text as text; empty cells always last."""
        if not len(self.order) or not 0 <= column < len(COLUMNS):
            return
        key = COLUMNS[column][0]
        raw = self._raw[column]
        if key in NUMERIC:
            values = raw.astype(np.float64)
            missing = np.isnan(values)
            values = np.where(missing, 0.0, values)
        else:
            values = _sortable_ids(raw) if key == "track_id" else self._display[column].astype(str)
            missing = self._display[column] == ""
        # Dense ranks make text and numbers alike and let descending order be a sign flip.
        _, rank = np.unique(values, return_inverse=True)
        if order == Qt.SortOrder.DescendingOrder:
            rank = -rank
        # Missing values last in both directions; the result's row order breaks ties.
        new_order = np.lexsort((np.arange(len(raw)), rank, missing)).astype(np.int64)
        self.layoutAboutToBeChanged.emit()
        old_indexes = self.persistentIndexList()
        shown_row = np.empty_like(new_order)
        shown_row[new_order] = np.arange(len(new_order))
        # A persistent index (the selection) follows its track to the track's new row.
        new_indexes = [self.index(int(shown_row[self.order[i.row()]]), i.column()) for i in old_indexes]
        self.order = new_order
        self.changePersistentIndexList(old_indexes, new_indexes)
        self.layoutChanged.emit()


def _sortable_ids(ids: np.ndarray) -> np.ndarray:
    """Track ids as a sortable array: numerically when they are all numbers, else as text."""
    numeric = pd.to_numeric(pd.Series(ids), errors="coerce").to_numpy(dtype=np.float64)
    if len(ids) and np.isfinite(numeric).all():
        return numeric
    return np.array([str(v) for v in ids])


class TrackFilterProxy(QSortFilterProxyModel):
    """Shows the rows a numpy mask accepts; sorting is left to :class:`TrackTableModel`."""

    def __init__(self, source: TrackTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setDynamicSortFilter(False)
        self._accepted: np.ndarray | None = None
        # A mask of the old rows must not be read while the new rows come in.
        source.modelAboutToBeReset.connect(self._forget_mask)

    def _forget_mask(self) -> None:
        self._accepted = None

    def set_accepted(self, accepted: np.ndarray | None) -> None:
        """Mask over the result's rows (not the shown order); None shows every row."""
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9 (invalidateRowsFilter is deprecated)
            self.beginFilterChange()
            self._accepted = accepted
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._accepted = accepted
            self.invalidateRowsFilter()

    def shown_data_rows(self) -> np.ndarray:
        """Result rows of the shown rows, top to bottom, shape (n_shown,), int64.

        Computed with numpy from the model's order and the mask, exactly as
        :meth:`filterAcceptsRow` decides row by row: the proxy never sorts (see
        :meth:`sort`), so its rows are the model's accepted rows in the model's order.
        """
        order = self.sourceModel().order
        accepted = self._accepted
        if accepted is None:
            return order.copy()
        # Rows past the mask's end are accepted, as in filterAcceptsRow.
        keep = np.ones(len(order), dtype=bool)
        inside = order < len(accepted)
        keep[inside] = np.asarray(accepted, dtype=bool)[order[inside]]
        return order[keep]

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if self._accepted is None:
            return True
        row = self.sourceModel().order[source_row]
        return bool(self._accepted[row]) if row < len(self._accepted) else True

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # The source sorts with numpy; the proxy keeps its order (its own sort would
        # call back into Python for every comparison).
        self.sourceModel().sort(column, order)


def filter_mask(
    model: TrackTableModel,
    class_name: str = ALL_CLASSES,
    min_confidence: float = 0.0,
    min_points: int = 0,
    status: str = STATUS_ALL,
    id_text: str = "",
    hide_uncertain: bool = False,
) -> np.ndarray:
    """Which of the result's rows pass the filters, shape (n_tracks,), bool.

    Parameters
    ----------
    class_name : str
        A class name, or :data:`ALL_CLASSES`.
    min_confidence : float
        Probability of the predicted class, 0..1; above 0 it hides unclassified tracks.
    min_points : int
        Fewest detections.
    status : str
        :data:`STATUS_ALL`, :data:`STATUS_OK` or :data:`STATUS_NOT_CLASSIFIED`.
    id_text : str
        Case-insensitive substring of the track id; several separated by commas or
        spaces match any of them.
    hide_uncertain : bool
        Hide tracks flagged ``uncertain``.
    """
    n = len(model.track_ids)
    mask = np.ones(n, dtype=bool)
    if class_name != ALL_CLASSES:
        mask &= model.column("predicted_class").astype(str) == class_name
    if min_confidence > 0:
        with np.errstate(invalid="ignore"):
            mask &= model.column("confidence") >= min_confidence
    if min_points > 0:
        with np.errstate(invalid="ignore"):
            mask &= model.column("n_points") >= min_points
    if hide_uncertain:
        mask &= ~model.uncertain_rows()
    if status != STATUS_ALL:
        ok = model.column("status").astype(str) == "ok"
        mask &= ok if status == STATUS_OK else ~ok
    terms = [t for t in id_text.replace(",", " ").lower().split() if t]
    if terms and n:
        ids = pd.Series(model.track_ids.astype(str)).str.lower()
        mask &= np.logical_or.reduce([ids.str.contains(t, regex=False).to_numpy() for t in terms])
    return mask
