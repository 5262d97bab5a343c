import pytest

from resandi_core.errors import TrackFormatError
from resandi_core.io.csv_tracks import read_tracks_csv


def write(tmp_path, text, name="tracks.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_trackpy_particle_column_and_case(tmp_path):
    path = write(tmp_path, "Frame,X,Y,particle,mass\n0,1.5,2.5,3,10\n1,1.6,2.4,3,11\n")
    tracks = read_tracks_csv(path, pixel_size_um=0.35)
    assert list(tracks.table.columns[:5]) == ["frame", "x", "y", "track_id", "mass"]
    assert tracks.table.frame.dtype.kind == "i" and tracks.n_tracks == 1
    assert tracks.pixel_size_um == 0.35 and tracks.frame_interval_s is None


def test_tab_separated(tmp_path):
    tracks = read_tracks_csv(write(tmp_path, "track_id\tframe\tx\ty\n1\t0\t0.5\t0.5\n"))
    assert tracks.table.x.iloc[0] == 0.5


def test_missing_columns_named(tmp_path):
    path = write(tmp_path, "id,t,x,y\n1,0,0,0\n")
    with pytest.raises(TrackFormatError) as info:
        read_tracks_csv(path)
    message = str(info.value)
    assert str(path) in message and "track_id" in message and "found id, t, x, y" in message


def test_non_numeric_cell_names_the_line(tmp_path):
    path = write(tmp_path, "track_id,frame,x,y\n1,0,0.1,0.2\n1,1,abc,0.3\n")
    with pytest.raises(TrackFormatError, match=r"'abc' in column 'x' at line 3"):
        read_tracks_csv(path)


def test_nan_cells_are_kept_for_the_classifier(tmp_path):
    tracks = read_tracks_csv(write(tmp_path, "track_id,frame,x,y\n1,0,,0.2\n1,1,NaN,0.3\n"))
    assert tracks.table.x.isna().all()


@pytest.mark.parametrize(
    "text, pattern",
    [("", "empty"), ("track_id,frame,x,y\n", "no rows"), ("track_id,frame,x,y\n1,0.5,0,0\n", "whole numbers")],
)
def test_broken_files(tmp_path, text, pattern):
    with pytest.raises(TrackFormatError, match=pattern):
        read_tracks_csv(write(tmp_path, text))


def test_rows_without_track_id(tmp_path):
    path = write(tmp_path, "track_id,frame,x,y\n5,0,0,0\n,1,0,0\n,2,0,0\n")
    with pytest.raises(TrackFormatError, match="2 row\\(s\\) have no track_id, the first at line 3"):
        read_tracks_csv(path)


def test_missing_file(tmp_path):
    with pytest.raises(TrackFormatError, match="not found"):
        read_tracks_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize("first_id", ["18446744073709551615", "28446744073709551615", "9.3e18"])
def test_track_ids_beyond_int64_are_an_error_naming_the_column(tmp_path, first_id):
    from resandi_core.errors import TrackFormatError
    from resandi_core.io import read_tracks

    path = tmp_path / "big_ids.csv"
    rows = [f"{tid},{frame},{frame * 0.1},{frame * 0.2}" for tid in (first_id, "18446744073709551614", "7")
            for frame in range(12)]
    path.write_text("particle,frame,x,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(TrackFormatError, match="'particle'.*64-bit") as error:
        read_tracks(path)
    assert str(path) in str(error.value)


def test_track_ids_up_to_int64_stay_exact(tmp_path):
    from resandi_core.io import read_tracks

    path = tmp_path / "ids.csv"
    ids = [2**63 - 1, 2**63 - 2, 2**53 + 1]
    path.write_text("particle,frame,x,y\n" + "\n".join(
        f"{tid},{frame},{frame * 0.1},{frame}" for tid in ids for frame in range(12)) + "\n")
    assert sorted(read_tracks(path).table["track_id"].unique().tolist()) == sorted(ids)
