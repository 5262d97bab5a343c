"""trackpy / pandas HDF5 track tables (``.h5``, ``.hdf5``).

trackpy saves linked tracks with :meth:`pandas.DataFrame.to_hdf` or its
``PandasHDFStore`` (one table ``/FrameData``, or one table per frame
``/Frame_0``, ``/Frame_1``...). Reading them through pandas needs the PyTables
package (``pip install tables``), which ResAnDi does not require. Without it,
the layouts whose column names are plain HDF5 structure are read with h5py:

- pandas "fixed" format (``to_hdf`` default): ``axis0`` (column names),
  ``block<i>_items`` and numeric ``block<i>_values``;
- pandas "table" format written with ``data_columns=True`` (trackpy's
  ``PandasHDFStoreBig``): a compound ``table`` dataset with one field per column;
- plain HDF5: a group holding equal-length 1-D datasets named like columns.

Anything else (text columns, tables without data columns) asks for PyTables.
The table's columns are then matched like any table (:mod:`.columns`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TrackFormatError
from ..tracks import Tracks
from .assemble import ReadOptions, Report
from .tables import tracks_from_table

FORMAT_NAME = "hdf5"
#: trackpy's PandasHDFStore keys: one table per frame.
_FRAME_KEY = re.compile(r"^/?Frame_(\d+)$")
#: trackpy's PandasHDFStoreBig / SingleNode key.
TRACKPY_KEY = "FrameData"
PYTABLES_HINT = "install PyTables (pip install tables) to read this HDF5 file, or save the tracks as CSV"


class _NeedsPyTables(Exception):
    """The h5py fallback cannot read this layout."""


def _pick_key(keys: list[str], wanted: str | None, source: str) -> list[str]:
    """The key(s) to read: the one asked for, the only one, trackpy's, or all per-frame keys."""
    clean = {k.strip("/"): k for k in keys}
    if wanted is not None:
        if wanted.strip("/") not in clean:
            raise TrackFormatError(
                f"no table {wanted!r} in the file; it has {', '.join(sorted(clean)) or 'none'}",
                where=source,
                hint="give one of those keys",
            )
        return [clean[wanted.strip("/")]]
    if len(keys) == 1:
        return keys
    if TRACKPY_KEY in clean:
        return [clean[TRACKPY_KEY]]
    frames = [k for k in keys if _FRAME_KEY.match(k.strip("/"))]
    if frames and len(frames) == len(keys):
        return sorted(frames, key=lambda k: int(_FRAME_KEY.match(k.strip("/")).group(1)))
    if not keys:
        raise TrackFormatError("the HDF5 file holds no table", where=source, hint="save the tracks with DataFrame.to_hdf")
    raise TrackFormatError(
        f"the HDF5 file holds several tables: {', '.join(sorted(clean))}",
        where=source,
        hint="choose one with the key option",
    )


class _NoPandasTables(Exception):
    """The file holds no pandas table (plain HDF5)."""


def _read_with_pandas(path: Path, key: str | None, source: str) -> tuple[pd.DataFrame, list[str]]:
    with pd.HDFStore(path, mode="r") as store:
        if not store.keys():
            raise _NoPandasTables
        keys = _pick_key(list(store.keys()), key, source)
        parts = [store.get(k) for k in keys]
    return (parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)), keys


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _h5py_tables(handle) -> dict[str, object]:
    """Every group that holds a readable table, by key: pandas nodes and plain column groups."""
    import h5py

    found: dict[str, object] = {}

    def visit(name: str, node) -> None:
        if isinstance(node, h5py.Group):
            if "pandas_type" in node.attrs or ("table" in node and "axis0" not in node) or "axis0" in node:
                found["/" + name] = node
            elif any(isinstance(v, h5py.Dataset) and v.ndim == 1 for v in node.values()):
                found["/" + name] = node

    visit("", handle)
    handle.visititems(visit)
    # A plain group counts only if none of its parents is a pandas node.
    return {k: v for k, v in found.items() if not any(k.startswith(p + "/") and p != "/" for p in found)}


