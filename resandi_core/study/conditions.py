"""Which condition each input file belongs to: from its folder, or from a mapping table.

A lab keeps one folder per condition (``control/``, ``drug/``, ``knock-down/``)
with dozens of track files or movies inside. ``resandi batch EXPERIMENT/`` takes
the first sub-folder level below each folder given as the condition
(``--condition-depth 2`` takes two levels, ``control/day1``); a file directly
inside a folder given belongs to that folder's own name, so ``resandi batch
control/ drug/`` works as well. A CSV mapping (``file,condition``) overrides it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ResandiError
from ..io.inputs import expand_inputs

#: Condition of files that a mapping table does not name.
UNMAPPED = "unmapped"


@dataclass(frozen=True)
class StudyFile:
    """One input file and its condition."""

    path: Path
    condition: str


def _folder_condition(folder: Path, path: Path, depth: int) -> str:
    """The first ``depth`` folder levels of ``path`` below ``folder``; ``folder``'s name when fewer."""
    parts = path.relative_to(folder).parts[:-1]
    if depth == 0 or not parts:
        return folder.resolve().name or str(folder)
    return "/".join(parts[:depth])


def read_condition_map(csv_path: str | os.PathLike) -> dict[str, str]:
    """``file -> condition`` from a CSV with the columns ``file`` and ``condition``.

    ``file`` may be a file name, a path relative to the folder of the CSV, or an
    absolute path; it is matched in that order of preference by :func:`assign_conditions`.

    Raises
    ------
    ResandiError
        When the table cannot be read or lacks a column, naming the file.
    """
    import pandas as pd

    path = Path(csv_path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ResandiError(f"cannot read the condition table ({exc})", where=str(path),
                           hint="give a CSV with the columns file,condition") from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in ("file", "condition") if c not in table.columns]
    if missing:
        raise ResandiError(f"the condition table lacks the column(s) {', '.join(missing)}", where=str(path),
                           hint="its first row must read: file,condition")
    mapping = {}
    for row, (name, condition) in enumerate(zip(table["file"], table["condition"]), start=2):
        name, condition = name.strip(), condition.strip()
        if not name or not condition:
            raise ResandiError("a row has an empty file or condition", where=f"{path}, row {row}",
                               hint="fill in both cells or delete the row")
        mapping[name] = condition
    return mapping


def _mapped_condition(path: Path, folder: Path | None, mapping: dict[str, str], map_folder: Path) -> str:
    candidates = [str(path.resolve())]
    for base in (map_folder, folder):
        if base is not None:
            try:
                candidates.append(path.resolve().relative_to(base.resolve()).as_posix())
            except ValueError:
                pass
    candidates.append(path.name)
    for key in candidates:
        if key in mapping:
            return mapping[key]
    return UNMAPPED


def assign_conditions(
    paths: Sequence[str | os.PathLike],
    depth: int = 1,
    condition_map: str | os.PathLike | None = None,
) -> list[StudyFile]:
    """Every input file under ``paths`` with its condition, in a stable order.

    Parameters
    ----------
    paths : sequence of path
        Folders (searched recursively for track files and TIFF movies) or files.
    depth : int
        Folder levels below each folder given that name the condition (0: the
        folder given is the condition). A file given directly belongs to its
        parent folder's name.
    condition_map : path, optional
        CSV ``file,condition`` (see :func:`read_condition_map`); files it does not
        name belong to :data:`UNMAPPED`.

    Raises
    ------
    ResandiError
        A path that does not exist, a folder without inputs, or a bad mapping.
    """
    if depth < 0:
        raise ResandiError(f"--condition-depth must be 0 or more, not {depth}")
    mapping = read_condition_map(condition_map) if condition_map is not None else None
    map_folder = Path(condition_map).parent if condition_map is not None else Path.cwd()
    files: list[StudyFile] = []
    seen: set[Path] = set()
    for raw in paths:
        given = Path(raw)
        if not given.exists():
            raise ResandiError("no such file or folder", where=str(given), hint="check the path")
        folder = given if given.is_dir() else None
        for path in expand_inputs([given]):
            key = path.resolve()
            if key in seen:  # a folder and a file inside it both given
                continue
            seen.add(key)
            if mapping is not None:
                condition = _mapped_condition(path, folder, mapping, map_folder)
            elif folder is not None:
                condition = _folder_condition(folder, path, depth)
            else:
                condition = path.resolve().parent.name
            files.append(StudyFile(path, condition))
    return files
