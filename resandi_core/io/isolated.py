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
clean fork server when the caller runs other threads, as the app does);
:class:`IsolatedReader` keeps one child for many files (a batch).
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


def _serve(connection, memory_bytes: int) -> None:
    """Body of the child: read each ``(path, options)`` received until ``None``; answer each.

    Answers are ``("ok", tracks)``, ``("error", (message, where, hint))``,
    ``("memory", "")`` (then the child ends: its heap may be in a poor state) or
    ``("crash", traceback)``.
    """
    import faulthandler

    faulthandler.disable()  # a crash here is reported by the parent, once, as the file's error
    _limit_memory(memory_bytes)
    from . import read_tracks

    try:
        while (request := connection.recv()) is not None:
            path, options = request
            try:
                connection.send(("ok", read_tracks(path, **options)))
            except ResandiError as exc:
                connection.send(("error", (exc.message, exc.where, exc.hint)))  # kept apart: errors.csv has a column each
            except MemoryError:
                connection.send(("memory", ""))
                return
            except BaseException:  # noqa: BLE001 - reported to the parent, which decides
                connection.send(("crash", traceback.format_exc()))
    except (EOFError, OSError, KeyboardInterrupt):
        pass  # the parent went away or was interrupted
    finally:
        connection.close()


class IsolatedReader:
    """A child process that reads track files one after another, each with a time and memory budget.

    Starting a child costs 0.05-0.5 s; a batch of hundreds of small files would
    spend more on that than on reading, so one child serves them all. A file that
    crashes it, outlasts the time budget or exhausts the memory budget costs only
    itself: the child is stopped and the next file gets a fresh one.

    Parameters
    ----------
    timeout_s : float, optional
        Seconds each read may take; default ``RESANDI_READ_TIMEOUT_S`` or 600.
    memory_gb : float, optional
        Memory a read may add, GB; default ``RESANDI_READ_MEMORY_GB`` or 8.

    Examples
    --------
    >>> with IsolatedReader() as reader:  # doctest: +SKIP
    ...     tracks = [reader.read(path) for path in paths]
    """

    def __init__(self, timeout_s: float | None = None, memory_gb: float | None = None) -> None:
        self.timeout_s = timeout_s or read_timeout_s()
        self.memory_gb = memory_gb or read_memory_gb()
        self._child = None
        self._connection = None

    def __enter__(self) -> IsolatedReader:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self) -> None:
        context = child_context(["resandi_core.io"])
        self._connection, theirs = context.Pipe(duplex=True)
        self._child = context.Process(target=_serve, args=(theirs, int(self.memory_gb * 2**30)), daemon=True)
        self._child.start()
        theirs.close()

    def close(self) -> None:
        """Stop the child (politely, then by force)."""
        child, connection = self._child, self._connection
        self._child = self._connection = None
        if child is None:
            return
        try:
            connection.send(None)
        except (OSError, ValueError):
            pass
        connection.close()
        child.join(2)
        if child.is_alive():
            child.kill()
            child.join(5)

    def read(self, path: str | os.PathLike, **options: Any) -> Tracks:
        """:func:`~resandi_core.io.read_tracks` of ``path`` in the child; raises as :func:`read_tracks_isolated`."""
        source = str(Path(path))
        if self._child is None or not self._child.is_alive():
            self.close()
            self._start()
        try:
            self._connection.send((source, options))
            if self._connection.poll(self.timeout_s):
                kind, payload = self._connection.recv()
            else:
                kind, payload = ("died", None) if not self._child.is_alive() else ("timeout", None)
        except (EOFError, OSError):  # died while reading or sending: a crash
            kind, payload = "died", None
        if kind in ("ok", "error", "crash"):
            return self._answer(kind, payload, source)
        child = self._child
        if child.is_alive():
            child.kill()
        child.join(5)
        code = child.exitcode
        self.close()
        return self._answer(kind, code, source)

    def _answer(self, kind: str, payload: Any, source: str) -> Tracks:
        if kind == "ok":
            return payload
        if kind == "error":
            message, where, hint = payload
            raise TrackFormatError(message, where=where or source, hint=hint)
        if kind == "memory":
            raise TrackFormatError(f"reading needs more than the memory budget of {self.memory_gb:g} GB",
                                   where=source, hint=f"split the file, or raise the budget with {READ_MEMORY_ENV}=GB")
        if kind == "timeout":
            raise TrackFormatError(f"reading took longer than {self.timeout_s:g} s and was stopped", where=source,
                                   hint=f"check the file; a larger one needs {READ_TIMEOUT_ENV}=SECONDS")
        if kind == "crash":
            raise RuntimeError(f"reading {source} failed:\n{payload}")
        code = payload
        try:
            how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
        except ValueError:
            how = f"signal {-code}"
        raise TrackFormatError(f"reading the file crashed the reader ({how}); the file is probably damaged",
                               where=source, hint="export or copy the file again")


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
    with IsolatedReader(timeout_s, memory_gb) as reader:
        return reader.read(path, **options)
