"""Writing files so that a crash or a full disk never leaves a half-written file.

Everything ResAnDi writes goes to a temporary file in the destination's folder and
is renamed over the destination only once complete (``os.replace`` is atomic on
one file system), so an existing good file survives any failure. A run that is
killed (``kill -9``, power loss) cannot remove its temporary files; their names
carry the writer's process id, and the next write into that folder removes those
whose process is gone (:func:`remove_stale_temporaries`). Files that belong
together (results.csv, gradcam.csv, windows.csv) change together even across a
kill: before renaming, the writer records the complete temporaries in a journal
(``.resandi-journal.<pid>.json``); a writer killed between two renames leaves the
journal, and the next write into that folder finishes the renames (roll forward).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

# mkstemp creates files readable by the owner only; give written files the
# permissions an ordinary ``open`` would (0o666 less the umask).
_UMASK = os.umask(0)
os.umask(_UMASK)


#: Temporary names: ``.<final name>.<pid>.<random>.part``.
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[^.]+\.part$")


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process (or unknowable): leave its file
    return True


#: Journal of a group of renames: ``.resandi-journal.<pid>.json``.
_JOURNAL = re.compile(r"^\.resandi-journal\.(\d+)\.json$")


def _finish_journals(folder: str | os.PathLike) -> None:
    """Complete the renames of writers killed half-way through a group (their temporaries are complete)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            found = _JOURNAL.match(entry.name)
            if not found or _process_alive(int(found.group(1))):
                continue
            with contextlib.suppress(OSError, ValueError):
                for tmp, final in json.loads(Path(entry.path).read_text(encoding="utf-8")):
                    if os.path.exists(tmp):
                        os.replace(tmp, final)
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Finish killed writers' groups of renames, then delete the temporary files they left; returns those."""
    _finish_journals(folder)
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            found = _TEMPORARY.match(entry.name)
            if found and entry.is_file(follow_symlinks=False) and not _process_alive(int(found.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_writes(paths: Sequence[str | os.PathLike]) -> Iterator[list[Path]]:
    """Temporary paths for several files that belong together.

    The block writes each temporary path; only when all are written are they
    renamed into place, so a failure while writing leaves every old file as it
    was (results.csv never disagrees with gradcam.csv).
    """
    finals = [Path(p) for p in paths]
    temps: list[Path] = []
    journal: Path | None = None
    try:
        for folder in {final.parent for final in finals}:
            if folder.is_dir():
                remove_stale_temporaries(folder)
        for final in finals:
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.is_dir():
                raise IsADirectoryError(f"{final} is a folder")
            fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.{os.getpid()}.", suffix=".part", dir=final.parent)
            os.close(fd)
            temps.append(Path(tmp_name))
        yield list(temps)
        for tmp, final in zip(temps, finals):
            os.chmod(tmp, final.stat().st_mode & 0o7777 if final.exists() else 0o666 & ~_UMASK)
        if len(finals) > 1:  # a group: record it, so that a kill between renames is finished later
            journal = finals[0].parent / f".resandi-journal.{os.getpid()}.json"
            journal.write_text(json.dumps([[str(t), str(f)] for t, f in zip(temps, finals)]), encoding="utf-8")
        for tmp, final in zip(temps, finals):
            os.replace(tmp, final)
        if journal is not None:
            journal.unlink()
    except BaseException:
        for tmp in [*temps, *([journal] if journal is not None else [])]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, binary: bool = False, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; on success rename it to ``path``.

    If the block raises, the temporary file is removed and ``path`` is untouched.
    The handle's ``name`` is the temporary path, for writers that need a path.
    """
    with atomic_writes([path]) as (tmp,):
        mode = "wb" if binary else "w"
        with open(tmp, mode, **({} if binary else {"encoding": encoding, "newline": ""})) as handle:
            yield handle
