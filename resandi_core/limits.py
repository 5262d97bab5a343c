"""The budgets that keep one bad input from costing more than itself, each settable by an environment variable.

| variable | default | what |
|---|---|---|
| ``RESANDI_READ_TIMEOUT_S`` | 600 | seconds to read one track file |
| ``RESANDI_READ_MEMORY_GB`` | 8 | memory one read may add, GB |
| ``RESANDI_MAX_POINTS`` | 20,000,000 | detections in one file |
| ``RESANDI_LOCATE_TIMEOUT_S`` | 3600 | seconds to locate the particles of one movie |
"""

from __future__ import annotations

import os

READ_TIMEOUT_ENV, READ_MEMORY_ENV = "RESANDI_READ_TIMEOUT_S", "RESANDI_READ_MEMORY_GB"
MAX_POINTS_ENV, LOCATE_TIMEOUT_ENV = "RESANDI_MAX_POINTS", "RESANDI_LOCATE_TIMEOUT_S"


def positive_number(name: str, default: float) -> float:
    """The environment variable ``name`` as a positive number; ``default`` when unset or not one."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def read_timeout_s() -> float:
    return positive_number(READ_TIMEOUT_ENV, 600.0)


def read_memory_gb() -> float:
    return positive_number(READ_MEMORY_ENV, 8.0)


def max_points() -> int:
    """Most detections one file may hold (about 0.5 GB as a table at the default; far above an experiment)."""
    return int(positive_number(MAX_POINTS_ENV, 20_000_000))


def locate_timeout_s() -> float:
    return positive_number(LOCATE_TIMEOUT_ENV, 3600.0)
