"""Run a core job generator in a child process, as a generator of the same events.

Threads share Python's lock (the GIL), and some of training's steps hold it for
100-200 ms at a time (writing a 130 MB checkpoint, loading the data set), which
stalls the window that long. In a child process they cannot. The parent side is
an ordinary generator, so :class:`~resandi_gui.workers.JobRunner` drives it like
any other job: events arrive as they are yielded in the child, the child's
return value is returned, its error is raised here with its message intact, and
closing the generator (Cancel) asks the child to close *its* generator, so
training saves its checkpoint exactly as after Ctrl-C in the CLI. Qt-free.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import queue as queue_module
import time
import traceback
from collections.abc import Generator
from typing import Any

from resandi_core.errors import ResandiError

log = logging.getLogger(__name__)

#: How often the parent checks that the child is still alive, in s.
POLL_S = 0.2
#: Longest wait for a cancelled child to save and stop, in s, before it is terminated.
STOP_LIMIT_S = 60.0


class BackgroundProcessError(ResandiError):
    """The child process stopped without a result (killed, out of memory)."""


class BackgroundCrash(RuntimeError):
    """An unexpected error (a bug) in the child; ``details`` holds its traceback."""


def _child(target: str, args: tuple, kwargs: dict, events, cancel) -> None:
    """Body of the child: run ``target(*args, **kwargs)`` and report over ``events``."""
    module_name, _, function_name = target.rpartition(".")
    try:
        job = getattr(importlib.import_module(module_name), function_name)(*args, **kwargs)
        try:
            while True:
                if cancel.is_set():
                    job.close()  # the job keeps what it must (a checkpoint)
                    events.put(("cancelled", None))
                    return
                try:
                    event = next(job)
                except StopIteration as stop:
                    events.put(("done", stop.value))
                    return
                events.put(("event", event))
        finally:
            job.close()
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        events.put(("error", (isinstance(exc, ResandiError), f"{type(exc).__name__}: {exc}", str(exc), details)))


def run_in_process(target: str, *args: Any, **kwargs: Any) -> Generator[Any, None, Any]:
    """Run the job generator ``target`` (``"package.module.function"``) in a child.

    Arguments, events and the result must pickle. A ``ResandiError`` in the child
    is raised here as a ``ResandiError`` with the same message (the user's hint
    intact); any other error as one whose message names it, with the child's
    traceback attached as ``details``.
    """
    context = multiprocessing.get_context("spawn")  # fork would copy Qt's threads
    events = context.Queue()
    cancel = context.Event()
    child = context.Process(target=_child, args=(target, args, kwargs, events, cancel), daemon=True)
    child.start()
    try:
        while True:
            try:
                kind, payload = events.get(timeout=POLL_S)
            except queue_module.Empty:
                if not child.is_alive():
                    raise BackgroundProcessError(
                        f"the background process stopped unexpectedly (exit code {child.exitcode})",
                        hint="it may have run out of memory; try a smaller batch size",
                    ) from None
                continue
            if kind == "event":
                yield payload
            elif kind == "done":
                return payload
            elif kind == "cancelled":
                return None
            else:
                expected, headline, message, details = payload
                error = ResandiError(message) if expected else BackgroundCrash(f"{headline} (in the background process)")
                error.details = details  # the child's traceback, for the error dialog
                raise error
    finally:
        if child.is_alive():
            cancel.set()  # closed early (Cancel): let the child close its job and save
            _drain_until_exit(child, events)
        child.join()


def _drain_until_exit(child, events, limit_s: float = STOP_LIMIT_S) -> None:
    """Wait for a cancelled child, emptying the queue so its writes never block it;
    terminate it if it has not stopped within ``limit_s`` in all."""
    deadline = time.monotonic() + limit_s
    while child.is_alive() and time.monotonic() < deadline:
        try:
            kind, _ = events.get(timeout=POLL_S)
        except queue_module.Empty:
            continue
        if kind in ("cancelled", "done", "error"):
            break
    child.join(timeout=max(0.0, deadline - time.monotonic()))
    if child.is_alive():
        log.warning("background process did not stop within %.0f s; terminating it", limit_s)
        child.terminate()
