"""Python's garbage collector runs only on the UI thread while the app is up.

A reference cycle that holds a Qt widget is freed by whichever thread happens to
trigger a collection. When that is a worker thread (importing trackpy, running a
job), Qt objects are destroyed off the UI thread: the worker takes Qt's locks
and waits for Python's, while the UI thread holds Python's and waits for Qt's,
and the app freezes for good (seen as a hang in the GUI tests: a worker's import
triggered a collection that destroyed an old window's QMenu). pyqtgraph's
``GarbageCollector`` turns automatic collection off and collects on a UI-thread
timer instead, which is what napari and pyqtgraph's own examples do.
"""

from __future__ import annotations

_collector = None


def collect_garbage_on_ui_thread(interval_s: float = 1.0) -> None:
    """Collect cyclic garbage every ``interval_s`` on the calling (UI) thread only.

    Idempotent; call it once a ``QApplication`` exists, from the UI thread.
    """
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=interval_s)
