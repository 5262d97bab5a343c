"""Job generators for test_process_job.py, importable by a spawned child process."""

import time
from pathlib import Path

from resandi_core.errors import ResandiError
from resandi_core.progress import Progress


def counting(n):
    for i in range(n):
        yield Progress(i, n)
    yield Progress(n, n)
    return sum(range(n))


def failing():
    yield Progress(0, 1)
    raise ResandiError("cannot read the tracks", where="a.csv: line 3", hint="fix the column")


def crashing():
    yield Progress(0, 1)
    raise ZeroDivisionError("boom")


def endless(marker):
    try:
        i = 0
        while True:
            yield Progress(i, 0)
            i += 1
            time.sleep(0.01)
    finally:
        Path(marker).write_text("closed")
