"""The tables of a batch: one file's, for the cache, and the whole folder's, gathered at the end."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..atomic import atomic_writes
from ..errors import OutputError
from .conditions import StudyFile
from .layout import (
    EMSD_FILE,
    ERRORS_FILE,
    GRADCAM_FILE,
    RESULTS_FILE,
    RUN_FILE,
    SUMMARY_FILE,
    TRACKS_FILE,
    WINDOWS_FILE,
)
from .summary import pool_emsd, summarise

if TYPE_CHECKING:
    from ..classify import ClassificationResult
    from ..tracks import Tracks

#: Longest lag of the ensemble MSD, in frames: beyond it few tracks have pairs.
EMSD_MAX_LAG = 100


def file_tables(item: StudyFile, tracks: Tracks, result: ClassificationResult) -> dict[str, pd.DataFrame]:
    """The five tables one classified file contributes (see :data:`.cache.TABLES`)."""
    from ..msd import emsd

    columns = ["track_id", "frame", "x", "y"] + (["t"] if tracks.has_time else [])
    positions = tracks.table[columns].assign(position_unit=tracks.position_unit)
    ensemble = emsd(tracks, EMSD_MAX_LAG)
    msd_table = pd.DataFrame({
        "lag_frames": ensemble["lag_frames"].to_numpy(), "lag_time": ensemble.index.to_numpy(),
        "time_unit": ensemble.attrs.get("time_unit", "frame"), "msd": ensemble["msd"].to_numpy(),
        "msd_unit": ensemble.attrs.get("msd_unit", "px^2"), "n_pairs": ensemble["n_pairs"].to_numpy(),
        "n_tracks": ensemble["n_tracks"].to_numpy(),
    })
    return {"results.csv": result.tracks, "gradcam.csv": result.gradcam, "windows.csv": result.windows,
            "tracks.csv": positions, "emsd.csv": msd_table}


def _labelled(table: pd.DataFrame, item: StudyFile, with_condition: bool) -> pd.DataFrame:
    """``table`` with this file's name (and condition, second) as its first columns."""
    rest = table.drop(columns=[c for c in ("file", "condition") if c in table.columns])
    front = {"file": str(item.path), **({"condition": item.condition} if with_condition else {})}
    return pd.concat([pd.DataFrame(front, index=rest.index), rest], axis=1)


def gather(done: Sequence[tuple[StudyFile, dict[str, pd.DataFrame]]], name: str, with_condition: bool) -> pd.DataFrame:
    """One table of every finished file, labelled with its file (and condition)."""
    parts = [_labelled(tables[name], item, with_condition) for item, tables in done]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def write_outputs(
    out_dir: Path, done: Sequence[tuple[StudyFile, dict[str, pd.DataFrame]]], errors: pd.DataFrame,
    manifest: dict[str, Any],
) -> list[Path]:
    """Write every output table and run.json into ``out_dir``, all renamed into place together.

    ``done`` pairs each finished file with its tables (:func:`file_tables`).

    Raises
    ------
    OutputError
        When the folder cannot be written; the files there stay as they were.
    """
    from ..io.results import FLOAT_FORMAT, printable_name

    results = gather(done, "results.csv", True)
    tables = {
        RESULTS_FILE: results,
        GRADCAM_FILE: gather(done, "gradcam.csv", False),
        WINDOWS_FILE: gather(done, "windows.csv", True),
        TRACKS_FILE: gather(done, "tracks.csv", True),
        SUMMARY_FILE: summarise(results) if not results.empty else summarise(pd.DataFrame(
            columns=["file", "condition", "status", "predicted_class", "uncertain"])),
        EMSD_FILE: pool_emsd(gather(done, "emsd.csv", True)),
        ERRORS_FILE: errors,
    }
    finals = [out_dir / name for name in tables] + [out_dir / RUN_FILE]
    try:
        with atomic_writes(finals) as temps:
            for (name, table), tmp in zip(tables.items(), temps):
                if "file" in table.columns and not table.empty:
                    table = table.assign(file=table["file"].map(printable_name))
                table.to_csv(tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
            Path(temps[-1]).write_text(json.dumps(manifest, indent=1, default=str, ensure_ascii=False),
                                       encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write the results ({exc.strerror or exc}); existing files were left as they were",
                          where=str(out_dir), hint="choose a folder you can write to, with free space") from None
    return finals
