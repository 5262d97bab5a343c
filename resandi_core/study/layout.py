"""What a batch folder holds: file names and the columns of each table.

``resandi batch FOLDER... --out DIR`` writes these into ``DIR`` and ``resandi
report DIR`` reads them; both sides take the names from here.

- ``results.csv``: one row per track, the columns of ``resandi classify`` with
  ``condition`` after ``file``.
- ``gradcam.csv``: ``file, track_id, frame, score, interpolated`` (one row per point).
- ``windows.csv``: one row per 1000-point window, as ``resandi classify``, with ``condition`` after ``file``.
- ``tracks.csv``: the tracks classified, ``file, condition, track_id, frame, x,
  y, position_unit`` [, ``t``] (x, y in ``position_unit``: ``µm`` or ``px``; t in s),
  so that a report can draw each trajectory and a reader can check it.
- ``summary.csv``: one row per condition (``level == "condition"``, ``file`` empty)
  then one per file (``level == "file"``); see :data:`SUMMARY_COLUMNS`.
- ``emsd.csv``: ensemble MSD per condition, pairs of all its files pooled;
  see :data:`EMSD_COLUMNS`.
- ``errors.csv``: one row per file that failed; see :data:`ERROR_COLUMNS`.
- ``run.json``: how the batch was run (software, model, options, command, date,
  conditions and files); see :func:`resandi_core.study.run.run_manifest`.
- ``.resandi-cache/``: one folder per finished file, so that an interrupted
  batch resumes (not for users).

May import: the model spec and the base modules.
"""

from __future__ import annotations

from ..model.spec import CLASS_NAMES

RESULTS_FILE = "results.csv"
GRADCAM_FILE = "gradcam.csv"
WINDOWS_FILE = "windows.csv"
TRACKS_FILE = "tracks.csv"
SUMMARY_FILE = "summary.csv"
EMSD_FILE = "emsd.csv"
ERRORS_FILE = "errors.csv"
RUN_FILE = "run.json"
CACHE_FOLDER = ".resandi-cache"
REPORT_FOLDER = "report"

#: Confidence level of every interval in summary.csv (Wilson score interval).
INTERVAL_LEVEL = 0.95


def fraction_columns(prefix: str) -> list[str]:
    """``[f"{prefix}_{C}", f"{prefix}_{C}_lo", f"{prefix}_{C}_hi"]`` for every class C."""
    return [f"{prefix}_{c}{end}" for c in CLASS_NAMES for end in ("", "_lo", "_hi")]


#: summary.csv, one row per condition then per file.
#: ``n_classified``: tracks with status ``ok``; ``n_confident``: of those, not ``uncertain``.
#: ``frac_C`` (with 95% Wilson interval ``_lo``, ``_hi``): share of the classified tracks
#: called C; ``conf_frac_C``: the same counting only confident tracks (NaN when none).
#: ``median_alpha``, ``median_D`` (``D_unit``): MSD fits of classified tracks;
#: ``median_confidence``: calibrated confidence; ``n_files``: files summed.
SUMMARY_COLUMNS = [
    "level", "condition", "file", "n_files", "n_tracks", "n_classified", "n_confident",
    *[f"n_{c}" for c in CLASS_NAMES], *fraction_columns("frac"),
    *[f"n_conf_{c}" for c in CLASS_NAMES], *fraction_columns("conf_frac"),
    "median_confidence", "median_n_points", "median_alpha", "median_D", "D_unit",
]

#: emsd.csv: ``lag_time`` in ``time_unit`` (s, or frame when uncalibrated), ``msd`` in
#: ``msd_unit`` (µm^2 or px^2), pooled over ``n_pairs`` displacement pairs from
#: ``n_tracks`` tracks of ``n_files`` files; files whose units differ from the
#: condition's most common ones are left out (and counted in ``n_files_other_units``).
EMSD_COLUMNS = [
    "condition", "lag_frames", "lag_time", "time_unit", "msd", "msd_unit",
    "n_pairs", "n_tracks", "n_files", "n_files_other_units",
]

#: errors.csv: ``stage`` is read, link or classify; ``what_to_do`` the fix;
#: ``internal`` True for a crash (a bug to report), False for bad input.
ERROR_COLUMNS = ["file", "condition", "stage", "reason", "what_to_do", "internal"]
