"""How child processes start: one policy for every part of the core that forks.

``fork`` (Linux) starts instantly, but copying a process that runs other threads
(a GUI, a data loader) can deadlock the copy; there a ``forkserver`` forks from a
clean helper process instead (about a second to start, once). Elsewhere the
platform's default (``spawn``) is the only safe choice; like any multiprocessing
code, a script that uses it needs the ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Sequence


def other_threads() -> list[threading.Thread]:
    """Threads besides this one, ignoring tqdm's progress-bar monitor.

    The monitor only sleeps and reads tqdm's own state, which children never use,
    so forking beside it is safe.
    """
    return [t for t in threading.enumerate() if t is not threading.current_thread() and type(t).__name__ != "TMonitor"]


def child_context(preload: Sequence[str] = ()) -> multiprocessing.context.BaseContext:
    """The start method for children: fork when safe, else a fork server (Linux), else spawn.

    Parameters
    ----------
    preload : sequence of str
        Modules the fork server imports once, so that its children start with them
        (only the first caller's list counts: the server then runs).
    """
    methods = multiprocessing.get_all_start_methods()
    linux = sys.platform.startswith("linux")
    if linux and "fork" in methods and not other_threads():
        return multiprocessing.get_context("fork")
    if linux and "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        return context
    return multiprocessing.get_context()
