"""The `resandi` command as a user runs it: in-process (fast), and once as the installed script."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_runner import run_cli
from factories import mixed_tracks_table

from resandi_core.classify import PROB_COLUMNS

RESULT_COLUMNS = ["file", "track_id", "n_points", "predicted_class", "confidence", *PROB_COLUMNS, "gradcam_mean", "status"]


resandi = run_cli


def test_installed_resandi_script_classifies(tmp_path, untrained_model_dir):
    # the one subprocess run of the console script: that it is installed and works end to end
    script = shutil.which("resandi", path=str(Path(sys.executable).parent)) or shutil.which("resandi")
    assert script, "the resandi console script is not installed: pip install -e ."
    csv_path = tmp_path / "t.csv"
    mixed_tracks_table(n_tracks=4, seed=9, n_too_short=0, n_with_gaps=0, max_length=60).to_csv(csv_path, index=False)
    run = subprocess.run([script, "classify", str(csv_path), "--out", str(tmp_path / "out"), "--model",
                          str(untrained_model_dir), "-q"], capture_output=True, text=True, timeout=600,
                         env={**os.environ})
    assert run.returncode == 0, run.stderr
    assert len(pd.read_csv(tmp_path / "out" / "results.csv")) == 4


def check_outputs(out_dir, table, csv_path):
    results = pd.read_csv(out_dir / "results.csv", keep_default_na=False, na_values=[""])
    assert list(results.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    assert (results.file == str(csv_path)).all()
    assert len(results) == table.track_id.nunique()
    lengths = table.groupby("track_id").size()
    assert set(results.loc[results.status == "too_short", "track_id"]) == set(lengths.index[lengths < 10])
    assert list(results.loc[results.status == "non_finite", "track_id"]) == [table.track_id.max()]
    ok = results[results.status == "ok"]
    assert (ok.n_filled > 0).sum() == 10
    assert ok[PROB_COLUMNS].sum(axis=1).between(0.9999, 1.0001).all()
    assert (ok.confidence == ok[PROB_COLUMNS].max(axis=1)).all()
    long = ok[ok.n_points + ok.n_filled > 1000]
    assert len(long) > 0 and (long.n_windows > 1).all()
    gradcam = pd.read_csv(out_dir / "gradcam.csv")
    assert list(gradcam.columns[:4]) == ["file", "track_id", "frame", "score"]
    spans = table.groupby("track_id").frame.agg(lambda f: f.max() - f.min() + 1)
    assert len(gradcam) == spans[ok.track_id].sum()
    means = gradcam.groupby("track_id").score.mean()
    pd.testing.assert_series_equal(
        means[ok.track_id].reset_index(drop=True), ok.gradcam_mean_points.reset_index(drop=True), check_names=False, rtol=1e-5
    )


def test_classify_mixed_tracks(tmp_path, untrained_model_dir):
    table = mixed_tracks_table(n_tracks=150, seed=1)
    csv_path = tmp_path / "tracks.csv"
    table.rename(columns={"track_id": "particle"}).to_csv(csv_path, index=False)
    run = resandi("classify", csv_path, "--out", tmp_path / "out", "--model", untrained_model_dir)
    assert run.returncode == 0, run.stderr
    assert "UNTRAINED" in run.stderr and "device: cpu" in run.stderr
    check_outputs(tmp_path / "out", table, csv_path)


@pytest.mark.slow
def test_classify_thousands_of_tracks_up_to_3000_points(tmp_path, untrained_model_dir):
    table = mixed_tracks_table(n_tracks=3000, seed=2, n_too_short=40, n_with_gaps=10)
    assert table.groupby("track_id").size().max() > 2500
    csv_path = tmp_path / "many.csv"
    table.to_csv(csv_path, index=False)
    run = resandi("classify", csv_path, "--out", tmp_path / "out", "--model", untrained_model_dir, "--quiet")
    assert run.returncode == 0, run.stderr
    check_outputs(tmp_path / "out", table, csv_path)


def test_bad_file_does_not_stop_the_others(tmp_path, untrained_model_dir):
    good = tmp_path / "good.csv"
    mixed_tracks_table(n_tracks=8, seed=3, n_too_short=1, n_with_gaps=1, max_length=200).to_csv(good, index=False)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,when,x,y\n1,0,0,0\n")
    run = resandi("classify", bad, good, "--out", tmp_path / "out", "--model", untrained_model_dir)
    assert run.returncode == 1
    assert f"error: {bad}: missing column(s) frame" in run.stderr
    assert "Traceback" not in run.stderr
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert set(results.file) == {str(good)}


def test_errors_are_one_line_and_keep_existing_outputs(tmp_path, untrained_model_dir):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.csv").write_text("precious\n")
    csv_path = tmp_path / "t.csv"
    mixed_tracks_table(n_tracks=5, seed=4, n_too_short=0, n_with_gaps=0, max_length=100).to_csv(csv_path, index=False)
    for args, message in [
        (("--model", tmp_path / "no-model"), "model folder not found"),
        (("--model", untrained_model_dir, "--device", "cuda"), "no CUDA device"),
        (("--model", untrained_model_dir, "--target-class", "Levy"), "unknown target class"),
    ]:
        run = resandi("classify", csv_path, "--out", out, *args)
        if "cuda" in args and "CUDA device" not in run.stderr and run.returncode == 0:
            continue  # a machine with CUDA
        assert run.returncode == 1, run.stderr
        lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) == 1 and message in lines[0], run.stderr
        assert "Traceback" not in run.stderr
    assert (out / "results.csv").read_text() == "precious\n"
    assert sorted(p.name for p in out.iterdir()) == ["results.csv"]


def test_folder_input_and_models_listing(tmp_path, untrained_model_dir):
    folder = tmp_path / "condition_a"
    folder.mkdir()
    for seed in (5, 6):
        mixed_tracks_table(n_tracks=4, seed=seed, n_too_short=0, n_with_gaps=0, max_length=60).to_csv(
            folder / f"cell{seed}.csv", index=False
        )
    run = resandi("classify", folder, "--out", tmp_path / "out", "--model", untrained_model_dir, "--quiet")
    assert run.returncode == 0, run.stderr
    assert pd.read_csv(tmp_path / "out" / "results.csv").file.nunique() == 2
    listing = resandi("models", env={"RESANDI_MODELS_DIR": str(untrained_model_dir.parent)})
    assert listing.returncode == 0 and "untrained-seed0" in listing.stdout and "UNTRAINED" in listing.stdout


def test_write_failure_keeps_old_outputs_together(tmp_path, untrained_model_dir):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.csv").write_text("precious\n")
    (out / "gradcam.csv").mkdir()  # something in the way of the second file
    csv_path = tmp_path / "t.csv"
    mixed_tracks_table(n_tracks=5, seed=7, n_too_short=0, n_with_gaps=0, max_length=80).to_csv(csv_path, index=False)
    run = resandi("classify", csv_path, "--out", out, "--model", untrained_model_dir)
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(out) in errors[0] and "cannot write" in errors[0], run.stderr
    assert (out / "results.csv").read_text() == "precious\n"
    assert sorted(p.name for p in out.iterdir()) == ["gradcam.csv", "results.csv"]


@pytest.mark.parametrize("option", [("--batch-size", "0"), ("--window-stride", "1001"), ("--window-stride", "x")])
def test_numeric_options_are_checked(tmp_path, untrained_model_dir, option):
    run = resandi("classify", tmp_path / "t.csv", "--out", tmp_path / "out", "--model", untrained_model_dir, *option)
    assert run.returncode == 2 and option[0] in run.stderr and "Traceback" not in run.stderr


def test_target_class_and_relu_through_the_cli(tmp_path, untrained_model_dir):
    csv_path = tmp_path / "t.csv"
    mixed_tracks_table(n_tracks=6, seed=8, n_too_short=0, n_with_gaps=0, max_length=300).to_csv(csv_path, index=False)
    signed = resandi("classify", csv_path, "--out", tmp_path / "a", "--model", untrained_model_dir, "--target-class", "subattm")
    relu = resandi("classify", csv_path, "--out", tmp_path / "b", "--model", untrained_model_dir, "--target-class", "0", "--relu")
    assert signed.returncode == relu.returncode == 0, signed.stderr + relu.stderr
    a = pd.read_csv(tmp_path / "a" / "gradcam.csv").score
    b = pd.read_csv(tmp_path / "b" / "gradcam.csv").score
    assert (a < 0).any() and (b >= 0).all()
    pd.testing.assert_series_equal(b, a.clip(lower=0), rtol=1e-6)


DATA = __import__("pathlib").Path(__file__).parent / "data"
BULK_WATER = next(
    (p for p in (DATA.parent.parent.parent / "shared" / "data" / "bulk_water.tif",
                 __import__("pathlib").Path("/work/shared/data/bulk_water.tif")) if p.is_file()),
    DATA / "missing-bulk_water.tif",
)


def test_classify_trackmate_xml_carries_units_into_msd(tmp_path, untrained_model_dir):
    xml = DATA / "tracks" / "trackmate_session_micron.xml"
    run = resandi("classify", xml, "--out", tmp_path / "out", "--model", untrained_model_dir)
    assert run.returncode == 0, run.stderr
    assert "branching" in run.stderr  # the reader's summary is printed
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert {"alpha_msd", "D_msd", "msd_r2", "msd_n_lags", "D_msd_unit"} <= set(results.columns)
    assert (results["D_msd_unit"] == "µm^2/s^alpha").all()


def test_classify_a_folder_reads_every_format(tmp_path, untrained_model_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("trackmate_spots_v7.csv", "trackmate_export_tracks.xml", "andi_task1.txt"):
        (folder / name).write_bytes((DATA / "tracks" / name).read_bytes())
    run = resandi("classify", folder, "--out", tmp_path / "out", "--model", untrained_model_dir, "-q")
    assert run.returncode == 0, run.stderr
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert {pathlib_name(f) for f in results["file"]} == {"trackmate_spots_v7.csv", "trackmate_export_tracks.xml", "andi_task1.txt"}


def pathlib_name(path: str) -> str:
    return __import__("pathlib").Path(path).name


def test_column_mapping_option(tmp_path, untrained_model_dir):
    table = mixed_tracks_table(n_tracks=3, seed=5, n_too_short=0, n_with_gaps=0, max_length=60)
    custom = table.rename(columns={"track_id": "Cell", "frame": "Slice", "x": "PosA", "y": "PosB"})
    path = tmp_path / "custom.csv"
    custom.to_csv(path, index=False)
    run = resandi("classify", path, "--out", tmp_path / "out", "--model", untrained_model_dir, "-q")
    assert run.returncode == 1 and "missing column" in run.stderr
    run = resandi("classify", path, "--out", tmp_path / "out", "--model", untrained_model_dir, "-q",
                  "--column", "track_id=Cell", "--column", "frame=Slice", "--column", "x=PosA", "--column", "y=PosB")
    assert run.returncode == 0, run.stderr
    assert len(pd.read_csv(tmp_path / "out" / "results.csv")) == 3


def test_convert_round_trips_to_trackmate_csv(tmp_path):
    xml = DATA / "tracks" / "trackmate_session_micron.xml"
    run = resandi("convert", xml, "--out", tmp_path / "t.csv", "--to", "trackmate-csv", "-q")
    assert run.returncode == 0, run.stderr
    from resandi_core.io import read_tracks

    original, converted = read_tracks(xml), read_tracks(tmp_path / "t.csv")
    assert converted.position_unit == "µm" and converted.n_tracks == original.n_tracks
    assert len(converted.table) == len(original.table)


@pytest.mark.slow
@pytest.mark.skipif(not BULK_WATER.is_file(), reason="shared bulk_water.tif not present")
def test_classify_a_tiff_movie_end_to_end(tmp_path, untrained_model_dir):
    run = resandi("classify", BULK_WATER, "--out", tmp_path / "out", "--model", untrained_model_dir,
                  "--frames", "0:60", "--invert", "--diameter", 11, "--minmass", 20, "--search-range", 5,
                  "--min-length", 25, "--drift", "--pixel-size-um", 0.3509, "--frame-interval-s", 0.041667)
    assert run.returncode == 0, run.stderr
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert len(results) > 100 and (results["status"] == "ok").mean() > 0.9
    assert (results["D_msd_unit"] == "µm^2/s^alpha").all()
    # free beads in water: the MSD exponent of most tracks is near 1
    assert 0.7 < results["alpha_msd"].median() < 1.3
