"""Finished files of a batch, kept so that an interrupted or repeated batch skips them.

Each finished file leaves a folder ``.resandi-cache/<key>/`` in the output folder
with its tables; ``<key>`` hashes the file's content and everything that changes
its answer (model weights, reading, linking and classifying options), so a file
that was edited, or a run with other options, is classified again. The folder is
complete or absent: its tables are written first and ``done.json`` last, by
rename.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..atomic import atomic_write, atomic_writes
from .layout import CACHE_FOLDER

#: The tables kept per file (file name -> role).
TABLES = ("results.csv", "gradcam.csv", "windows.csv", "tracks.csv", "emsd.csv")
DONE_FILE = "done.json"
_CHUNK = 1 << 20


def content_hash(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes (hex), read in 1 MiB pieces so a large movie costs no memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_key(content_sha256: str, options: dict[str, Any]) -> str:
    """The cache key of one file: its content and the options that change its answer (32 hex)."""
    text = json.dumps(options, sort_keys=True, default=str)
    return hashlib.sha256(f"{content_sha256}\n{text}".encode()).hexdigest()[:32]


@dataclass
class CachedFile:
    """The tables of one finished file, and what it was.

    Attributes
    ----------
    tables : dict of str to DataFrame
        :data:`TABLES` by file name.
    meta : dict
        ``done.json``: the source path, its condition, n_tracks, units, notes.
    """

    tables: dict[str, pd.DataFrame]
    meta: dict[str, Any]


class FileCache:
    """The ``.resandi-cache`` folder of one batch output folder."""

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.root = Path(out_dir) / CACHE_FOLDER

    def folder(self, key: str) -> Path:
        return self.root / key

    def has(self, key: str) -> bool:
        return (self.folder(key) / DONE_FILE).is_file()

    def load(self, key: str) -> CachedFile:
        """The tables of a finished file; raises OSError or ValueError when the folder is damaged."""
        folder = self.folder(key)
        meta = json.loads((folder / DONE_FILE).read_text(encoding="utf-8"))
        # Track ids and file names stay as written (a track id "007" is not the number 7).
        tables = {name: pd.read_csv(folder / name, dtype={"file": str, "condition": str, "track_id": str},
                                    keep_default_na=True) for name in TABLES}
        return CachedFile(tables, meta)

    def store(self, key: str, tables: dict[str, pd.DataFrame], meta: dict[str, Any]) -> None:
        """Keep a finished file: its tables, then ``done.json`` (so a half-written folder never counts)."""
        from ..io.results import FLOAT_FORMAT

        folder = self.folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        done = folder / DONE_FILE
        done.unlink(missing_ok=True)
        with atomic_writes([folder / name for name in TABLES]) as temps:
            for name, tmp in zip(TABLES, temps):
                tables[name].to_csv(tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        with atomic_write(done) as handle:
            handle.write(json.dumps(meta, indent=1, default=str))