def _frame_from_group(group, key: str) -> pd.DataFrame:
    import h5py

    pandas_type = _text(group.attrs.get("pandas_type", b""))
    if pandas_type == "frame" or "axis0" in group:
        columns = [_text(c) for c in group["axis0"][()]]
        n_rows = len(group["axis1"])
        data = {}
        for i in range(int(group.attrs.get("nblocks", sum(1 for k in group if k.endswith("_items"))))):
            items = [_text(c) for c in group[f"block{i}_items"][()]]
            node = group[f"block{i}_values"]
            if not isinstance(node, h5py.Dataset) or node.dtype.kind not in "biuf":
                raise _NeedsPyTables(f"{key} has non-numeric columns {', '.join(items)}")
            values = node[()]
            # pandas stores blocks transposed (rows first) and says so in an
            # attribute; the shape decides when the attribute is missing.
            transposed = node.attrs.get("transposed")
            if transposed is None:
                transposed = values.shape == (n_rows, len(items))
            values = values if bool(transposed) else values.T
            data.update({name: values[:, j] for j, name in enumerate(items)})
        return pd.DataFrame({c: data[c] for c in columns if c in data})
    if "table" in group and isinstance(group["table"], h5py.Dataset) and group["table"].dtype.names:
        records = group["table"][()]
        names = [n for n in records.dtype.names if n != "index"]
        blocks = [n for n in names if re.fullmatch(r"values_block_\d+", n)]
        if blocks:
            raise _NeedsPyTables(f"{key} is a pandas table without data columns")
        return pd.DataFrame({n: records[n] for n in names})
    columns = {name: node[()] for name, node in group.items() if isinstance(node, h5py.Dataset) and node.ndim == 1}
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise TrackFormatError(
            f"the datasets in {key} have different lengths", where=None, hint="store one table per group"
        )
    return pd.DataFrame({k: (np.char.decode(v, "utf-8") if v.dtype.kind == "S" else v) for k, v in columns.items()})


def _read_with_h5py(path: Path, key: str | None, source: str) -> tuple[pd.DataFrame, list[str]]:
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise TrackFormatError(f"not a readable HDF5 file ({exc})", where=source, hint="save the tracks again") from None
    with handle:
        groups = _h5py_tables(handle)
        keys = _pick_key(list(groups), key, source)
        try:
            parts = [_frame_from_group(groups[k], k) for k in keys]
        except _NeedsPyTables as exc:
            raise TrackFormatError(
                f"this HDF5 layout needs PyTables, which is not installed ({exc})", where=source, hint=PYTABLES_HINT
            ) from None
    return (parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)), keys


def read_hdf5(path: Path, options: ReadOptions) -> Tracks:
    """Read a trackpy / pandas HDF5 table (see the module's docstring)."""
    source = str(path)
    report = Report()
    try:
        import tables  # noqa: F401  (PyTables: pandas needs it for HDF5)
    except ImportError:
        table, keys = _read_with_h5py(path, options.key, source)
    else:
        try:
            table, keys = _read_with_pandas(path, options.key, source)
        except _NoPandasTables:  # plain HDF5: h5py reads it
            table, keys = _read_with_h5py(path, options.key, source)
        except TrackFormatError:
            raise
        except Exception as exc:  # PyTables and pandas raise many types for damaged files
            raise TrackFormatError(
                f"not a readable HDF5 table ({type(exc).__name__}: {exc})", where=source, hint="save the tracks again"
            ) from None
    if len(keys) > 1:
        report.note(f"read {len(keys)} per-frame tables ({keys[0]} ... {keys[-1]}).")
    table = table.reset_index(drop=True)
    return tracks_from_table(table, source, FORMAT_NAME, options, report, lambda row: f"row {row + 1} of {keys[0]}")
