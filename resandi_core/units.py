"""Length and time units, as files, headers and movie metadata spell them: the one table.

TrackMate writes the image calibration's unit string as is ("micron", "µm",
"um", "pixel", "nm", "sec", "ms", "min"), spreadsheets put units in column
headers ("x (µm)", "t [s]"), ImageJ and OME-TIFF metadata in their own fields
("\\u00B5m", "nm", "ms"). These helpers turn such strings into what a
:class:`~resandi_core.tracks.Tracks` stores: positions in ``px`` or ``µm``,
times in s.
"""

from __future__ import annotations

import math
import re

#: The two position units a Tracks table can have.
POSITION_UNITS = ("px", "µm")

PIXEL_SPELLINGS = frozenset({"px", "pixel", "pixels", "pix", "pxl"})

#: Length unit spellings -> µm per unit.
UM_PER_LENGTH_UNIT: dict[str, float] = {
    **dict.fromkeys(
        ("µm", "μm", "um", "micron", "microns", "micrometer", "micrometers", "micrometre", "micrometres", "mum",
         "\\u00b5m"),  # ImageJ metadata may hold the escape itself
        1.0,
    ),
    **dict.fromkeys(("nm", "nanometer", "nanometers", "nanometre", "nanometres"), 1e-3),
    **dict.fromkeys(("mm", "millimeter", "millimeters", "millimetre", "millimetres"), 1e3),
    # Movie metadata only: never taken from a column header (see HEADER_LENGTH_UNITS).
    "pm": 1e-6, "cm": 1e4, "m": 1e6,
}

#: Length unit spellings recognised in track files and their column headers
#: (``x_um``, ``X (nm)``): pixels and µm, nm, mm. "x_m" stays a name, not metres.
HEADER_LENGTH_UNITS = frozenset(PIXEL_SPELLINGS | {k for k, v in UM_PER_LENGTH_UNIT.items() if v in (1.0, 1e-3, 1e3)})

#: Time unit spellings -> seconds per unit.
S_PER_TIME_UNIT: dict[str, float] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("ms", "msec", "millisecond", "milliseconds"), 1e-3),
    **dict.fromkeys(("µs", "μs", "us", "microsecond", "microseconds", "\\u00b5s"), 1e-6),
    "ns": 1e-9,
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
}

#: Time unit spellings recognised in track files and their column headers.
HEADER_TIME_UNITS = frozenset(set(S_PER_TIME_UNIT) - {"ns", "\\u00b5s"})

#: Spellings of "this time axis counts frames", which is no time calibration at all.
FRAME_UNITS = frozenset({"frame", "frames", "fr", "timepoint", "timepoints"})


def _clean(unit: str) -> str:
    return re.sub(r"\s+", "", str(unit)).strip("()[]{}").strip().lower()


def length_unit(unit: str | None) -> tuple[str, float] | None:
    """``(position_unit, factor)`` of a track file's length unit, or None when not recognised.

    Parameters
    ----------
    unit : str or None
        e.g. ``"micron"``, ``"(µm)"``, ``"pixel"``, ``"nm"``.

    Returns
    -------
    tuple of (str, float) or None
        ``("px", 1.0)``, ``("µm", 1.0)`` or, for nm, ``("µm", 0.001)``: multiply
        values by the factor to get them in the returned unit. nm and mm
        positions are converted to µm: Tracks knows only px and µm.
    """
    if unit is None:
        return None
    key = _clean(unit)
    if key in PIXEL_SPELLINGS:
        return ("px", 1.0)
    return ("µm", UM_PER_LENGTH_UNIT[key]) if key in HEADER_LENGTH_UNITS else None


def canonical_position_unit(unit: str) -> str | None:
    """``"px"`` or ``"µm"`` for any spelling of pixels or micrometres, else None."""
    parsed = length_unit(unit)
    return parsed[0] if parsed is not None and parsed[1] == 1.0 else None


def time_unit_seconds(unit: str | None) -> float | None:
    """Seconds per ``unit`` (``"sec"`` -> 1, ``"ms"`` -> 0.001), or None when unknown or frames."""
    if unit is None:
        return None
    key = _clean(unit)
    return S_PER_TIME_UNIT[key] if key in HEADER_TIME_UNITS else None


def is_frame_unit(unit: str | None) -> bool:
    """True for units that mean 'frames' rather than a time (TrackMate's ``(frame)``)."""
    return unit is not None and _clean(unit) in FRAME_UNITS


def length_in_um(value: float, unit: str | None) -> float | None:
    """A movie's pixel size in µm from its metadata's value and unit; None when unknown or not positive."""
    factor = UM_PER_LENGTH_UNIT.get(_clean(unit or ""))
    if factor is None or not math.isfinite(value) or value <= 0:
        return None
    return value * factor


def time_in_s(value: float, unit: str | None) -> float | None:
    """A movie's frame interval in s from its metadata's value and unit (default s); None when unknown."""
    factor = S_PER_TIME_UNIT.get(_clean(unit or "s"))
    if factor is None or not math.isfinite(value) or value <= 0:
        return None
    return value * factor
