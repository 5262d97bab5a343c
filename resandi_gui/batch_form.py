"""Parts of the batch dialog: the conditions preview, the calibration override, and the words it shows."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from resandi_core.study.conditions import StudyFile

from .study_jobs import StudyOutcome

#: Files listed under each condition in the preview (a folder of 5,000 files must not build 5,000 rows).
PREVIEW_FILES_PER_CONDITION = 200
PROBLEM_STYLE = "color: #b00020;"
KEEP = "as the files say"


def count_by_condition(files: Sequence[StudyFile]) -> dict[str, int]:
    """Files per condition, in the order the conditions first appear."""
    counts: dict[str, int] = {}
    for item in files:
        counts[item.condition] = counts.get(item.condition, 0) + 1
    return counts


def shown_path(path: Path, folders: Sequence[Path]) -> str:
    """``path`` below the folder it was found in (``control/cells.csv``), else in full."""
    for folder in folders:
        try:
            return Path(path).resolve().relative_to(Path(folder).resolve().parent).as_posix()
        except ValueError:
            continue
    return str(path)


class ConditionPreview(QWidget):
    """Which file lands in which condition: a line of counts over a tree (condition → files)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setObjectName("conditionSummary")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("conditionTree")
        self.tree.setHeaderLabels(["condition / file", "files"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)

    def conditions(self) -> dict[str, list[str]]:
        """What the tree shows: condition -> the files listed under it."""
        shown = {}
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            shown[item.data(0, 256)] = [item.child(k).text(0) for k in range(item.childCount())]
        return shown

    def show_files(self, files: Sequence[StudyFile], folders: Sequence[Path], problem: str = "") -> None:
        """Show ``files`` by condition, or ``problem`` (in red) when there is nothing to show."""
        self.tree.clear()
        if problem:
            self.summary.setStyleSheet(PROBLEM_STYLE)
            self.summary.setText(problem)
            return
        counts = count_by_condition(files)
        self.summary.setStyleSheet("")
        self.summary.setText(f"{len(files)} file{'s' if len(files) != 1 else ''} in {len(counts)} "
                             f"condition{'s' if len(counts) != 1 else ''}: "
                             + ", ".join(f"{name} ({n})" for name, n in counts.items()))
        groups: dict[str, QTreeWidgetItem] = {}
        for name, n in counts.items():
            group = QTreeWidgetItem([name, str(n)])
            group.setData(0, 256, name)  # Qt.UserRole: the condition, whatever the label says
            groups[name] = group
            self.tree.addTopLevelItem(group)
        for item in files:
            group = groups[item.condition]
            if group.childCount() < PREVIEW_FILES_PER_CONDITION:
                group.addChild(QTreeWidgetItem([shown_path(item.path, folders), ""]))
            elif group.childCount() == PREVIEW_FILES_PER_CONDITION:
                more = counts[item.condition] - PREVIEW_FILES_PER_CONDITION
                group.addChild(QTreeWidgetItem([f"… and {more} more", ""]))
        if len(counts) <= 6:  # a few conditions: show their files at once
            self.tree.expandAll()


class CalibrationOverride(QGroupBox):
    """An optional calibration for every file of the batch (unchecked: each file's own).

    Parameters
    ----------
    pixel_size_um, frame_interval_s : float or None
        Prefilled values (the app's last answers), in µm per px and s per frame.
    """

    def __init__(self, pixel_size_um: float | None, frame_interval_s: float | None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Set the calibration of every file (wins over what the files say)", parent)
        self.setCheckable(True)
        self.setChecked(False)
        self.setToolTip("For track files in pixels and frames that carry no calibration (trackpy CSV, most "
                        "tables). TrackMate files and calibrated TIFFs say it themselves: leave this off for them.")
        self.pixel_size = self._spin(pixel_size_um, " µm/px", 4, 100.0)
        self.frame_interval = self._spin(frame_interval_s, " s/frame", 5, 3600.0)
        form = QFormLayout(self)
        form.addRow("Pixel size", self.pixel_size)
        form.addRow("Frame interval", self.frame_interval)

    @staticmethod
    def _spin(value: float | None, suffix: str, decimals: int, maximum: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setDecimals(decimals)
        spin.setRange(0.0, maximum)
        spin.setSingleStep(10 ** (1 - decimals))
        spin.setSuffix(suffix)
        spin.setSpecialValueText(KEEP)  # 0: this one stays as each file says
        spin.setValue(value or 0.0)
        return spin

    def values(self) -> tuple[float | None, float | None] | None:
        """(µm per px, s per frame), None for either left "as the files say"; None when unchecked."""
        if not self.isChecked():
            return None
        return (self.pixel_size.value() or None, self.frame_interval.value() or None)


def output_problem(out_dir: Path | None, folders: Sequence[Path]) -> str:
    """Why ``out_dir`` cannot take the results of ``folders`` ("" when it can)."""
    if out_dir is None:
        return "Choose the output folder."
    if out_dir.exists() and not out_dir.is_dir():
        return f"{out_dir} is a file: choose a folder for the results."
    resolved = out_dir.resolve()
    for folder in folders:
        folder = folder.resolve()
        if resolved == folder or folder in resolved.parents:
            # Its tables (results.csv, ...) would be found as track files by the next batch of that folder.
            return (f"The output folder is inside {folder}, which is classified: its tables would be read as "
                    "track files next time. Choose a folder outside the folders to classify.")
    return ""


def outcome_html(outcome: StudyOutcome) -> str:
    """What a finished batch (or report export) did, as rich text for a label."""
    lines = []
    result = outcome.result
    if result is not None:
        failed = (f"<b>{result.n_failed} failed</b> (below, and in errors.csv)" if result.n_failed
                  else "none failed")
        lines.append(f"<b>Done.</b> {result.n_classified} file{'s' if result.n_classified != 1 else ''} classified, "
                     f"{result.n_reused} reused from an earlier run, {failed}.")
    else:
        lines.append("<b>Done.</b>")
    names = ", ".join(p.name for p in outcome.written)
    if names:
        lines.append(f"Wrote {html.escape(names)} in {html.escape(str(outcome.out_dir))}.")
    if outcome.report is not None:
        lines.append(f"Report: {html.escape(str(outcome.report.html))} (and report.pdf beside it).")
    elif outcome.report_problem:
        lines.append(f"<span style='{PROBLEM_STYLE}'>No report: {html.escape(outcome.report_problem.rstrip('.'))}.</span>")
    return "<br>".join(lines)
