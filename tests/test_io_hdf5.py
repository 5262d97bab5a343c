"""trackpy / pandas HDF5 tables, written by pandas and by trackpy's own stores."""

import numpy as np
import pandas as pd
import pytest
import tables
import trackpy

from resandi_core.errors import TrackFormatError
from resandi_core.io import read_tracks

STORES = [trackpy.PandasHDFStore, trackpy.PandasHDFStoreBig, trackpy.PandasHDFStoreSingleNode]


def linked_table():
    """Two tracks as trackpy.link returns them: rows frame by frame."""
    return pd.DataFrame(
        {
            "y": [5.0, 9.0, 5.5, 9.25, 6.0],
            "x": [1.0, 3.0, 1.5, 3.5, 2.0],
            "mass": [100.0, 120.0, 110.0, 125.0, 90.0],
            "frame": np.array([0, 0, 1, 1, 2], dtype=np.int64),
            "particle": np.array([0, 1, 0, 1, 0], dtype=np.int64),
        }
    )


def write_store(store_class, path, table, frame_order=None):
    """Write ``table`` frame by frame with a trackpy store, as ``trackpy.link`` users do."""
    parts = dict(list(table.groupby("frame")))
    with store_class(str(path)) as store:
        for frame in frame_order or sorted(parts):
            store.put(parts[frame])


def assert_linked(tracks):
    assert tracks.format == "hdf5"
    assert tracks.table[["track_id", "frame", "x", "y"]].values.tolist() == [
        [0, 0, 1.0, 5.0], [0, 1, 1.5, 5.5], [0, 2, 2.0, 6.0], [1, 0, 3.0, 9.0], [1, 1, 3.5, 9.25]
    ]
    assert tracks.table.mass.tolist() == [100.0, 110.0, 90.0, 120.0, 125.0]


def assert_one_line(excinfo, path):
    message = str(excinfo.value)
    assert "\n" not in message and message.startswith(f"{path}: ") and message.endswith(")")  # file, what, (fix)


@pytest.mark.parametrize("fmt", ["fixed", "table"])
def test_to_hdf(tmp_path, fmt):
    linked_table().to_hdf(tmp_path / "t.h5", key="tracks", format=fmt)
    assert_linked(read_tracks(tmp_path / "t.h5", pixel_size_um=0.2))


@pytest.mark.parametrize("store_class", STORES, ids=lambda c: c.__name__)
def test_trackpy_stores(tmp_path, store_class):
    write_store(store_class, tmp_path / "t.h5", linked_table())
    tracks = read_tracks(tmp_path / "t.h5")
    assert_linked(tracks)
    if store_class is not trackpy.PandasHDFStoreSingleNode:
        assert "read 3 per-frame tables (/Frame_0 ... /Frame_2)." in tracks.notes


def test_per_frame_tables_join_in_frame_order(tmp_path):
    table = pd.DataFrame({"frame": [10, 2, 0], "particle": [4, 4, 4], "x": [3.0, 2.0, 1.0], "y": [0.0, 0.0, 0.0]})
    write_store(trackpy.PandasHDFStoreBig, tmp_path / "t.h5", table, frame_order=[10, 2, 0])
    with pd.HDFStore(tmp_path / "t.h5", mode="r") as store:
        assert "/_Frames_Cache" in store.keys()
    tracks = read_tracks(tmp_path / "t.h5")
    assert tracks.table[["frame", "x"]].values.tolist() == [[0, 1.0], [2, 2.0], [10, 3.0]]
    assert "read 3 per-frame tables (/Frame_0 ... /Frame_10)." in tracks.notes
    # Rows are located in their frame's table.
    write_store(trackpy.PandasHDFStore, tmp_path / "bad.h5", linked_table().assign(x=["1", "3", "1.5", "oops", "2"]))
    with pytest.raises(TrackFormatError, match=r"'oops' in column 'x' at row 2 of /Frame_1"):
        read_tracks(tmp_path / "bad.h5")


