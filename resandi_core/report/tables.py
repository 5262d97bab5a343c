"""The report's tables as rows of text, formatted once for the HTML and the PDF alike.

The numbers are summary.csv's, formatted: a share with its 95% interval reads
``"23.1% (18.0–29.0)"``. The HTML and the PDF show the same strings, so a
reader comparing them, or a test comparing either with summary.csv, sees the
same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..model.spec import CLASS_NAMES
from . import style
from .load import RunData

#: Shown where a number is missing (NaN: no tracks to count).
MISSING = "–"


@dataclass(frozen=True)
class Table:
    """A titled table of text cells.

    Attributes
    ----------
    title : str
    header : list of str
    rows : list of list of str
    note : str
        One sentence under it (what the numbers are), or "".
    numeric : list of bool
        Per column: right-align (numbers).
    """

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    numeric: tuple[bool, ...] = ()


def is_number(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def percent(share: Any) -> str:
    """``0.231`` -> ``"23.1%"``; :data:`MISSING` for NaN."""
    return f"{100 * float(share):.1f}%" if is_number(share) else MISSING


def share_with_interval(share: Any, lo: Any, hi: Any) -> str:
    """``"23.1% (18.0–29.0)"``: share and 95% interval in percent; :data:`MISSING` for NaN."""
    if not is_number(share):
        return MISSING
    if not (is_number(lo) and is_number(hi)):
        return percent(share)
    return f"{100 * float(share):.1f}% ({100 * float(lo):.1f}–{100 * float(hi):.1f})"


def count(value: Any) -> str:
    """An integer count, ``"1,234"``; :data:`MISSING` when missing."""
    return f"{round(float(value)):,}" if is_number(value) else MISSING


def number(value: Any, digits: int = 3) -> str:
    """A measured number to ``digits`` significant digits; :data:`MISSING` when missing."""
    return f"{float(value):.{digits}g}" if is_number(value) else MISSING


def counts_table(data: RunData) -> Table:
    """One row per condition: files, tracks, classified, confident, uncertain share, medians."""
    rows, units = [], []
    for condition in data.conditions:
        row = data.condition_summary(condition)
        get = (lambda k: np.nan) if row is None else row.get
        n_classified, n_confident = get("n_classified"), get("n_confident")
        uncertain = (float(n_classified) - float(n_confident)) / float(n_classified) \
            if is_number(n_classified) and is_number(n_confident) and float(n_classified) > 0 else np.nan
        unit = get("D_unit")
        units.append(style.text_unit(unit) if isinstance(unit, str) and unit and is_number(get("median_D")) else "")
        rows.append([condition, count(get("n_files")), count(get("n_tracks")), count(n_classified),
                     count(n_confident), percent(uncertain), number(get("median_confidence"), 2),
                     count(get("median_n_points")), number(get("median_alpha"), 2), number(get("median_D"))])
    known = {u for u in units if u}
    if len(known) == 1:  # one unit: in the header, so the column stays narrow
        d_header = f"median D ({known.pop()})"
    else:
        d_header = "median D"
        rows = [[*r[:-1], f"{r[-1]} {u}".strip()] for r, u in zip(rows, units)]
    return Table(
        "Tracks per condition",
        ["condition", "files", "tracks", "classified", "confident", "uncertain", "median confidence",
         "median points", "median α", d_header],
        rows,
        "classified: tracks with status ok; confident: classified and not flagged uncertain; medians over the "
        "classified tracks (α and D from each track's MSD fit).",
        (False, *[True] * 9),
    )


def fractions_table(data: RunData, conditions: list[str], confident: bool = False) -> Table:
    """Rows: classes; columns: conditions; cells ``"23.1% (18.0–29.0)"`` from summary.csv."""
    prefix = "conf_frac" if confident else "frac"
    rows = []
    for c in CLASS_NAMES:
        cells = [c]
        for condition in conditions:
            row = data.condition_summary(condition)
            cells.append(MISSING if row is None else share_with_interval(
                row.get(f"{prefix}_{c}"), row.get(f"{prefix}_{c}_lo"), row.get(f"{prefix}_{c}_hi")))
        rows.append(cells)
    totals = ["n"]
    for condition in conditions:
        row = data.condition_summary(condition)
        totals.append(MISSING if row is None else count(row.get("n_confident" if confident else "n_classified")))
    rows.append(totals)
    what = "confident tracks only" if confident else "all classified tracks"
    return Table(f"Class shares, {what}", ["class", *conditions], rows,
                 "Share of the tracks called each class, with its 95% Wilson interval in brackets (percent); "
                 "n: the tracks counted. – : no tracks to count.", (False, *[True] * len(conditions)))


def _file_info(data: RunData) -> dict[str, dict[str, Any]]:
    files = data.run.get("files")
    return {str(f.get("file")): f for f in files if isinstance(f, dict)} if isinstance(files, list) else {}


def _units(info: dict[str, Any]) -> str:
    unit = info.get("position_unit")
    pixel, interval = info.get("pixel_size_um"), info.get("frame_interval_s")
    if not unit and not is_number(interval):
        return "not recorded"
    parts = [str(unit) if unit else "position unit not recorded"]
    if is_number(pixel):
        parts.append(f"{float(pixel):g} µm/px")
    parts.append(f"{float(interval):g} s/frame" if is_number(interval) else "frames")
    return ", ".join(parts)


def files_table(data: RunData) -> Table:
    """One row per file: its condition, what happened to it, its tracks and units."""
    info = _file_info(data)
    rows, seen = [], set()
    for _, row in data.file_summary().iterrows():
        name = str(row["file"])
        seen.add(name)
        meta = info.get(name, {})
        rows.append([name, str(row["condition"]), str(meta.get("status", "done")), count(row.get("n_tracks")),
                     count(row.get("n_classified")), count(row.get("n_confident")),
                     _units(meta) if meta else "not recorded"])
    failed = set(data.errors["file"].astype(str)) if len(data.errors) else set()
    for name, meta in info.items():
        if name not in seen:
            status = "failed" if name in failed else str(meta.get("status", "not recorded"))
            rows.append([name, str(meta.get("condition", "")), status, MISSING, MISSING, MISSING, _units(meta)])
            seen.add(name)
    for _, err in data.errors.iterrows():
        if str(err["file"]) not in seen:
            rows.append([str(err["file"]), str(err.get("condition", "")), "failed", MISSING, MISSING, MISSING,
                         "not recorded"])
            seen.add(str(err["file"]))
    return Table("Files", ["file", "condition", "status", "tracks", "classified", "confident", "units"], rows,
                 "status: done (classified in this run), cached (results of an earlier, interrupted run of the "
                 "same batch reused) or failed (see Errors).", (False, False, False, True, True, True, False))


def errors_table(data: RunData) -> Table:
    """One row per file that failed: where it failed, why, and what to do."""
    rows = []
    for _, err in data.errors.iterrows():
        internal = str(err.get("internal", "")).strip().lower() in ("true", "1", "1.0")
        rows.append([str(err["file"]), str(err.get("condition", "") or ""), str(err.get("stage", "") or ""),
                     str(err.get("reason", "") or ""),
                     str(err.get("what_to_do", "") or "") + (" (an internal error: please report it)" if internal
                                                            else "")])
    note = "" if rows else ("No file failed." if data.errors_recorded
                            else "errors.csv is missing: failures were not recorded.")
    return Table("Errors", ["file", "condition", "stage", "reason", "what to do"], rows, note,
                 (False, False, False, False, False))


def uncertain_counts(results: pd.DataFrame) -> dict[str, int]:
    """Classified tracks by ``uncertain_reason`` (reasons as the trust rule words them)."""
    ok = results[(results["status"] == "ok") & results["uncertain"]]
    reasons = ok["uncertain_reason"].replace("", "not recorded")
    return {str(k): int(v) for k, v in reasons.value_counts().items()}
