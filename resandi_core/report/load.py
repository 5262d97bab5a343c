"""Reading a batch run folder into tables, leniently: only results.csv and summary.csv are required.

Everything else (emsd.csv, errors.csv, run.json, tracks.csv, gradcam.csv) may be
missing or from an older version; the report then says "not recorded" instead of
failing. Text columns (file, condition, track id) are read as text, so a
condition called ``1`` or ``NA`` stays what the user named it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ResandiError
from ..model.spec import CLASS_NAMES
from ..study import layout

#: Columns read as text (never as numbers, never as NaN for "NA").
TEXT_COLUMNS = frozenset({
    "file", "condition", "track_id", "status", "message", "predicted_class", "D_msd_unit", "uncertain_reason",
    "family", "level", "D_unit", "time_unit", "msd_unit", "stage", "reason", "what_to_do", "position_unit",
})
#: Columns of True/False cells (left as read; see :func:`as_bool`).
BOOL_COLUMNS = frozenset({"uncertain", "noise_beyond_training", "internal", "interpolated"})
#: Cells read as NaN in number columns (pandas' own list, spelled out: ours must not change with its version).
NUMBER_NA = ["", "NA", "N/A", "NaN", "nan", "-nan", "null", "NULL", "None", "<NA>"]
#: Status of a classified track in results.csv.
OK = "ok"

_HINT = "run `resandi batch FOLDER... --out DIR` first, then make the report of DIR"


class RunFolderError(ResandiError):
    """A batch run folder is missing, incomplete or unreadable."""


@dataclass
class RunData:
    """One batch run, as the report needs it.

    Attributes
    ----------
    run_dir : Path
    results : DataFrame
        results.csv, one row per track; ``uncertain`` as bool, ``confidence`` etc. as float.
    summary : DataFrame
        summary.csv, every row (``level`` condition and file).
    conditions : list of str
        Condition names in the order of summary.csv (then any only in results.csv).
    emsd : DataFrame or None
        emsd.csv; None when the file is missing.
    errors : DataFrame
        errors.csv (empty when missing: no file failed, or not recorded; see ``errors_recorded``).
    errors_recorded : bool
    run : dict
        run.json ({} when missing or unreadable; see ``run_note``).
    run_note : str
        Why ``run`` is empty, or "".
    tracks_path, gradcam_path : Path or None
        tracks.csv and gradcam.csv, read later and only for the gallery's tracks (they are large).
    """

    run_dir: Path
    results: pd.DataFrame
    summary: pd.DataFrame
    conditions: list[str]
    emsd: pd.DataFrame | None
    errors: pd.DataFrame
    errors_recorded: bool
    run: dict[str, Any] = field(default_factory=dict)
    run_note: str = ""
    tracks_path: Path | None = None
    gradcam_path: Path | None = None

    def condition_summary(self, condition: str) -> pd.Series | None:
        """The ``level == "condition"`` row of summary.csv for ``condition``; None when there is none."""
        rows = self.summary[(self.summary["level"] == "condition") & (self.summary["condition"] == condition)]
        return None if rows.empty else rows.iloc[0]

    def file_summary(self) -> pd.DataFrame:
        """The ``level == "file"`` rows of summary.csv."""
        return self.summary[self.summary["level"] == "file"]

    def condition_results(self, condition: str) -> pd.DataFrame:
        """The rows of results.csv of one condition."""
        return self.results[self.results["condition"] == condition]

    def classified(self) -> pd.DataFrame:
        """The classified tracks (status ``ok``)."""
        return self.results[self.results["status"] == OK]


def read_table(path: Path, required: tuple[str, ...] = (), columns: list[str] | None = None) -> pd.DataFrame:
    """Read one CSV of the run folder; text columns as text, missing ``columns`` added as NaN.

    Raises
    ------
    RunFolderError
        If the file cannot be read or lacks a ``required`` column.
    """
    try:
        header = pd.read_csv(path, nrows=0).columns
        text = [c for c in header if c in TEXT_COLUMNS]
        # Empty cells are NaN everywhere; "NA", "null" and the like stay text in text columns.
        na_values = {c: [""] if c in TEXT_COLUMNS else NUMBER_NA for c in header}
        table = pd.read_csv(path, dtype={c: str for c in text}, keep_default_na=False, na_values=na_values)
        for c in header:
            if c not in TEXT_COLUMNS and c not in BOOL_COLUMNS and table[c].dtype == object:
                table[c] = pd.to_numeric(table[c], errors="coerce")  # a stray word in a number column: NaN
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"cannot read {path.name}: {exc}", where=str(path),
                             hint="the batch may have been interrupted; run `resandi batch` again") from exc
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise RunFolderError(f"{path.name} lacks the column(s) {', '.join(missing)}", where=str(path),
                             hint="this is not a `resandi batch` output, or is from another version; run it again")
    for c in columns or []:
        if c not in table.columns:
            table[c] = np.nan
    for c in text:
        table[c] = table[c].fillna("") if c in ("file", "condition", "status", "level") else table[c]
    return table


def as_bool(values: pd.Series) -> pd.Series:
    """``True``/``False`` cells (bool or text) as bool; anything else False."""
    return values.map(lambda v: v is True or v is np.True_ or str(v).strip().lower() in ("true", "1", "1.0", "yes"))


def _read_run_json(path: Path) -> tuple[dict[str, Any], str]:
    if not path.is_file():
        return {}, "run.json is missing: how the batch was run is not recorded"
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {}, f"run.json could not be read ({exc}): how the batch was run is not recorded"
    if not isinstance(run, dict):
        return {}, "run.json holds no JSON object: not recorded"
    # `resandi batch` records the model's calibration, trust rule and preprocessing with the model.
    model = run.get("model") if isinstance(run.get("model"), dict) else {}
    for key in ("calibration", "trust", "preprocessing"):
        if key not in run and isinstance(model.get(key), dict):
            run[key] = model[key]
    return run, ""


def load_run(run_dir: str | os.PathLike) -> RunData:
    """Read a batch run folder.

    Parameters
    ----------
    run_dir : path
        The folder ``resandi batch ... --out`` wrote.

    Raises
    ------
    RunFolderError
        If the folder, results.csv or summary.csv is missing or unreadable.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunFolderError("no such run folder" if not run_dir.exists() else "not a folder", where=str(run_dir),
                             hint=_HINT)
    for name in (layout.RESULTS_FILE, layout.SUMMARY_FILE):
        if not (run_dir / name).is_file():
            raise RunFolderError(f"{name} is missing: this is not a finished batch run", where=str(run_dir / name),
                                 hint=_HINT)
    prob_columns = [f"prob_{c}" for c in CLASS_NAMES]
    results = read_table(run_dir / layout.RESULTS_FILE, ("file", "condition", "track_id", "status"),
                         ["n_points", "predicted_class", "confidence", *prob_columns, "alpha_msd", "D_msd",
                          "D_msd_unit", "uncertain", "uncertain_reason", "noise_beyond_training", "message"])
    for c in ("predicted_class", "D_msd_unit", "uncertain_reason", "message"):
        results[c] = results[c].fillna("").astype(str)
    results["uncertain"] = as_bool(results["uncertain"])
    results["noise_beyond_training"] = as_bool(results["noise_beyond_training"])
    summary = read_table(run_dir / layout.SUMMARY_FILE, ("level", "condition"), layout.SUMMARY_COLUMNS)
    emsd_path = run_dir / layout.EMSD_FILE
    emsd = read_table(emsd_path, ("condition", "lag_time", "msd"), layout.EMSD_COLUMNS) if emsd_path.is_file() else None
    errors_path = run_dir / layout.ERRORS_FILE
    errors_recorded = errors_path.is_file()
    errors = (read_table(errors_path, ("file",), layout.ERROR_COLUMNS) if errors_recorded
              else pd.DataFrame(columns=layout.ERROR_COLUMNS))
    run, note = _read_run_json(run_dir / layout.RUN_FILE)
    conditions = list(dict.fromkeys(
        [*summary.loc[summary["level"] == "condition", "condition"], *results["condition"],
         *(run.get("conditions") or {} if isinstance(run.get("conditions"), dict) else {})]))
    return RunData(
        run_dir=run_dir, results=results, summary=summary, conditions=[str(c) for c in conditions], emsd=emsd,
        errors=errors, errors_recorded=errors_recorded, run=run, run_note=note,
        tracks_path=p if (p := run_dir / layout.TRACKS_FILE).is_file() else None,
        gradcam_path=p if (p := run_dir / layout.GRADCAM_FILE).is_file() else None,
    )


def nested(mapping: Any, *keys: str) -> Any:
    """``mapping[k1][k2]...`` or None where any level is missing or not a dict."""
    for key in keys:
        if not isinstance(mapping, dict) or key not in mapping:
            return None
        mapping = mapping[key]
    return mapping
