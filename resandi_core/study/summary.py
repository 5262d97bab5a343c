"""Per-file and per-condition summaries of a batch: class fractions with intervals, medians, ensemble MSD.

The numbers here are the ones ``summary.csv`` holds and the report shows;
the report reads them rather than counting again, so the two always agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.spec import CLASS_NAMES
from .layout import EMSD_COLUMNS, INTERVAL_LEVEL, SUMMARY_COLUMNS

#: z of the two-sided 95% normal quantile, for Wilson intervals.
_Z95 = 1.959963984540054


def wilson_interval(successes: np.ndarray, n: np.ndarray, z: float = _Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion, elementwise.

    Better than the normal approximation at the small counts and the fractions near
    0 or 1 that class fractions of a few dozen tracks have. NaN where ``n == 0``.

    Parameters
    ----------
    successes, n : array_like of int, same shape

    Returns
    -------
    low, high : ndarray of float, that shape, within [0, 1]
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    low[n == 0] = high[n == 0] = np.nan
    return low, high


def _is_true(values: pd.Series) -> np.ndarray:
    """``uncertain`` read back from CSV may be bool or the strings True/False."""
    return values.astype(str).str.strip().str.lower().isin(("true", "1")).to_numpy()


def _fractions(counts: np.ndarray, n: int, prefix: str) -> dict[str, float]:
    low, high = wilson_interval(counts, np.full(counts.shape, n))
    row = {}
    for c, k, lo, hi in zip(CLASS_NAMES, counts, low, high):
        row[f"{prefix}_{c}"] = k / n if n else np.nan
        row[f"{prefix}_{c}_lo"], row[f"{prefix}_{c}_hi"] = lo, hi
    return row


def summarise_group(results: pd.DataFrame) -> dict[str, object]:
    """The summary numbers of some tracks (a file's or a condition's rows of results.csv)."""
    ok = results[results["status"] == "ok"]
    confident = ok[~_is_true(ok["uncertain"])] if "uncertain" in ok else ok
    counts = np.array([(ok["predicted_class"] == c).sum() for c in CLASS_NAMES])
    confident_counts = np.array([(confident["predicted_class"] == c).sum() for c in CLASS_NAMES])
    units = ok["D_msd_unit"].dropna().unique() if "D_msd_unit" in ok else []
    row: dict[str, object] = {
        "n_files": int(results["file"].nunique()),
        "n_tracks": len(results),
        "n_classified": len(ok),
        "n_confident": len(confident),
        **{f"n_{c}": int(k) for c, k in zip(CLASS_NAMES, counts)},
        **_fractions(counts, len(ok), "frac"),
        **{f"n_conf_{c}": int(k) for c, k in zip(CLASS_NAMES, confident_counts)},
        **_fractions(confident_counts, len(confident), "conf_frac"),
        "median_confidence": ok["confidence"].median() if len(ok) else np.nan,
        "median_n_points": ok["n_points"].median() if len(ok) else np.nan,
        # Medians of D only mean something in one unit; mixed units say so.
        "median_alpha": ok["alpha_msd"].median() if len(ok) else np.nan,
        "median_D": ok["D_msd"].median() if len(units) == 1 else np.nan,
        "D_unit": units[0] if len(units) == 1 else ("mixed" if len(units) else ""),
    }
    return row


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """summary.csv from results.csv: a row per condition, then a row per file (:data:`SUMMARY_COLUMNS`).

    Parameters
    ----------
    results : DataFrame
        results.csv of a batch (``file``, ``condition``, ``status``,
        ``predicted_class``, ``confidence``, ``uncertain``, ``alpha_msd``, ``D_msd``, ...).
    """
    rows = []
    for condition, group in results.groupby("condition", sort=True):
        rows.append({"level": "condition", "condition": condition, "file": "", **summarise_group(group)})
    for (condition, file), group in results.groupby(["condition", "file"], sort=True):
        rows.append({"level": "file", "condition": condition, "file": file, **summarise_group(group)})
    table = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    table.attrs["interval_level"] = INTERVAL_LEVEL
    return table


def pool_emsd(per_file: pd.DataFrame) -> pd.DataFrame:
    """Ensemble MSD per condition from the ensemble MSDs of its files (emsd.csv).

    Pooling the pairs of all files at each lag is a mean of the files' MSDs
    weighted by their pair counts. Files are pooled only in the units most
    files of the condition have (µm and s when calibrated) and their most common
    frame interval; others are counted in ``n_files_other_units``.

    Parameters
    ----------
    per_file : DataFrame
        Columns ``condition, file, lag_frames, lag_time, time_unit, msd, msd_unit, n_pairs, n_tracks``.

    Returns
    -------
    DataFrame
        :data:`EMSD_COLUMNS`, sorted by condition and lag.
    """
    if per_file.empty:
        return pd.DataFrame(columns=EMSD_COLUMNS)
    # Files pool when they share units and frame interval (to 6 significant digits: CSV round trips differ).
    per_file = per_file.assign(step=(per_file["lag_time"] / per_file["lag_frames"]).map(lambda v: float(f"{v:.6g}")))
    parts = []
    for condition, group in per_file.groupby("condition", sort=True):
        kinds = group.groupby(["msd_unit", "time_unit", "step"])["file"].nunique().sort_values(ascending=False,
                                                                                             kind="stable")
        msd_unit, time_unit, step = kinds.index[0]
        same = group[(group["msd_unit"] == msd_unit) & (group["time_unit"] == time_unit) & (group["step"] == step)]
        weighted = same.assign(weighted=same["msd"] * same["n_pairs"])
        pooled = weighted.groupby("lag_frames", sort=True).agg(
            weighted=("weighted", "sum"), n_pairs=("n_pairs", "sum"), n_tracks=("n_tracks", "sum"),
            n_files=("file", "nunique"),
        ).reset_index()
        pooled["msd"] = pooled["weighted"] / pooled["n_pairs"]
        pooled["lag_time"] = pooled["lag_frames"] * step
        pooled = pooled.assign(condition=condition, time_unit=time_unit, msd_unit=msd_unit,
                               n_files_other_units=int(group["file"].nunique() - same["file"].nunique()))
        parts.append(pooled[EMSD_COLUMNS])
    return pd.concat(parts, ignore_index=True)
