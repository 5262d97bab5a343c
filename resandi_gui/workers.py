"""Run the core's long jobs off the UI thread.

Every long job in :mod:`resandi_core` is a generator that yields progress events
and returns its result. :class:`JobRunner` drives one such generator in a
``QThread``: events arrive on :attr:`JobRunner.progress` (throttled so a fast job
cannot flood the event loop), the result on :attr:`JobRunner.finished`, an error
on :attr:`JobRunner.failed` and a cancel on :attr:`JobRunner.cancelled`.
Cancelling closes the generator between two events, so the job cleans up the
way it does after Ctrl-C in the CLI (training keeps its checkpoint).

``RESANDI_GUI_SYNC=1`` runs jobs on the calling thread instead, for debugging a
job under a debugger (stardist-napari's NOTHREADS switch).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from resandi_core.errors import Failure, describe_failure

log = logging.getLogger(__name__)

SYNC_ENV = "RESANDI_GUI_SYNC"
#: Least time between two progress signals, in s (the last event is always sent).
PROGRESS_INTERVAL_S = 0.05

JobFactory = Callable[[], Generator[Any, None, Any]]


class _Worker(QObject):
    """Lives in the job's thread; runs the generator and reports back by signals."""

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()

    def __init__(self, factory: JobFactory, cancel_flag: threading.Event) -> None:
        super().__init__()
        self._factory = factory
        self._cancel = cancel_flag

    @Slot()
    def run(self) -> None:
        try:
            outcome, value = run_generator(self._factory, self._cancel, self.progress.emit)
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the UI as one signal
            log.exception("job failed")
            self.failed.emit(describe_failure(exc))
            return
        finally:
            # End this thread's event loop now: the runner's own quit() comes by a queued
            # call, which a UI thread blocked in wait() (closing the app) would never run.
            QThread.currentThread().quit()
        if outcome == "cancelled":
            self.cancelled.emit()
        else:
            self.finished.emit(value)


def run_generator(
    factory: JobFactory, cancel: threading.Event, emit: Callable[[Any], None]
) -> tuple[str, Any]:
    """Drive a job to its end; returns ``("finished", result)`` or ``("cancelled", None)``.

    The generator is built inside this call (so heavy imports happen on the
    worker thread) and always closed. Progress events are passed to ``emit`` at
    most every :data:`PROGRESS_INTERVAL_S`, and the last one always.
    """
    job = factory()
    last_sent = 0.0
    pending = None
    try:
        while True:
            if cancel.is_set():
                return "cancelled", None
            try:
                event = next(job)
            except StopIteration as stop:
                if pending is not None:
                    emit(pending)
                return "finished", stop.value
            now = time.monotonic()
            if now - last_sent >= PROGRESS_INTERVAL_S or _is_milestone(event):
                emit(event)
                last_sent, pending = now, None
            else:
                pending = event
    finally:
        job.close()


def _is_milestone(event: Any) -> bool:
    """Events the UI must see even when throttling: the start, the end and epoch ends."""
    if getattr(event, "event", None) in ("epoch", "augment", "done"):
        return True
    done, total = getattr(event, "done", None), getattr(event, "total", None)
    return done == 0 or (done is not None and done == total)


