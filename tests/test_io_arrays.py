"""NumPy arrays and AnDi challenge text files."""

import csv
from pathlib import Path

import numpy as np
import pytest

from resandi_core.errors import TrackFormatError
from resandi_core.io import read_tracks

DATA = Path(__file__).parent / "data" / "tracks"
nan = np.nan


def tracks_array():
    """3 tracks x 6 frames: track 0 full, track 1 padded with NaN at both ends and one gap, track 2 empty."""
    array = np.full((3, 6, 2), nan)
    array[0] = np.arange(12).reshape(6, 2)
    array[1, 1:5] = [[10, 11], [12, 13], [nan, 15], [16, 17]]
    return array


def test_npy_padding_gaps_and_empty_tracks(tmp_path):
    np.save(tmp_path / "t.npy", tracks_array())
    tracks = read_tracks(tmp_path / "t.npy")
    table = tracks.table
    assert tracks.format == "numpy" and tracks.dropped == {"tracks with no point (all NaN)": 1}
    assert table.loc[table.track_id == 0, "frame"].tolist() == [0, 1, 2, 3, 4, 5]
    assert table.loc[table.track_id == 1, ["frame", "x", "y"]].values.tolist() == [[1, 10, 11], [2, 12, 13], [4, 16, 17]]
    assert any("1 missing (NaN) point(s) inside tracks" in n for n in tracks.notes)
    assert tracks.position_unit == "px" and any("pixels assumed" in n for n in tracks.notes)


def test_npz_named_array_and_single_track(tmp_path):
    np.savez(tmp_path / "t.npz", labels=np.arange(3), trajectories=tracks_array())
    tracks = read_tracks(tmp_path / "t.npz", position_unit="µm", pixel_size_um=0.1)
    assert tracks.n_tracks == 2 and tracks.position_unit == "µm" and tracks.pixel_size_um == 0.1
    assert "read array 'trajectories' of 2 (labels, trajectories)." in tracks.notes
    np.save(tmp_path / "one.npy", np.arange(20.0).reshape(10, 2))
    one = read_tracks(tmp_path / "one.npy")
    assert one.n_tracks == 1 and one.table.x.tolist() == list(range(0, 20, 2))
    np.save(tmp_path / "cf.npy", np.transpose(tracks_array(), (0, 2, 1)))
    assert read_tracks(tmp_path / "cf.npy").table.equals(read_tracks(tmp_path / "t.npz").table)


@pytest.mark.parametrize(
    "array, pattern",
    [
        (np.zeros((2, 5, 3)), r"shape \(2, 5, 3\), not \(tracks, frames, 2\)"),
        (np.array(["a", "b"]), "holds <U1 values, not numbers"),
        (np.full((2, 4, 2), nan), "every track is NaN"),
    ],
)
def test_broken_arrays(tmp_path, array, pattern):
    np.save(tmp_path / "t.npy", array)
    with pytest.raises(TrackFormatError, match=pattern):
        read_tracks(tmp_path / "t.npy")


def test_object_array_is_refused(tmp_path):
    np.save(tmp_path / "t.npy", np.array([np.zeros((3, 2)), np.zeros((4, 2))], dtype=object), allow_pickle=True)
    with pytest.raises(TrackFormatError, match="not a numeric NumPy array"):
        read_tracks(tmp_path / "t.npy")


def test_andi_task_file():
    tracks = read_tracks(DATA / "andi_task1.txt")
    assert tracks.format == "andi-txt"
    assert tracks.dropped == {"1-D trajectories": 1, "3-D trajectories": 1}
    assert tracks.table.groupby("track_id").size().to_dict() == {2: 12, 3: 15, 5: 10}  # id = line number
    with open(DATA / "andi_task1.txt") as handle:
        line2 = [float(v) for v in handle.read().splitlines()[1].split(";")]
    first = tracks.table[tracks.table.track_id == 2]
    assert first.x.tolist() == line2[1:13] and first.y.tolist() == line2[13:25]
    assert first.frame.tolist() == list(range(12))
    assert tracks.position_unit == "px" and "AnDi positions have no physical unit; they were taken as pixels." in tracks.notes


def test_andi_file_written_like_andi_datasets(tmp_path):
    # datasets_theory._save_row: csv.writer(delimiter=';') of np.append(dim, traj.reshape(dim, T).ravel())
    traj = np.vstack([np.linspace(0, 1, 20), np.linspace(5, 3, 20)])
    path = tmp_path / "task2.txt"
    with open(path, "w", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\n").writerow(np.append(2, traj.reshape(-1)))
    tracks = read_tracks(path)
    np.testing.assert_array_equal(tracks.table[["x", "y"]].to_numpy(), traj.T)


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("2;1;2;abc;4\n", "non-numeric value 'abc' at line 1"),
        ("4;1;2;3;4\n", "line 1 starts with 4, not a dimension"),
        ("2.0;1;2;3\n", "line 1 holds 3 value\\(s\\) after the dimension 2"),
        ("1.0;1;2;3\n3.0;1;2;3;4;5;6\n", r"no 2-D trajectory in the file \(1 of dimension 1, 1 of dimension 3\)"),
    ],
)
def test_broken_andi_files(tmp_path, text, pattern):
    path = tmp_path / "task.txt"
    path.write_text(text)
    with pytest.raises(TrackFormatError, match=pattern):
        read_tracks(path, format="andi")


def test_andi_reference_file_is_refused():
    with pytest.raises(TrackFormatError, match="reference \\(labels\\) file"):
        read_tracks(DATA / "andi_ref1.txt")


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_arrays_over_the_points_limit_are_refused_before_loading(tmp_path, monkeypatch, suffix):
    from resandi_core.errors import TrackFormatError
    from resandi_core.io import read_tracks

    monkeypatch.setenv("RESANDI_MAX_POINTS", "1000")
    path = tmp_path / f"big{suffix}"
    array = np.zeros((10, 200, 2))  # 2,000 points
    np.save(path, array) if suffix == ".npy" else np.savez_compressed(path, tracks=array)
    with pytest.raises(TrackFormatError, match="2,000 points, more than the limit of 1,000") as error:
        read_tracks(path)
    assert "RESANDI_MAX_POINTS" in str(error.value)


def test_a_damaged_npz_member_is_a_clear_error(tmp_path):
    from resandi_core.errors import TrackFormatError
    from resandi_core.io import read_tracks

    path = tmp_path / "damaged.npz"
    rng = np.random.default_rng(0)
    np.savez_compressed(path, tracks=np.cumsum(rng.normal(size=(5, 100, 2)), axis=1))
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # zeros over the compressed stream
    path.write_bytes(bytes(data))
    with pytest.raises(TrackFormatError) as error:
        read_tracks(path)
    assert str(path) in str(error.value)
