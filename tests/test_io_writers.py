"""Writers: trackpy CSV and TrackMate spot table, round trips through the readers, atomic writes."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from resandi_core.errors import OutputError
from resandi_core.io import read_tracks, write_tracks_trackmate_csv, write_tracks_trackpy_csv
from resandi_core.tracks import Tracks

DATA = Path(__file__).parent / "data" / "tracks"


def sample_tracks(**units) -> Tracks:
    rng = np.random.default_rng(1)
    table = pd.DataFrame(
        {
            "track_id": np.repeat([3, 8], [12, 10]),
            "frame": np.concatenate([np.arange(12), np.arange(5, 15)]),
            "x": rng.normal(50, 3, 22),
            "y": rng.normal(40, 3, 22),
            "mass": rng.uniform(100, 200, 22),
        }
    )
    return Tracks(table=table, source="sample", **units)


def test_trackpy_csv_round_trip_and_trackpy_reads_it(tmp_path):
    tracks = sample_tracks(position_unit="px", pixel_size_um=0.16, frame_interval_s=0.05)
    path = write_tracks_trackpy_csv(tracks, tmp_path / "out" / "tracks.csv")
    raw = pd.read_csv(path)
    assert list(raw.columns) == ["frame", "particle", "x", "y", "mass"]
    back = read_tracks(path)
    # Full precision; table readers keep the file's column order.
    pd.testing.assert_frame_equal(back.table[tracks.table.columns], tracks.table)
    import trackpy

    msd = trackpy.imsd(raw, mpp=0.16, fps=20, max_lagtime=5)
    assert list(msd.columns) == [3, 8] and msd.shape == (5, 2)
    assert np.isclose(msd.index[0], 0.05)
    first = raw[raw.particle == 3]
    expected = ((np.diff(first.x) ** 2 + np.diff(first.y) ** 2) * 0.16**2).mean()
    assert msd[3].iloc[0] == pytest.approx(expected)


def test_trackpy_csv_unit_conversion(tmp_path):
    tracks = sample_tracks(position_unit="µm", pixel_size_um=0.25)
    write_tracks_trackpy_csv(tracks, tmp_path / "px.csv", position_unit="px")
    raw = pd.read_csv(tmp_path / "px.csv")
    np.testing.assert_allclose(raw.x, tracks.table.x / 0.25)
    with pytest.raises(OutputError, match="pixel size is unknown"):
        write_tracks_trackpy_csv(sample_tracks(position_unit="µm"), tmp_path / "x.csv", position_unit="px")


def test_trackmate_csv_round_trip(tmp_path):
    tracks = sample_tracks(position_unit="µm", frame_interval_s=0.05)
    path = write_tracks_trackmate_csv(tracks, tmp_path / "spots.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "LABEL,ID,TRACK_ID,POSITION_X,POSITION_Y,POSITION_Z,POSITION_T,FRAME,mass"
    assert lines[1] == "Label,Spot ID,Track ID,X,Y,Z,T,Frame,mass"
    assert lines[3] == ",,,(micron),(micron),(micron),(sec),,"
    assert lines[4].startswith("ID0,0,3,")
    back = read_tracks(path)
    assert back.format == "trackmate-csv" and back.position_unit == "µm"
    assert back.frame_interval_s == pytest.approx(0.05)
    for column in ("track_id", "frame", "x", "y", "mass"):
        np.testing.assert_array_equal(back.table[column].to_numpy(), tracks.table[column].to_numpy())
    np.testing.assert_allclose(back.table.t, tracks.table.frame * 0.05)


def test_trackmate_csv_round_trip_of_a_trackmate_session(tmp_path):
    tracks = read_tracks(DATA / "trackmate_session_micron.xml")
    back = read_tracks(write_tracks_trackmate_csv(tracks, tmp_path / "spots.csv"))
    assert back.table.spot_id.tolist() == tracks.table.spot_id.tolist()
    for column in ("track_id", "frame", "x", "y", "t", "trackmate_track_id"):
        np.testing.assert_array_equal(back.table[column].to_numpy(), tracks.table[column].to_numpy())
    assert (back.position_unit, back.frame_interval_s) == ("µm", pytest.approx(0.05))


def test_trackmate_csv_without_time_and_with_text_ids(tmp_path):
    tracks = sample_tracks()
    tracks.table["track_id"] = np.where(tracks.table.track_id == 3, "cell-a", "cell-b")
    path = write_tracks_trackmate_csv(tracks, tmp_path / "spots.csv")
    assert path.read_text().splitlines()[3] == ",,,(pixel),(pixel),(pixel),(frame),,,"
    back = read_tracks(path)
    assert back.table.track_id.unique().tolist() == [0, 1]
    assert back.table.RESANDI_TRACK_ID.unique().tolist() == ["cell-a", "cell-b"]
    assert back.position_unit == "px" and back.frame_interval_s is None and "t" not in back.table.columns


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "tracks.csv"
    path.write_text("precious\n")

    def full_disk(self, handle, **kwargs):
        handle.write("frame,particle\n0,")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    for writer in (write_tracks_trackpy_csv, write_tracks_trackmate_csv):
        with pytest.raises(OutputError, match="No space left on device"):
            writer(sample_tracks(), path)
        assert path.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tracks.csv"]


def test_writing_over_a_folder_fails_cleanly(tmp_path):
    (tmp_path / "tracks.csv").mkdir()
    with pytest.raises(OutputError, match="cannot write the tracks"):
        write_tracks_trackpy_csv(sample_tracks(), tmp_path / "tracks.csv")


def test_results_of_a_file_whose_name_is_not_utf8_are_written(tmp_path, untrained_model):
    import os

    import pandas as pd
    from factories import mixed_tracks_table

    from resandi_core.batch import FileRequest, iter_classify_files, write_results
    from resandi_core.progress import run_job

    name = os.fsdecode(b"cell_\xe9t\xe9.csv")  # Latin-1 bytes in a name: not valid UTF-8
    path = tmp_path / name
    mixed_tracks_table(n_tracks=3, seed=2, n_too_short=0, n_with_gaps=0, max_length=40).to_csv(path, index=False)
    (outcome,) = run_job(iter_classify_files([FileRequest(path)], untrained_model, device="cpu"))
    assert outcome.failure is None
    write_results([outcome.result], tmp_path / "out")
    results = pd.read_csv(tmp_path / "out" / "results.csv", encoding="utf-8")
    assert results["file"].iloc[0].endswith("cell_\\xe9t\\xe9.csv") and len(results) == 3