class JobRunner(QObject):
    """Runs at most one job at a time in a background thread.

    Signals
    -------
    started(str)
        The job's title, when it starts.
    progress(object)
        A progress event of the job (``Progress``, ``LinkProgress``, ``TrainProgress``).
    finished(object)
        The generator's return value.
    failed(Failure)
    cancelled()
    stopped()
        After any of the three above; the runner is free again.
    busy_changed(bool)
        True when a job starts, False when it stops: panels disable the controls
        that would start a conflicting job.
    idle()
        No job runs and none is queued (see :meth:`enqueue`).

    A job's own ``on_finished``/``on_cancelled`` callbacks (given to :meth:`start`)
    run before the signals, so a result lands on the object it came from (the
    callback closes over it) whatever the user selected meanwhile.
    """

    started = Signal(str)
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    stopped = Signal()
    busy_changed = Signal(bool)
    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._cancel = threading.Event()
        self.title = ""
        self._on_finished_cb: Callable[[Any], None] | None = None
        self._queue: list[tuple[str, JobFactory, Callable[[Any], None] | None]] = []
        self._on_cancelled_cb: Callable[[], None] | None = None

    @property
    def busy(self) -> bool:
        """True while a job runs."""
        return self._thread is not None

    def start(
        self,
        title: str,
        factory: JobFactory,
        on_finished: Callable[[Any], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
    ) -> None:
        """Start ``factory()``'s generator; ``title`` names it in the progress bar.

        ``on_finished(result)`` and ``on_cancelled()`` are called for this job only.
        Failures go to the :attr:`failed` signal, which the main window shows.

        Raises
        ------
        RuntimeError
            When a job is already running (the UI disables conflicting controls,
            so this is a programming error).
        """
        if self.busy:
            raise RuntimeError(f"cannot start {title!r}: {self.title!r} is still running")
        self.title = title
        self._on_finished_cb, self._on_cancelled_cb = on_finished, on_cancelled
        self._cancel = threading.Event()
        if os.environ.get(SYNC_ENV) == "1":
            self._thread = QThread.currentThread()  # busy during the run
            self._announce(title)
            self._run_synchronously(factory)
            return
        thread = QThread()
        worker = _Worker(factory, self._cancel)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self.progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self._thread, self._worker = thread, worker
        self._announce(title)  # after _thread is set: handlers see busy == True
        thread.start()

    def _announce(self, title: str) -> None:
        self.started.emit(title)
        self.busy_changed.emit(True)

    def enqueue(self, title: str, factory: JobFactory, on_finished: Callable[[Any], None] | None = None) -> None:
        """Run a job now, or after the running and queued ones (a failure or a cancel
        does not drop the jobs queued behind it: they do not depend on it)."""
        self._queue.append((title, factory, on_finished))
        if not self.busy:
            self._start_next()

    @property
    def is_idle(self) -> bool:
        """No job running and none queued."""
        return not self.busy and not self._queue

    def clear_queue(self) -> None:
        """Forget the queued jobs (the running one goes on)."""
        self._queue.clear()

    def when_idle(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once no job runs and none is queued (at once if so now)."""
        if self.is_idle:
            callback()
            return

        def once() -> None:
            if not self.is_idle:  # an earlier idle handler queued more work: wait for it
                return
            self.idle.disconnect(once)
            callback()

        self.idle.connect(once)

    def _start_next(self) -> None:
        if self.busy:
            return
        if not self._queue:
            self.idle.emit()
            return
        title, factory, on_finished = self._queue.pop(0)
        self.start(title, factory, on_finished=on_finished)

    def cancel(self) -> None:
        """Ask the running job to stop at its next progress event."""
        self._cancel.set()

    def wait(self, timeout_ms: int | None = 30_000) -> bool:
        """Block until the job's thread ends (for closing the app); True if it did.

        ``None`` waits as long as it takes.
        """
        if self._thread is None or self._thread is QThread.currentThread():
            return True
        return self._thread.wait() if timeout_ms is None else self._thread.wait(timeout_ms)

    def _run_synchronously(self, factory: JobFactory) -> None:
        try:
            outcome, value = run_generator(factory, self._cancel, self.progress.emit)
        except BaseException as exc:  # noqa: BLE001
            log.exception("job failed")
            failure = describe_failure(exc)
            self._end(lambda: self.failed.emit(failure))
            return
        if outcome == "cancelled":
            self._on_cancelled()
        else:
            self._on_finished(value)

    def _end(self, emit: Callable[[], None]) -> None:
        thread, self._thread, self._worker = self._thread, None, None
        if thread is not None and thread is not QThread.currentThread():
            thread.quit()
            thread.wait()
            thread.deleteLater()
        # Free before emitting, so a handler may start the next job at once.
        try:
            emit()
        except Exception as exc:  # noqa: BLE001 - a failing result handler is shown, not lost
            log.exception("handling the result of %s failed", self.title)
            self.failed.emit(describe_failure(exc))
        finally:
            self.stopped.emit()
            if not self.busy:
                self.busy_changed.emit(False)
                self._start_next()

    @Slot(object)
    def _on_finished(self, value: object) -> None:
        callback = self._on_finished_cb

        def emit() -> None:
            if callback is not None:
                callback(value)
            self.finished.emit(value)

        self._end(emit)

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        self._end(lambda: self.failed.emit(failure))

    @Slot()
    def _on_cancelled(self) -> None:
        callback = self._on_cancelled_cb

        def emit() -> None:
            if callback is not None:
                callback()
            self.cancelled.emit()

        self._end(emit)
