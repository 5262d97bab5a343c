"""Progress events of long jobs, and the driver that runs a job to its end.

Every long job in ResAnDi (classifying, linking, generating data, training) is a
generator that yields :class:`Progress` events and returns its result. The CLI
draws a progress bar from the events, the GUI a progress bar with a cancel
button; closing the generator cancels the job cleanly. Torch-free on purpose:
data generation and linking import this without loading the network.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """Progress of a long job: ``done`` of ``total`` units of ``stage``.

    Attributes
    ----------
    done, total : int
        Units finished and units in all (windows, frames, trajectories, steps).
    stage : str
        What the units are counting, e.g. ``"classify"``, ``"generate"``.
    """

    done: int
    total: int
    stage: str = "classify"


def run_job(job: Generator[Progress, None, T], progress: Callable[[Progress], None] | None = None) -> T:
    """Drive a progress-yielding generator to its end; return its return value.

    When ``progress`` raises (a cancelled GUI, Ctrl-C in a progress bar), the job
    is closed at once, so it stops its workers and keeps what it must (a
    training checkpoint, finished data shards).
    """
    try:
        while True:
            try:
                event = next(job)
            except StopIteration as done:
                return done.value
            if progress is not None:
                progress(event)
    finally:
        job.close()


def relabel(job: Generator[Progress, None, T], label: str) -> Generator[Progress, None, T]:
    """Pass a sub-job's events on as ``"<label> <its stage>"``; return its result; close it if closed.

    The sub-job's own stage (locate, link, filter, classify) stays the last word,
    so a progress bar restarts its ETA at each stage and names what it counts
    (see :data:`STAGE_UNITS`).
    """
    try:
        while True:
            try:
                event = next(job)
            except StopIteration as stop:
                return stop.value
            yield Progress(event.done, event.total, f"{label} {event.stage}")
    finally:
        job.close()


#: What ``done``/``total`` count, by the last word of a job's stage.
STAGE_UNITS = {
    "read": "files", "locate": "frames", "link": "frames", "filter": "steps", "drift": "steps",
    "classify": "windows", "generate": "trajectories", "evaluate": "trajectories", "export": "steps",
}


def stage_unit(event: Progress) -> str:
    """``"frames"``, ``"windows"``, ... for what ``event`` counts; ``""`` when unknown.

    Training events (those with an ``event`` attribute) count optimiser steps.
    """
    if getattr(event, "event", None) is not None:
        return "steps"
    words = str(getattr(event, "stage", "")).replace(":", " ").split()
    return STAGE_UNITS.get(words[-1], "") if words else ""


def format_duration(seconds: float) -> str:
    """``"42 s"``, ``"3 min 05 s"`` or ``"2 h 10 min"``; ``"?"`` when unknown (NaN, negative)."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
