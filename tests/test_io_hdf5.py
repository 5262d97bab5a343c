"""trackpy / pandas HDF5 tables.

pandas reads HDF5 through PyTables (``tables``), which ResAnDi does not require.
The h5py fallback reads the layouts whose column names are plain HDF5 structure;
its tests build those layouts as pandas/io/pytables.py writes them and hide
PyTables, so they run the same with and without it.
"""

import sys

import h5py
import numpy as np
import pandas as pd
import pytest

from resandi_core.errors import TrackFormatError
from resandi_core.io import read_tracks


@pytest.fixture
def no_pytables(monkeypatch):
    monkeypatch.setitem(sys.modules, "tables", None)  # `import tables` raises ImportError


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


def write_fixed(path, key, table):
    """``table.to_hdf(path, key)`` (fixed format): axis0 names, one block per dtype, stored transposed."""
    with h5py.File(path, "a") as handle:
        group = handle.create_group(key)
        group.attrs.update(pandas_type=np.bytes_("frame"), pandas_version=np.bytes_("0.15.2"), ndim=2, nblocks=2)
        group.create_dataset("axis0", data=np.array(table.columns.tolist(), dtype="S"))
        group.create_dataset("axis1", data=np.arange(len(table)))
        for i, kind in enumerate("fi"):
            items = [c for c in table.columns if table[c].dtype.kind == kind]
            group.create_dataset(f"block{i}_items", data=np.array(items, dtype="S"))
            group.create_dataset(f"block{i}_values", data=table[items].to_numpy()).attrs["transposed"] = True


def write_table(path, key, table, data_columns=True):
    """``HDFStore.append(key, table, data_columns=True)`` (trackpy's PandasHDFStoreBig): one field per column."""
    fields = [("index", "<i8")]
    if data_columns:
        fields += [(c, table[c].dtype.str) for c in table.columns]
    else:
        fields += [("values_block_0", "<f8", (table.shape[1],))]
    records = np.zeros(len(table), dtype=fields)
    records["index"] = np.arange(len(table))
    if data_columns:
        for column in table.columns:
            records[column] = table[column].to_numpy()
    else:
        records["values_block_0"] = table.to_numpy(dtype=np.float64)
    with h5py.File(path, "a") as handle:
        group = handle.create_group(key)
        group.attrs.update(pandas_type=np.bytes_("frame_table"), table_type=np.bytes_("appendable_frame"))
        group.create_dataset("table", data=records)


def test_fixed_format_without_pytables(tmp_path, no_pytables):
    write_fixed(tmp_path / "t.h5", "tracks", linked_table())
    tracks = read_tracks(tmp_path / "t.h5")
    assert tracks.format == "hdf5"
    assert tracks.table[["track_id", "frame", "x", "y"]].values.tolist() == [
        [0, 0, 1.0, 5.0], [0, 1, 1.5, 5.5], [0, 2, 2.0, 6.0], [1, 0, 3.0, 9.0], [1, 1, 3.5, 9.25]
    ]
    assert tracks.table.mass.tolist() == [100.0, 110.0, 90.0, 120.0, 125.0]


def test_trackpy_big_store_key_is_preferred(tmp_path, no_pytables):
    write_table(tmp_path / "t.h5", "FrameData", linked_table())
    write_fixed(tmp_path / "t.h5", "other", linked_table().assign(particle=7))
    tracks = read_tracks(tmp_path / "t.h5", pixel_size_um=0.2)
    assert tracks.n_tracks == 2 and tracks.pixel_size_um == 0.2
    assert read_tracks(tmp_path / "t.h5", key="/other").table.track_id.unique().tolist() == [7]


def test_per_frame_tables_are_joined(tmp_path, no_pytables):
    table = linked_table()
    for frame, part in table.groupby("frame"):
        write_table(tmp_path / "t.h5", f"Frame_{frame}", part.reset_index(drop=True))
    tracks = read_tracks(tmp_path / "t.h5")
    assert tracks.n_detections == 5 and "read 3 per-frame tables (/Frame_0 ... /Frame_2)." in tracks.notes


def test_plain_hdf5_columns_and_mapping(tmp_path, no_pytables):
    with h5py.File(tmp_path / "plain.h5", "w") as handle:
        group = handle.create_group("experiment1")
        group["traj"] = np.array([1, 1, 2])
        group["t_index"] = np.array([0, 1, 0])
        group["pos_x"] = np.array([0.5, 0.75, 3.0])
        group["pos_y"] = np.array([1.5, 1.0, 2.0])
    tracks = read_tracks(tmp_path / "plain.h5")
    assert tracks.table[["track_id", "frame", "x", "y"]].values.tolist() == [[1, 0, 0.5, 1.5], [1, 1, 0.75, 1.0], [2, 0, 3.0, 2.0]]
    mapped = read_tracks(tmp_path / "plain.h5", columns={"track_id": "t_index", "frame": "traj"})
    assert mapped.table.track_id.tolist() == [0, 0, 1]


def test_layout_that_needs_pytables_says_what_to_install(tmp_path, no_pytables):
    write_table(tmp_path / "t.h5", "Frame_0", linked_table(), data_columns=False)
    with pytest.raises(TrackFormatError, match=r"needs PyTables.*pip install tables"):
        read_tracks(tmp_path / "t.h5")


def test_several_tables_need_a_key(tmp_path, no_pytables):
    write_fixed(tmp_path / "t.h5", "a", linked_table())
    write_fixed(tmp_path / "t.h5", "b", linked_table())
    with pytest.raises(TrackFormatError, match="holds several tables: a, b"):
        read_tracks(tmp_path / "t.h5")
    with pytest.raises(TrackFormatError, match="no table 'c' in the file; it has a, b"):
        read_tracks(tmp_path / "t.h5", key="c")


def test_truncated_hdf5(tmp_path):
    write_fixed(tmp_path / "t.h5", "a", linked_table())
    data = (tmp_path / "t.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[:600])
    with pytest.raises(TrackFormatError, match="not a readable HDF5 file|damaged"):
        read_tracks(tmp_path / "cut.h5")


def test_with_pytables_through_pandas(tmp_path):
    pytest.importorskip("tables")
    linked_table().to_hdf(tmp_path / "fixed.h5", key="tracks")
    assert read_tracks(tmp_path / "fixed.h5").n_tracks == 2
    import trackpy

    with trackpy.PandasHDFStoreBig(str(tmp_path / "big.h5")) as store:
        for _, part in linked_table().groupby("frame"):
            store.put(part)
    assert read_tracks(tmp_path / "big.h5").n_detections == 5
