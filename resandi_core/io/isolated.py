"""Read a track file in a child process, so that no file can crash, hang or exhaust the caller.

Readers rest on C libraries (PyTables/HDF5, lxml, zlib, openpyxl's XML) that a
damaged file can crash (a segmentation fault kills the process, and with it a
whole batch or the app), and a pathological file can make any parser run for
hours or take all memory. :func:`read_tracks_isolated` runs
:func:`~resandi_core.io.read_tracks` in a child with a time budget
(``RESANDI_READ_TIMEOUT_S``, default 600 s) and a memory budget on top of what
the child starts with (``RESANDI_READ_MEMORY_GB``, default 8 GB), and turns a
crash, a timeout or an exhausted budget into a :class:`TrackFormatError` that
names the file and what to do. The child is forked (instant; on Linux from a
clean fork server when the caller runs other threads, as the app does).
"""

from __future__ import annotations

import os
import signal
import traceback
from pathlib import Path
from typing import Any

from ..errors import ResandiError, TrackFormatError
from ..limits import READ_MEMORY_ENV, READ_TIMEOUT_ENV, read_memory_gb, read_timeout_s
from ..processes import child_context
from ..tracks import Tracks


def _limit_memory(extra_bytes: int) -> None:
    """Cap this process's address space at its current size plus ``extra_bytes`` (Linux, macOS)."""
    try:
        import resource

        with open("/proc/self/statm") as handle:  # current virtual size, pages
            current = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (current + extra_bytes, current + extra_bytes))
    except (ImportError, OSError, ValueError):
        pass  # no /proc or no rlimits: the time budget still holds


def _child(connection, path: str, options: dict[str, Any], memory_bytes: int) -> None:
    """Body of the child: read, send ``("ok", tracks)``, ``("error", (message, where, hint))`` or ``("crash", traceback)``."""
    import faulthandler

    faulthandler.disable()  # a crash here is reported by the parent, once, as the file's error
    _limit_memory(memory_bytes)
    try:
        from . import read_tracks

        connection.send(("ok", read_tracks(path, **options)))
    except ResandiError as exc:
        connection.send(("error", (exc.message, exc.where, exc.hint)))  # kept apart: errors.csv has a column each
    except MemoryError:
        connection.send(("memory", ""))
    except BaseException:  # noqa: BLE001 - reported to the parent, which decides
        connection.send(("crash", traceback.format_exc()))
    finally:
        connection.close()


def read_tracks_isolated(path: str | os.PathLike, *, timeout_s: float | None = None,
                         memory_gb: float | None = None, **options: Any) -> Tracks:
    """:func:`~resandi_core.io.read_tracks` in a child process with a time and memory budget.

    Parameters
    ----------
    path : path
    timeout_s : float, optional
        Seconds before the read is stopped; default ``RESANDI_READ_TIMEOUT_S`` or 600.
    memory_gb : float, optional
        Memory the read may add, GB; default ``RESANDI_READ_MEMORY_GB`` or 8.
    **options
        Keyword options of :func:`~resandi_core.io.read_tracks`.

    Raises
    ------
    TrackFormatError
        The reader's own errors, and a crash, a timeout or an exhausted memory budget.
    RuntimeError
        A bug in a reader (its traceback in the message), as ``read_tracks`` would raise.
    """
    source = str(Path(path))
    timeout_s = timeout_s or read_timeout_s()
    memory_gb = memory_gb or read_memory_gb()
    context = child_context(["resandi_core.io"])
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, source, options, int(memory_gb * 2**30)), daemon=True)
    child.start()
    sender.close()
    try:
        if receiver.poll(timeout_s):
            try:
                kind, payload = receiver.recv()
            except EOFError:  # died while sending (or before): a crash
                kind, payload = "died", None
        else:
            kind, payload = ("died", None) if not child.is_alive() else ("timeout", None)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if kind == "ok":
        return payload
    if kind == "error":
        message, where, hint = payload
        raise TrackFormatError(message, where=where or source, hint=hint)
    if kind == "memory":
        raise TrackFormatError(f"reading needs more than the memory budget of {memory_gb:g} GB", where=source,
                               hint=f"split the file, or raise the budget with {READ_MEMORY_ENV}=GB")
    if kind == "timeout":
        raise TrackFormatError(f"reading took longer than {timeout_s:g} s and was stopped", where=source,
                               hint=f"check the file; a larger one needs {READ_TIMEOUT_ENV}=SECONDS")
    if kind == "crash":
        raise RuntimeError(f"reading {source} failed:\n{payload}")
    code = child.exitcode
    try:
        how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
    except ValueError:
        how = f"signal {-code}"
    raise TrackFormatError(f"reading the file crashed the reader ({how}); the file is probably damaged",
                           where=source, hint="export or copy the file again")
