"""The `link` command, registered on a parser of our own, and `tracks_from_stack`."""

from __future__ import annotations

import argparse
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import tifffile
from test_linking import assert_tracks_follow, spots_movie

from resandi_core.cli import main
from resandi_core.cli.link import add_linking_options, params_from_args, register, tracks_from_stack
from resandi_core.io.csv_tracks import read_tracks_csv
from resandi_core.io.inputs import is_stack_path
from resandi_core.linking import LinkingParams

SPOT_OPTIONS = ["--diameter", "7", "--minmass", "300", "--search-range", "4", "--memory", "0", "--min-length", "10"]


@pytest.fixture(scope="module")
def movie(tmp_path_factory):
    frames, truth = spots_movie()
    path = tmp_path_factory.mktemp("cli") / "spots.ome.tif"
    tifffile.imwrite(path, frames, ome=True, metadata={"axes": "TYX", "PhysicalSizeX": 0.1, "TimeIncrement": 0.02})
    return path, truth


def test_link_writes_a_trackpy_csv(movie, tmp_path, capsys):
    path, truth = movie
    out = tmp_path / "tracks.csv"
    assert main(["link", str(path), "--out", str(out), *SPOT_OPTIONS, "--processes", "2"]) == 0
    table = pd.read_csv(out)
    assert list(table.columns[:4]) == ["frame", "particle", "x", "y"]
    assert {"mass", "size", "ecc", "signal", "raw_mass", "ep"} <= set(table.columns)
    assert_tracks_follow(table.rename(columns={"particle": "track_id"}), truth)
    assert read_tracks_csv(out).n_tracks == truth.spot.nunique()
    err = capsys.readouterr().err
    assert "6 kept with >= 10 detections" in err
    assert "pixel size 0.1 µm (from the file)" in err and "frame interval 0.02 s (from the file)" in err
    assert f"wrote {out}" in err


def test_out_folder_and_quiet(movie, tmp_path, capsys):
    path, _ = movie
    assert main(["link", str(path), "--out", str(tmp_path), "-q", *SPOT_OPTIONS, "--frames", "0:15", "--processes", "1"]) == 0
    written = tmp_path / "spots_tracks.csv"
    assert pd.read_csv(written).frame.max() == 14
    assert capsys.readouterr().err == ""


def test_errors_are_one_line_and_write_nothing(movie, tmp_path, capsys):
    path, _ = movie
    not_tiff = tmp_path / "notes.tif"
    not_tiff.write_text("hello")
    out = tmp_path / "tracks.csv"
    assert main(["link", str(not_tiff), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {not_tiff}: not a readable TIFF")
    assert main(["link", str(path), "--out", str(out), "--diameter", "8"]) == 1
    assert "diameter must be an odd" in capsys.readouterr().err
    assert main(["link", str(path), "--out", str(out), "--channel", "1"]) == 1
    assert "channel 1 does not exist" in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(SystemExit):
        main(["link", str(path), "--out", str(out), "--memory", "-1"])


def test_options_on_another_command(movie):
    """What `resandi classify STACK.tif` does: the same options, then tracks_from_stack."""
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("-q", "--quiet", action="store_true")
    add_linking_options(parser)
    path, truth = movie
    args = parser.parse_args([str(path), "-q", *SPOT_OPTIONS, "--drift", "--pixel-size-um", "0.2", "--processes", "1"])
    params = params_from_args(args)
    assert params == LinkingParams(diameter=7, minmass=300, search_range=4, memory=0, min_length=10, subtract_drift=True)
    tracks = tracks_from_stack(path, args)
    assert tracks.pixel_size_um == 0.2 and tracks.frame_interval_s == pytest.approx(0.02)
    assert {"x_raw", "y_raw"} <= set(tracks.table.columns)
    # A bare namespace: every option keeps its default.
    assert params_from_args(argparse.Namespace()) == LinkingParams()
    assert is_stack_path("a/B.OME.TIFF") and not is_stack_path("tracks.csv")


def test_register_adds_link_to_a_subparser_set():
    parser = argparse.ArgumentParser(prog="resandi")
    sub = parser.add_subparsers(dest="command")
    link = register(sub)
    args = parser.parse_args(["link", "m.tif", "--out", "t.csv", "--invert", "--frames", "3:9", "--z", "1"])
    assert args.func.__name__ == "_cmd_link" and args.invert and args.frames == "3:9" and args.z == 1
    assert "--search-range" in link.format_help()


def test_module_runs_as_a_script(movie, tmp_path):
    path, _ = movie
    out = tmp_path / "t.csv"
    run = subprocess.run(
        [sys.executable, "-m", "resandi_core.cli", "link", str(path), "--out", str(out), *SPOT_OPTIONS],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert np.isfinite(pd.read_csv(out)[["x", "y"]].to_numpy()).all()


def test_unwritable_output_is_refused_before_linking(movie, tmp_path, capsys):
    assert main(["link", str(movie), "--out", str(tmp_path / "no" / "such" / "folder" / "t.csv")]) == 1
    err = capsys.readouterr().err
    assert "output folder does not exist" in err
    assert "features" not in err  # refused before locating anything
