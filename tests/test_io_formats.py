"""Format detection, the format list, read_tracks' arguments and the Tracks summary."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from resandi_core.errors import ResandiError, TrackFormatError
from resandi_core.io import detect_format, list_formats, read_tracks, read_tracks_csv
from resandi_core.tracks import Tracks

DATA = Path(__file__).parent / "data" / "tracks"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("trackpy_linked.csv", "table"),
        ("european_excel.csv", "table"),
        ("unrelated_columns.csv", "table"),
        ("trackmate_spots_v7.csv", "trackmate-csv"),
        ("trackmate_spots_v3.csv", "trackmate-csv"),
        ("trackmate_edges.csv", "trackmate-csv"),
        ("trackmate_session_micron.xml", "trackmate-xml"),
        ("trackmate_export_tracks.xml", "trackmate-xml"),
        ("andi_task1.txt", "andi-txt"),
        ("andi_ref1.txt", "andi-txt"),
    ],
)
def test_detect_text_formats(name, expected):
    assert detect_format(DATA / name) == expected


def test_detect_binary_formats_by_content_not_name(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((1, 3, 2)))
    (tmp_path / "a.npy").rename(tmp_path / "renamed.dat")
    assert detect_format(tmp_path / "renamed.dat") == "numpy"
    np.savez(tmp_path / "b.npz", tracks=np.zeros((1, 3, 2)))
    assert detect_format(tmp_path / "b.npz") == "numpy"
    import h5py

    with h5py.File(tmp_path / "c.data", "w") as handle:
        handle["x"] = np.zeros(3)
    assert detect_format(tmp_path / "c.data") == "hdf5"
    import openpyxl

    openpyxl.Workbook().save(tmp_path / "d.xlsx")
    assert detect_format(tmp_path / "d.xlsx") == "table"
    # A CSV named .txt is a table, an AnDi file named .csv is AnDi.
    (tmp_path / "e.txt").write_text("particle,frame,x,y\n1,0,0,0\n")
    assert detect_format(tmp_path / "e.txt") == "table"
    (tmp_path / "f.csv").write_text("2.0;0.1;0.2;0.3;0.4\n")
    assert detect_format(tmp_path / "f.csv") == "andi-txt"


@pytest.mark.parametrize(
    "content, pattern",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), r"an old-style Office file \(.xls\); save it as .xlsx or CSV"),
        (b"%PDF-1.7\n", "a PDF document"),
        (b"\x1f\x8b\x08\x00" + bytes(20), "a gzip archive; unpack it first"),
        (b"PK\x03\x04" + bytes(30), "a damaged zip file"),
    ],
)
def test_detect_refuses_non_track_files(tmp_path, content, pattern):
    path = tmp_path / "tracks.csv"
    path.write_bytes(content)
    with pytest.raises(TrackFormatError, match=pattern):
        detect_format(path)


def test_zip_that_is_not_xlsx_or_npz(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "t.zip", "w") as archive:
        archive.writestr("tracks.csv", "track_id,frame,x,y\n")
    with pytest.raises(TrackFormatError, match="unpack it and open the tracks file inside"):
        read_tracks(tmp_path / "t.zip")


def test_list_formats_for_help_texts():
    formats = {f.name: f for f in list_formats()}
    assert list(formats) == ["table", "trackmate-csv", "trackmate-xml", "hdf5", "andi-txt", "numpy"]
    assert ".xlsx" in formats["table"].extensions and formats["hdf5"].extensions == (".h5", ".hdf5")
    assert all(f.description for f in formats.values())


def test_explicit_format_and_aliases(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("2;0;1;2;0;1;2\n")
    assert read_tracks(path, format="andi").format == "andi-txt"
    # Forced to read as a plain table, TrackMate's extra header rows are an error that says where.
    with pytest.raises(TrackFormatError, match="non-numeric value 'X' in column 'POSITION_X' at line 2"):
        read_tracks(DATA / "trackmate_spots_v7.csv", format="csv")
    assert read_tracks(DATA / "trackmate_spots_v3.csv", format="csv").table.track_id.unique().tolist() == [0]
    with pytest.raises(TrackFormatError, match="unknown format 'matlab'"):
        read_tracks(path, format="matlab")
    image = tmp_path / "i.csv"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(30))
    with pytest.raises(TrackFormatError, match="PNG image"):
        read_tracks(image, format="table")


def test_mapping_is_refused_for_formats_without_columns():
    with pytest.raises(ResandiError, match="a column mapping applies to tables, not to the trackmate-xml format"):
        read_tracks(DATA / "trackmate_export_tracks.xml", columns={"x": "X"})


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(TrackFormatError, match="file not found"):
        read_tracks(tmp_path / "nope.csv")
    with pytest.raises(TrackFormatError, match="this is a folder"):
        read_tracks(tmp_path)


def test_read_tracks_csv_is_an_alias():
    assert read_tracks_csv(DATA / "trackpy_linked.csv", frame_interval_s=0.1).table.equals(
        read_tracks(DATA / "trackpy_linked.csv").table
    )


def test_summary_paragraph():
    tracks = read_tracks(DATA / "trackmate_spots_v7.csv")
    assert tracks.summary() == (
        f"{DATA / 'trackmate_spots_v7.csv'} (trackmate-csv): 2 tracks, 22 detections in frames 0-14; "
        "positions in µm; pixel size unknown; frame interval 0.05 s. Dropped: spots without track: 3. "
        "Changed: tracks put in frame order: 1. Note: the rows of 1 track(s) were not in frame order; they were sorted by frame."
    )


def test_tracks_built_in_code_keep_working():
    table = pd.DataFrame({"track_id": [1], "frame": [0], "x": [0.0], "y": [0.0]})
    tracks = Tracks(table=table, source="s", position_unit="um", pixel_size_um=0.1, frame_interval_s=0.02)
    assert tracks.position_unit == "µm" and tracks.notes == [] and tracks.dropped == {} and tracks.format == ""
    assert tracks.summary() == "s: 1 track, 1 detection in frames 0-0; positions in µm; pixel size 0.1 µm; frame interval 0.02 s."
    with pytest.raises(ValueError, match="position_unit"):
        Tracks(table=table, source="s", position_unit="inch")
    with pytest.raises(ValueError, match="lacks columns"):
        Tracks(table=table.drop(columns="frame"), source="s")


def test_io_does_not_import_qt_or_heavy_modules():
    code = (
        "import sys, resandi_core.io as io; io.read_tracks(sys.argv[1]); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'torch', 'trackpy', 'h5py', 'openpyxl')]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(DATA / "trackpy_linked.csv")], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_named_pipe_is_refused_by_name_without_blocking(tmp_path):
    import os

    from resandi_core.errors import ResandiError
    from resandi_core.io import read_tracks
    from resandi_core.io.stacks import StackReader

    fifo = tmp_path / "tracks.csv"
    os.mkfifo(fifo)  # opening it for reading would wait forever for a writer
    with pytest.raises(ResandiError, match="not a regular file") as error:
        read_tracks(fifo)
    assert str(fifo) in str(error.value)
    movie = tmp_path / "movie.tif"
    os.mkfifo(movie)
    with pytest.raises(ResandiError, match="not a regular file"):
        StackReader(movie)
