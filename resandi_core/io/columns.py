"""Which column of a table is the track id, the frame, x, y and the time.

Tables come from trackpy, spreadsheets, MATLAB scripts and other trackers, each
with its own names. A header is matched after normalising it: case, spaces,
dashes and dots are ignored and a unit at the end is taken off (``"X (µm)"``,
``"x [px]"``, ``"x_um"``, ``"time_s"``). The first alias of each list (in order)
that a column matches wins, so ``track_id`` beats ``particle`` beats ``id``. The
caller can name columns instead (``columns={"track_id": "Traj"}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import TrackFormatError
from ..units import FRAME_UNITS, HEADER_LENGTH_UNITS, HEADER_TIME_UNITS

#: Columns a table can map: the four required and the optional time in seconds.
CANONICAL = ("track_id", "frame", "x", "y", "t")

#: Accepted names (normalised: lower case, ``_`` for spaces), in order of preference.
ALIASES: dict[str, tuple[str, ...]] = {
    "track_id": (
        "track_id", "trackid", "track", "track_no", "track_number", "track_index", "track_idx",
        "trajectory", "trajectory_id", "traj", "traj_id", "traj_idx", "trajectory_idx",
        "particle", "particle_id", "tid", "id",
    ),
    "frame": (
        "frame", "frames", "frame_id", "frame_no", "frame_number", "frame_index", "frame_idx", "frame_nr",
        "t_frame", "slice", "time_index", "timepoint", "time_point", "t_index", "position_frame",
    ),
    "x": ("x", "pos_x", "position_x", "x_position", "xpos", "x_pos", "posx", "x_coord", "x_coordinate", "coord_x", "centroid_x", "x_centroid"),
    "y": ("y", "pos_y", "position_y", "y_position", "ypos", "y_pos", "posy", "y_coord", "y_coordinate", "coord_y", "centroid_y", "y_centroid"),
    "t": ("t", "time", "position_t", "time_s", "t_s", "time_sec", "timestamp"),
}

# Units that may end a name after an underscore ("x_um", "time_ms"), by role:
# "x_min" is a bounding box, not x in minutes.
_SUFFIX_UNITS = {
    "x": sorted(HEADER_LENGTH_UNITS, key=len, reverse=True),
    "y": sorted(HEADER_LENGTH_UNITS, key=len, reverse=True),
    "t": sorted(HEADER_TIME_UNITS | FRAME_UNITS, key=len, reverse=True),
}
_BRACKETED_UNIT = re.compile(r"^(.*?)\s*[\(\[\{]\s*([^\)\]\}]*?)\s*[\)\]\}]\s*$")


@dataclass(frozen=True)
class Header:
    """One column header, split into a normalised name and a unit."""

    original: str
    name: str
    unit: str | None


def parse_header(header: object) -> Header:
    """Split ``"X (µm)"`` into name ``"x"`` and unit ``"µm"``; ``"time_s"`` into ``"time"`` and ``"s"``.

    A name such as ``time_s`` that is itself an alias keeps its suffix as the
    unit too, so the unit is never lost.
    """
    original = str(header)
    text = original.replace("\ufeff", "").strip()
    unit = None
    match = _BRACKETED_UNIT.match(text)
    if match and match.group(1):
        text, unit = match.group(1), match.group(2).strip() or None
    name = re.sub(r"[\s\-\.]+", "_", text.lower()).strip("_")
    name = re.sub(r"_+", "_", name)
    if unit is None:
        unit, name = _suffix_unit(name)
    return Header(original, name, unit)


def _suffix_unit(name: str) -> tuple[str | None, str]:
    """``("um", "x")`` for ``"x_um"``; ``(None, name)`` when no unit fits the name's role."""
    for role, units in _SUFFIX_UNITS.items():
        for suffix in units:
            stem = name[: -len(suffix) - 1]
            if name.endswith("_" + suffix) and stem in ALIASES[role]:
                # "time_s" is an alias itself: keep the name, still take the unit.
                return suffix, name if name in ALIASES[role] else stem
    return None, name


def _find(columns: list[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    folded = {str(c).replace("\ufeff", "").strip().lower(): c for c in columns}
    return folded.get(str(wanted).strip().lower())


def choose_columns(columns: list, mapping: dict[str, str] | None, source: str) -> dict[str, Header]:
    """Map the canonical columns to headers of ``columns``.

    Parameters
    ----------
    columns : list
        The table's headers, in order.
    mapping : dict of str to str, optional
        The caller's choice, canonical name -> header (exact, else ignoring case
        and surrounding spaces). Columns not named are guessed.
    source : str
        The file, for messages.

    Returns
    -------
    dict of str to Header
        For each canonical name found (``t`` may be absent; ``frame`` may be
        absent when ``t`` is there, for the caller to derive frames).

    Raises
    ------
    TrackFormatError
        A mapped column that does not exist, or required columns not found.
    """
    headers = [parse_header(c) for c in columns]
    by_original = {h.original: h for h in headers}
    chosen: dict[str, Header] = {}
    for key, wanted in (mapping or {}).items():
        if key not in CANONICAL:
            raise TrackFormatError(
                f"unknown column role {key!r} in the column mapping",
                where=source,
                hint="map " + ", ".join(CANONICAL) + " to the file's column names",
            )
        found = _find([h.original for h in headers], wanted)
        if found is None:
            raise TrackFormatError(
                f"column {wanted!r} (given for {key}) is not in the file; found {', '.join(map(str, columns))}",
                where=source,
                hint="give a column name exactly as in the header",
            )
        other = next((k for k, h in chosen.items() if h.original == found), None)
        if other is not None:
            raise TrackFormatError(
                f"column {found!r} is mapped both as {other} and as {key}",
                where=source,
                hint="map each role to a different column",
            )
        chosen[key] = by_original[found]
    taken = {h.original for h in chosen.values()}
    for key in CANONICAL:
        if key in chosen:
            continue
        for alias in ALIASES[key]:
            match = next((h for h in headers if h.name == alias and h.original not in taken), None)
            if match is not None:
                chosen[key] = match
                taken.add(match.original)
                break
    # "t [frame]" or "time (frames)" is a frame number, not a time: the frame
    # column when there is none, else (when guessed) a column kept as it is.
    if "t" in chosen and chosen["t"].unit and chosen["t"].unit.lower() in FRAME_UNITS:
        if "frame" not in chosen:
            chosen["frame"] = chosen.pop("t")
        elif "t" not in (mapping or {}):
            del chosen["t"]
    missing = [key for key in ("track_id", "frame", "x", "y") if key not in chosen and not (key == "frame" and "t" in chosen)]
    if missing:
        guessed = ", ".join(f"{k}={h.original!r}" for k, h in chosen.items())
        raise TrackFormatError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, columns))}"
            + (f" (recognised {guessed})" if guessed else ""),
            where=source,
            hint="the header needs track_id (or particle, trajectory...), frame, x and y; "
            "name other columns with a mapping such as track_id=Traj",
        )
    return chosen