def test_trackpy_tables_are_preferred_to_others(tmp_path):
    write_store(trackpy.PandasHDFStoreSingleNode, tmp_path / "t.h5", linked_table())
    linked_table().assign(particle=7).to_hdf(tmp_path / "t.h5", key="other")
    tracks = read_tracks(tmp_path / "t.h5")
    assert tracks.n_tracks == 2
    assert "read /FrameData; left aside /other (choose another with the key option)." in tracks.notes
    assert read_tracks(tmp_path / "t.h5", key="/other").table.track_id.unique().tolist() == [7]

    write_store(trackpy.PandasHDFStore, tmp_path / "frames.h5", linked_table())
    pd.DataFrame({"fps": [10.0]}).to_hdf(tmp_path / "frames.h5", key="meta")
    tracks = read_tracks(tmp_path / "frames.h5")
    assert tracks.n_detections == 5 and "read the per-frame tables; left aside /meta (choose another with the key option)." in tracks.notes


def test_several_tables_need_a_key(tmp_path):
    linked_table().to_hdf(tmp_path / "t.h5", key="a")
    linked_table().to_hdf(tmp_path / "t.h5", key="b")
    with pytest.raises(TrackFormatError, match=r"holds several tables: a, b \(choose one with the key option\)"):
        read_tracks(tmp_path / "t.h5")
    with pytest.raises(TrackFormatError, match="no table 'c' in the file; it has a, b"):
        read_tracks(tmp_path / "t.h5", key="c")


def test_column_mapping(tmp_path):
    pd.DataFrame({"traj": [1, 1, 2], "t_index": [0, 1, 0], "pos_x": [0.5, 0.75, 3.0], "pos_y": [1.5, 1.0, 2.0]}).to_hdf(
        tmp_path / "t.h5", key="experiment1"
    )
    tracks = read_tracks(tmp_path / "t.h5")
    assert tracks.table[["track_id", "frame", "x", "y"]].values.tolist() == [[1, 0, 0.5, 1.5], [1, 1, 0.75, 1.0], [2, 0, 3.0, 2.0]]
    assert read_tracks(tmp_path / "t.h5", columns={"track_id": "t_index", "frame": "traj"}).table.track_id.tolist() == [0, 0, 1]


def test_truncated_hdf5(tmp_path):
    linked_table().to_hdf(tmp_path / "t.h5", key="a")
    (tmp_path / "cut.h5").write_bytes((tmp_path / "t.h5").read_bytes()[:600])
    with pytest.raises(TrackFormatError, match=r"not a readable HDF5 file \(truncated or damaged\) \(copy or save") as excinfo:
        read_tracks(tmp_path / "cut.h5")
    assert_one_line(excinfo, tmp_path / "cut.h5")


def test_damaged_table(tmp_path):
    write_store(trackpy.PandasHDFStore, tmp_path / "t.h5", linked_table())
    with tables.open_file(tmp_path / "t.h5", "a") as handle:
        handle.remove_node("/Frame_1/table")
    with pytest.raises(TrackFormatError, match="cannot read /Frame_1 .*damaged") as excinfo:
        read_tracks(tmp_path / "t.h5")
    assert_one_line(excinfo, tmp_path / "t.h5")


def test_store_still_open_for_writing(tmp_path):
    with pd.HDFStore(tmp_path / "t.h5", mode="w") as store:
        store.put("tracks", linked_table())
        with pytest.raises(TrackFormatError, match=r"open for writing \(close it first") as excinfo:
            read_tracks(tmp_path / "t.h5")
    assert_one_line(excinfo, tmp_path / "t.h5")


def test_not_hdf5(tmp_path):
    (tmp_path / "t.h5").write_text("frame,particle,x,y\n0,0,1,2\n")
    with pytest.raises(TrackFormatError, match=r"not an HDF5 file \(") as excinfo:
        read_tracks(tmp_path / "t.h5", format="hdf5")
    assert_one_line(excinfo, tmp_path / "t.h5")


def test_hdf5_without_pandas_tables(tmp_path):
    with tables.open_file(tmp_path / "plain.h5", "w") as handle:  # as h5py or MATLAB write them
        group = handle.create_group("/", "experiment1")
        handle.create_array(group, "x", np.array([0.5, 0.75, 3.0]))
    with pytest.raises(TrackFormatError, match=r"holds no pandas table \(save the tracks with DataFrame.to_hdf") as excinfo:
        read_tracks(tmp_path / "plain.h5")
    assert_one_line(excinfo, tmp_path / "plain.h5")
