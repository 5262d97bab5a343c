"""A small but realistic batch run folder, written the way `resandi batch` lays one out.

:func:`write_synthetic_run` writes results.csv, gradcam.csv, windows.csv,
tracks.csv, summary.csv, emsd.csv, errors.csv and run.json (names and columns
from :mod:`resandi_core.study.layout`) for random-walk tracks, with the summary's
counts, fractions and Wilson intervals computed from the results here, so a
report's numbers can be checked against them. Used by tests/test_report.py and
benchmarks/report.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from resandi_core.model.spec import CLASS_NAMES
from resandi_core.study import layout

#: The default run: condition -> files (one more file fails, see ERROR_FILE).
CONDITIONS = {"control": ["control/cell_01.csv", "control/cell_02.csv"], "drug 10 uM": ["drug/cell_03.csv"]}
ERROR_FILE = ("drug/movie_04.tif", "drug 10 uM")
FRAME_INTERVAL_S = 0.05
MIN_CONFIDENCE = 0.5
MIN_POINTS = 20
D_UNIT = "µm^2/s^alpha"


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float, float]:
    """Share ``k / n`` and its Wilson score interval (NaNs when n == 0)."""
    if n == 0:
        return math.nan, math.nan, math.nan
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(centre - half, 0.0), min(centre + half, 1.0)


def _tracks_of_file(rng: np.random.Generator, file: str, condition: str, n_tracks: int,
                    points: tuple[int, int]) -> tuple[list[dict], list[pd.DataFrame], list[pd.DataFrame]]:
    rows, tracks, gradcam = [], [], []
    for track_id in range(n_tracks):
        n = int(rng.integers(*points))
        skipped = track_id == 0  # the first track of every file is too short to classify
        n = 6 if skipped else n
        xy = np.cumsum(rng.normal(scale=0.08, size=(n, 2)), axis=0) + rng.uniform(0, 40, size=2)
        frames = np.arange(n) + int(rng.integers(0, 50))
        row = {"file": file, "condition": condition, "track_id": track_id, "n_points": n}
        if skipped:
            row.update(status="too_short", message=f"{n} points; at least 10 are needed")
            rows.append(row)
            continue
        logits = rng.normal(size=len(CLASS_NAMES))
        logits[int(rng.integers(0, len(CLASS_NAMES)))] += rng.uniform(0.0, 4.0)
        probs = np.exp(logits) / np.exp(logits).sum()
        best = int(np.argmax(probs))
        cls = CLASS_NAMES[best]
        alpha = {"Sub": 0.6, "Sup": 1.5}.get(cls[:3], 1.0) + rng.normal(scale=0.15)
        score = np.sin(np.linspace(0, rng.uniform(2, 9), n)) * rng.uniform(0.2, 2.0) + rng.normal(scale=0.1, size=n)
        low, short = probs[best] < MIN_CONFIDENCE, n < MIN_POINTS
        reason = "; ".join([r for r, on in ((f"confidence < {MIN_CONFIDENCE:g}", low),
                                            (f"fewer than {MIN_POINTS} points", short)) if on])
        row.update(
            predicted_class=cls, confidence=probs[best], **{f"prob_{c}": p for c, p in zip(CLASS_NAMES, probs)},
            gradcam_mean=score.mean(), status="ok", gradcam_mean_points=score.mean(), n_filled=0, n_windows=1,
            message="", alpha_msd=alpha, D_msd=float(np.exp(rng.normal(np.log(0.05), 0.8))), msd_r2=0.95,
            msd_n_lags=10, D_msd_unit=D_UNIT, uncertain=bool(low or short), uncertain_reason=reason,
            noise_est=0.01, noise_est_steps=0.1, noise_beyond_training=False,
        )
        rows.append(row)
        tracks.append(pd.DataFrame({"file": file, "condition": condition, "track_id": track_id, "frame": frames,
                                    "x": xy[:, 0], "y": xy[:, 1], "position_unit": "µm",
                                    "t": frames * FRAME_INTERVAL_S}))
        gradcam.append(pd.DataFrame({"file": file, "track_id": track_id, "frame": frames, "score": score,
                                     "interpolated": False}))
    return rows, tracks, gradcam


def _summary_row(level: str, condition: str, file: str, table: pd.DataFrame) -> dict:
    ok = table[table["status"] == "ok"]
    confident = ok[~ok["uncertain"].astype(bool)]
    row: dict = {"level": level, "condition": condition, "file": file, "n_files": table["file"].nunique(),
                 "n_tracks": len(table), "n_classified": len(ok), "n_confident": len(confident)}
    for prefix, part in (("", ok), ("conf_", confident)):
        for c in CLASS_NAMES:
            row[f"n_{prefix}{c}"] = int((part["predicted_class"] == c).sum())
    for prefix, count_prefix, part in (("frac", "n_", ok), ("conf_frac", "n_conf_", confident)):
        for c in CLASS_NAMES:
            p, lo, hi = wilson(row[f"{count_prefix}{c}"], len(part))
            row.update({f"{prefix}_{c}": p, f"{prefix}_{c}_lo": lo, f"{prefix}_{c}_hi": hi})
    row.update(median_confidence=ok["confidence"].median(), median_n_points=table["n_points"].median(),
               median_alpha=ok["alpha_msd"].median(), median_D=ok["D_msd"].median(), D_unit=D_UNIT if len(ok) else "")
    return row


def _emsd(tracks: pd.DataFrame, max_lag: int = 20) -> pd.DataFrame:
    rows = []
    for condition, part in tracks.groupby("condition", sort=False):
        groups = [g[["x", "y"]].to_numpy() for _, g in part.groupby(["file", "track_id"])]
        for lag in range(1, max_lag + 1):
            d2 = [((g[lag:] - g[:-lag]) ** 2).sum(axis=1) for g in groups if len(g) > lag]
            if not d2:
                break
            pairs = np.concatenate(d2)
            rows.append({"condition": condition, "lag_frames": lag, "lag_time": lag * FRAME_INTERVAL_S,
                         "time_unit": "s", "msd": pairs.mean(), "msd_unit": "µm^2", "n_pairs": len(pairs),
                         "n_tracks": len(d2), "n_files": part["file"].nunique(), "n_files_other_units": 0})
    return pd.DataFrame(rows, columns=layout.EMSD_COLUMNS)


def run_manifest(conditions: dict[str, list[str]], error_file: tuple[str, str] | None) -> dict:
    """A run.json like the batch writes, with every key the report reads."""
    files = [{"file": f, "condition": c, "status": "done", "n_tracks": None, "position_unit": "µm",
              "pixel_size_um": None, "frame_interval_s": FRAME_INTERVAL_S} for c, fs in conditions.items() for f in fs]
    all_conditions = {c: list(fs) for c, fs in conditions.items()}
    if error_file:
        files.append({"file": error_file[0], "condition": error_file[1], "status": "failed", "n_tracks": 0})
        all_conditions.setdefault(error_file[1], []).append(error_file[0])
    return {
        "software": "resandi 0.1.0", "created": "2025-03-04T10:11:12+00:00",
        "command": "resandi batch control/ drug/ --out run --min-length 10",
        "model": {"name": "resandi-interim-cpu", "path": "/models/resandi-interim-cpu", "sha256": "ab12" * 16,
                  "description": "Interim CPU model", "trained": True,
                  "test_metrics": {"n": 8000, "accuracy": 0.862625,
                                   "per_class_accuracy": {c: 0.8 for c in CLASS_NAMES}}},
        "calibration": {"temperature": 2.6879, "ece_raw": 0.156, "ece_calibrated": 0.062},
        "trust": {"min_confidence": MIN_CONFIDENCE, "min_points": MIN_POINTS},
        "preprocessing": {"normalisation": "andi: increments / their std", "padding": "left zeros",
                          "scaling": "min-max to [0, 1]", "input_length": 1000},
        "options": {"read": {"format": None}, "linking": {"diameter": 11, "minmass": 20, "search_range": 5,
                                                          "memory": 3, "min_length": 10},
                    "classify": {"window_stride": 1000, "relu": False, "target_class": None, "gradcam": True}},
        "conditions": all_conditions,
        "files": files,
    }


def write_synthetic_run(folder: Path, *, tracks_per_file: int = 20, points: tuple[int, int] = (12, 160),
                        conditions: dict[str, list[str]] | None = None, all_skipped: bool = False,
                        with_emsd: bool = True, with_error: bool = True, seed: int = 0) -> Path:
    """Write a batch run folder into ``folder`` (created) and return it.

    Parameters
    ----------
    tracks_per_file : int
        Tracks in each file; the first of each is skipped (``too_short``).
    points : (int, int)
        Range of points per classified track (some below :data:`MIN_POINTS`: uncertain).
    all_skipped : bool
        Every track skipped: a run with nothing classified.
    with_emsd, with_error : bool
        Write emsd.csv; add a failed file to errors.csv (else errors.csv has no rows).
    """
    folder.mkdir(parents=True, exist_ok=True)
    conditions = CONDITIONS if conditions is None else conditions
    rng = np.random.default_rng(seed)
    rows, tracks, gradcam = [], [], []
    for condition, files in conditions.items():
        for file in files:
            r, t, g = _tracks_of_file(rng, file, condition, tracks_per_file, points)
            rows += r
            tracks += t
            gradcam += g
    results = pd.DataFrame(rows)
    if all_skipped:
        results = results[["file", "condition", "track_id", "n_points"]].assign(status="too_few_points",
                                                                               message="no track to classify")
        tracks, gradcam = [], []
    for column in ["predicted_class", "confidence", *[f"prob_{c}" for c in CLASS_NAMES], "uncertain",
                   "alpha_msd", "D_msd", "uncertain_reason", "message"]:
        if column not in results:
            results[column] = "" if column in ("predicted_class", "uncertain_reason", "message") else np.nan
    results["uncertain"] = results["uncertain"].fillna(False).astype(bool)
    results.to_csv(folder / layout.RESULTS_FILE, index=False)
    track_table = pd.concat(tracks) if tracks else pd.DataFrame(columns=["file", "condition", "track_id", "frame",
                                                                         "x", "y", "position_unit", "t"])
    track_table.to_csv(folder / layout.TRACKS_FILE, index=False)
    (pd.concat(gradcam) if gradcam else pd.DataFrame(columns=["file", "track_id", "frame", "score", "interpolated"])
     ).to_csv(folder / layout.GRADCAM_FILE, index=False)
    pd.DataFrame(columns=["file", "track_id", "window"]).to_csv(folder / layout.WINDOWS_FILE, index=False)
    summary = [_summary_row("condition", c, "", results[results["condition"] == c]) for c in conditions]
    summary += [_summary_row("file", c, f, results[results["file"] == f]) for c, fs in conditions.items() for f in fs]
    pd.DataFrame(summary, columns=layout.SUMMARY_COLUMNS).to_csv(folder / layout.SUMMARY_FILE, index=False)
    if with_emsd and len(track_table):
        _emsd(track_table).to_csv(folder / layout.EMSD_FILE, index=False)
    error_rows = [{"file": ERROR_FILE[0], "condition": ERROR_FILE[1], "stage": "link",
                   "reason": "no particles found with minmass 20", "what_to_do": "lower --minmass",
                   "internal": False}] if with_error else []
    pd.DataFrame(error_rows, columns=layout.ERROR_COLUMNS).to_csv(folder / layout.ERRORS_FILE, index=False)
    manifest = run_manifest(conditions, ERROR_FILE if with_error else None)
    (folder / layout.RUN_FILE).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return folder
