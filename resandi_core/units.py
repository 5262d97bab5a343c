"""Length and time units as track files spell them.

TrackMate writes the image calibration's unit string as is ("micron", "µm",
"um", "pixel", "nm", "sec", "ms", "min"), spreadsheets put units in column
headers ("x (µm)", "t [s]"). These helpers turn such strings into what a
:class:`~resandi_core.tracks.Tracks` stores: positions in ``px`` or ``µm``, times in s.
"""

from __future__ import annotations

import re

#: Length unit spellings -> (Tracks position unit, factor to that unit).
#: nm and mm positions are converted to µm: Tracks knows only px and µm.
LENGTH_UNITS: dict[str, tuple[str, float]] = {
    **dict.fromkeys(("px", "pixel", "pixels", "pix", "pxl"), ("px", 1.0)),
    **dict.fromkeys(
        ("µm", "μm", "um", "micron", "microns", "micrometer", "micrometers", "micrometre", "micrometres", "mum"),
        ("µm", 1.0),
    ),
    **dict.fromkeys(("nm", "nanometer", "nanometers", "nanometre", "nanometres"), ("µm", 1e-3)),
    **dict.fromkeys(("mm", "millimeter", "millimeters", "millimetre", "millimetres"), ("µm", 1e3)),
}

#: Time unit spellings -> seconds per unit.
TIME_UNITS: dict[str, float] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("ms", "msec", "millisecond", "milliseconds"), 1e-3),
    **dict.fromkeys(("µs", "μs", "us", "microsecond", "microseconds"), 1e-6),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
}

#: Spellings of "this time axis counts frames", which is no time calibration at all.
FRAME_UNITS = frozenset({"frame", "frames", "fr", "timepoint", "timepoints"})


def _clean(unit: str) -> str:
    return re.sub(r"\s+", "", str(unit)).strip("()[]{}").strip().lower()


def length_unit(unit: str | None) -> tuple[str, float] | None:
    """``(position_unit, factor)`` of a length unit, or None when not recognised.

    Parameters
    ----------
    unit : str or None
        e.g. ``"micron"``, ``"(µm)"``, ``"pixel"``, ``"nm"``.

    Returns
    -------
    tuple of (str, float) or None
        ``("px", 1.0)``, ``("µm", 1.0)`` or, for nm, ``("µm", 0.001)``: multiply
        values by the factor to get them in the returned unit.
    """
    if unit is None:
        return None
    return LENGTH_UNITS.get(_clean(unit))


def time_unit_seconds(unit: str | None) -> float | None:
    """Seconds per ``unit`` (``"sec"`` -> 1, ``"ms"`` -> 0.001), or None when unknown or frames."""
    if unit is None:
        return None
    return TIME_UNITS.get(_clean(unit))


def is_frame_unit(unit: str | None) -> bool:
    """True for units that mean 'frames' rather than a time (TrackMate's ``(frame)``)."""
    return unit is not None and _clean(unit) in FRAME_UNITS
