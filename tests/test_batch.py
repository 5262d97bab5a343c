"""``resandi batch``: a study tree by condition, bad files, resume, and the outputs agreeing with each other."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from resandi_core.io import read_tracks
from resandi_core.io.writers import write_tracks_trackmate_csv, write_tracks_trackpy_csv
from resandi_core.model.spec import CLASS_NAMES
from resandi_core.study.conditions import UNMAPPED, assign_conditions
from resandi_core.study.layout import CACHE_FOLDER, EMSD_COLUMNS, ERROR_COLUMNS, SUMMARY_COLUMNS
from resandi_core.study.summary import summarise, wilson_interval
from resandi_core.tracks import Tracks
from tests.cli_runner import run_cli
from tests.factories import random_walk

SAMPLE_MOVIE = Path(__file__).parents[1] / "resources" / "samples" / "bulk_water_50frames.tif"


def _tracks(n_tracks: int, seed: int, length: int = 150) -> Tracks:
    rng = np.random.default_rng(seed)
    parts = [pd.DataFrame({"track_id": tid, "frame": np.arange(length), **dict(zip("xy", random_walk(length, rng).T))})
             for tid in range(n_tracks)]
    return Tracks(pd.concat(parts, ignore_index=True), source=f"seed{seed}", pixel_size_um=0.1, frame_interval_s=0.05)


@pytest.fixture
def study(tmp_path) -> Path:
    """EXPERIMENT/control: trackpy CSV, TrackMate CSV, a movie; EXPERIMENT/drug: trackpy CSV, a broken and an empty file."""
    root = tmp_path / "experiment"
    (root / "control").mkdir(parents=True)
    (root / "drug" / "day1").mkdir(parents=True)
    write_tracks_trackpy_csv(_tracks(6, 1), root / "control" / "cells_a.csv")
    write_tracks_trackmate_csv(_tracks(5, 2), root / "control" / "cells_b_spots.csv")
    shutil.copy(SAMPLE_MOVIE, root / "control" / "movie.tif")
    write_tracks_trackpy_csv(_tracks(7, 3, length=80), root / "drug" / "day1" / "cells_c.csv")
    (root / "drug" / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(300))
    (root / "drug" / "empty.csv").write_bytes(b"")
    return root


def test_conditions_from_folders_depth_and_mapping(study, tmp_path):
    by_name = {f.path.name: f.condition for f in assign_conditions([study])}
    assert by_name == {"cells_a.csv": "control", "cells_b_spots.csv": "control", "movie.tif": "control",
                       "cells_c.csv": "drug", "broken.h5": "drug", "empty.csv": "drug"}
    assert {f.condition for f in assign_conditions([study], depth=2)} == {"control", "drug", "drug/day1"}
    assert {f.condition for f in assign_conditions([study / "control", study / "drug"], depth=0)} == {"control", "drug"}
    mapping = tmp_path / "map.csv"
    mapping.write_text("file,condition\ncells_a.csv,wt\ndrug/day1/cells_c.csv,ko\n")
    mapped = {f.path.name: f.condition for f in assign_conditions([study], condition_map=mapping)}
    assert mapped["cells_a.csv"] == "wt" and mapped["cells_c.csv"] == "ko" and mapped["movie.tif"] == UNMAPPED


def test_wilson_interval_matches_the_textbook_value():
    # 8 of 20: Wilson 95% interval 0.2188 to 0.6134 (Newcombe 1998, method 3)
    low, high = wilson_interval(np.array([8, 0]), np.array([20, 0]))
    assert low[0] == pytest.approx(0.2188, abs=1e-4) and high[0] == pytest.approx(0.6134, abs=1e-4)
    assert np.isnan(low[1]) and np.isnan(high[1])


def test_summary_counts_classified_and_confident_tracks():
    results = pd.DataFrame({
        "file": ["a", "a", "a", "b"], "condition": ["x", "x", "x", "x"],
        "status": ["ok", "ok", "too_short", "ok"], "predicted_class": ["BM", "SupLW", None, "BM"],
        "uncertain": [False, True, True, "False"], "confidence": [0.9, 0.4, np.nan, 0.8],
        "n_points": [100, 200, 5, 300], "alpha_msd": [1.0, 1.8, np.nan, 0.9], "D_msd": [0.1, 0.2, np.nan, 0.3],
        "D_msd_unit": ["µm^2/s^alpha"] * 4,
    })
    summary = summarise(results)
    assert list(summary.columns) == SUMMARY_COLUMNS
    condition = summary[summary["level"] == "condition"].iloc[0]
    assert (condition["n_tracks"], condition["n_classified"], condition["n_confident"]) == (4, 3, 2)
    assert condition["frac_BM"] == pytest.approx(2 / 3) and condition["conf_frac_BM"] == 1.0
    assert condition["median_alpha"] == 1.0 and condition["n_files"] == 2
    assert (summary["level"] == "file").sum() == 2


@pytest.mark.slow
def test_batch_study_tree_end_to_end(study, tmp_path, untrained_model_dir):
    out = tmp_path / "out"
    run = run_cli("batch", study, "--out", out, "--model", untrained_model_dir, "--report")
    assert run.returncode == 1, run.stderr  # two bad files: the batch finishes but says so
    errors = pd.read_csv(out / "errors.csv")
    assert list(errors.columns) == ERROR_COLUMNS
    assert sorted(Path(f).name for f in errors["file"]) == ["broken.h5", "empty.csv"]
    assert set(errors["stage"]) == {"read"} and errors["what_to_do"].str.len().min() > 5
    assert not errors["internal"].any()

    results = pd.read_csv(out / "results.csv")
    assert list(results.columns[:3]) == ["file", "condition", "track_id"]
    good = {"cells_a.csv", "cells_b_spots.csv", "movie.tif", "cells_c.csv"}
    assert {Path(f).name for f in results["file"]} == good
    assert results.groupby("condition")["file"].nunique().to_dict() == {"control": 3, "drug": 1}

    summary = pd.read_csv(out / "summary.csv", converters={"file": str})  # condition rows: file empty
    pd.testing.assert_frame_equal(summary, summarise(results).pipe(lambda t: t.astype(summary.dtypes.to_dict())),
                                  check_exact=False, rtol=1e-6)
    per_condition = summary[summary["level"] == "condition"].set_index("condition")
    ok = results[results["status"] == "ok"]
    for condition, group in ok.groupby("condition"):
        for name in CLASS_NAMES:
            assert per_condition.loc[condition, f"n_{name}"] == (group["predicted_class"] == name).sum()

    emsd = pd.read_csv(out / "emsd.csv")
    assert list(emsd.columns) == EMSD_COLUMNS and set(emsd["condition"]) == {"control", "drug"}
    tracks = pd.read_csv(out / "tracks.csv")
    assert {"file", "condition", "track_id", "frame", "x", "y", "position_unit"} <= set(tracks.columns)
    gradcam = pd.read_csv(out / "gradcam.csv")
    assert len(gradcam) > 0

    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["command"].startswith("resandi batch ")
    assert manifest["model"]["sha256"] and set(manifest["conditions"]) == {"control", "drug"}
    assert sorted(f["status"] for f in manifest["files"]) == ["done"] * 4 + ["failed"] * 2

    html = (out / "report" / "report.html").read_text(encoding="utf-8")
    for name in good | {"control", "drug"}:
        assert name in html
    assert (out / "report" / "report.pdf").stat().st_size > 10_000

    # A second run skips every finished file, and writes the same tables.
    again = run_cli("batch", study, "--out", out, "--model", untrained_model_dir)
    assert "0 files classified, 4 reused" in again.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out / "results.csv"), results)
    # --force classifies them again.
    forced = run_cli("batch", study / "drug", "--out", tmp_path / "forced", "--model", untrained_model_dir,
                     "--condition-depth", "0", "--force", "-q")
    assert forced.returncode == 1 and set(pd.read_csv(tmp_path / "forced" / "results.csv")["condition"]) == {"drug"}


@pytest.mark.slow
def test_a_changed_file_or_option_is_classified_again(study, tmp_path, untrained_model_dir):
    out = tmp_path / "out"
    control = study / "control"
    (control / "movie.tif").unlink()
    assert run_cli("batch", control, "--out", out, "--model", untrained_model_dir, "-q").returncode == 0
    write_tracks_trackpy_csv(_tracks(3, 9), control / "cells_a.csv")  # edited since
    run = run_cli("batch", control, "--out", out, "--model", untrained_model_dir)
    assert "1 files classified, 1 reused" in run.stderr
    assert read_tracks(control / "cells_a.csv").n_tracks == 3
    assert (pd.read_csv(out / "results.csv")["file"].map(lambda f: Path(f).name) == "cells_a.csv").sum() == 3
    run = run_cli("batch", control, "--out", out, "--model", untrained_model_dir, "--window-stride", "250")
    assert "2 files classified, 0 reused" in run.stderr


@pytest.mark.slow
def test_a_killed_batch_resumes(study, tmp_path, untrained_model_dir):
    """kill -9 after the first file is done: the next run reuses it and finishes the rest."""
    out = tmp_path / "out"
    (study / "control" / "movie.tif").unlink()
    many = study / "control"
    for i in range(6):
        write_tracks_trackpy_csv(_tracks(20, 100 + i, length=400), many / f"more_{i}.csv")
    command = [sys.executable, "-m", "resandi_core.cli", "batch", str(study), "--out", str(out),
               "--model", str(untrained_model_dir), "-q"]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list((out / CACHE_FOLDER).glob("*/done.json")) and time.monotonic() < deadline:
            assert child.poll() is None, "the batch ended before it could be killed"
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    finished = len(list((out / CACHE_FOLDER).glob("*/done.json")))
    assert 1 <= finished < 9 and not (out / "results.csv").exists()
    run = run_cli("batch", study, "--out", out, "--model", untrained_model_dir)
    assert f"{9 - finished} files classified, {finished} reused" in run.stderr
    assert pd.read_csv(out / "results.csv")["file"].nunique() == 9


def test_ensemble_msd_pools_pairs_of_files_with_the_same_frame_interval():
    from resandi_core.study.summary import pool_emsd

    rows = []
    for file, dt, msd, pairs in (("a", 0.1, 1.0, 100), ("b", 0.1000000001, 3.0, 300), ("c", 0.5, 50.0, 10)):
        for lag in (1, 2):
            rows.append({"condition": "x", "file": file, "lag_frames": lag, "lag_time": lag * dt, "time_unit": "s",
                         "msd": msd * lag, "msd_unit": "µm^2", "n_pairs": pairs, "n_tracks": 5})
    pooled = pool_emsd(pd.DataFrame(rows))
    assert list(pooled["lag_frames"]) == [1, 2] and list(pooled["n_files"]) == [2, 2]
    assert pooled["msd"].tolist() == pytest.approx([(1 * 100 + 3 * 300) / 400, 2 * (1 * 100 + 3 * 300) / 400])
    assert pooled["lag_time"].tolist() == pytest.approx([0.1, 0.2]) and (pooled["n_files_other_units"] == 1).all()
