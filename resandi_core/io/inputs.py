"""Which files are inputs: track files and TIFF movies, by name, and folders expanded.

``resandi classify``, ``resandi batch`` and the desktop app's Open and drag and
drop all take the same files from a folder, decided here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import ResandiError
from .detect import list_formats

#: File name suffixes taken for movies rather than track tables.
STACK_SUFFIXES = (".tif", ".tiff", ".ome.tif", ".ome.tiff", ".btf", ".tf8")


def is_stack_path(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a TIFF movie (by its suffix)."""
    return str(path).lower().endswith(STACK_SUFFIXES)


def input_suffixes() -> tuple[str, ...]:
    """File name endings taken from a folder: every track format's and TIFF movies'."""
    return tuple(sorted({ext for info in list_formats() for ext in info.extensions} | set(STACK_SUFFIXES)))


def expand_inputs(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Files as given; folders expand to the track files and TIFF movies inside (sorted, recursive).

    Raises
    ------
    ResandiError
        For a folder without any such file, naming the endings that are read.
    """
    suffixes = input_suffixes()
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes))
            if not found:
                raise ResandiError(
                    "no track files or TIFF movies in this folder", where=str(path),
                    hint="files ending " + ", ".join(suffixes) + " are read",
                )
            files.extend(found)
        else:
            files.append(path)
    return files
