"""TrackMate XML: the session file (``<TrackMate>``) and "Export tracks to XML" (``<Tracks>``).

Session file (File > Save in TrackMate)
    ``Model spatialunits=".." timeunits=".."`` holds ``AllSpots/SpotsInFrame/Spot``
    (attributes ``ID, FRAME, POSITION_X, POSITION_Y, POSITION_T``, positions in
    ``spatialunits``, time in ``timeunits``), ``AllTracks/Track TRACK_ID=..`` with
    ``Edge SPOT_SOURCE_ID SPOT_TARGET_ID`` links, and ``FilteredTracks/TrackID``:
    the tracks TrackMate's track filters kept. ``Settings/ImageData pixelwidth
    timeinterval`` is the image calibration.

    Only filtered tracks are read; spots in no track and spots of tracks the
    filters removed are dropped and counted. A track that splits or merges is
    cut into linear segments (a segment ends where a spot has two successors
    or two predecessors); every spot belongs to exactly one segment. Segments get
    new integer ids after the largest TRACK_ID, in order of track, first frame
    and first spot ID, so ids stay integers that sort and survive CSV; the
    column ``trackmate_track_id`` keeps TrackMate's TRACK_ID of every row and
    ``spot_id`` the spot's ID. Unbranched tracks keep their TRACK_ID.

    Calibration: positions in µm for ``micron``/``µm``/``um`` (nm converted to
    µm), px for ``pixel``; the pixel size is ImageData's ``pixelwidth`` when the
    positions are calibrated (TrackMate writes 1 for pixel images, which means
    nothing). The frame interval is ``timeinterval`` converted to s; ``t`` is
    POSITION_T in s.

"Export tracks to XML" (Action in TrackMate's last panel)
    ``<Tracks nTracks spaceUnits frameInterval timeUnits>`` with one
    ``<particle>`` per track and ``<detection t x y z>`` per spot, where ``t`` is
    the frame number. Track ids are the particles' order, from 0.

The file is read with :func:`xml.etree.ElementTree.iterparse`, clearing each
element once used, so files of millions of spots stream.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TrackFormatError
from ..tracks import Tracks
from ..units import is_frame_unit, length_unit, time_unit_seconds
from .assemble import ReadOptions, Report, finish_tracks, note_default_frame_interval, short_list

FORMAT_NAME = "trackmate-xml"


def _number(element: ET.Element, name: str, source: str, what: str, *, required: bool = True) -> float:
    value = element.get(name)
    if value is None:
        if not required:
            return float("nan")
        raise TrackFormatError(f"{what} has no {name}", where=source, hint="save the TrackMate session again")
    try:
        return float(value)
    except ValueError:
        raise TrackFormatError(
            f"{what} has a non-numeric {name} {value!r}", where=source, hint="save the TrackMate session again"
        ) from None


def _whole(element: ET.Element, name: str, source: str, what: str) -> int:
    """An id attribute as an int; NaN, infinite or fractional ids are an error naming the element."""
    value = _number(element, name, source, what)
    if not np.isfinite(value) or value != np.round(value) or abs(value) >= 2.0**63:
        raise TrackFormatError(
            f"{what} has {name} {element.get(name)!r}, not a whole number", where=source,
            hint="save the TrackMate session again",
        )
    return int(value)


def _calibration(image: dict, name: str, report: Report) -> float | None:
    """A positive number from the session's ImageData (``pixelwidth``, ``timeinterval``), else None with a note."""
    value = image.get(name)
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not np.isfinite(number) or number <= 0:
        report.note(f"the session's {name} {value!r} is not a positive number; it was ignored.")
        return None
    return number


def _parse_error(exc: ET.ParseError, source: str) -> TrackFormatError:
    line, column = exc.position
    return TrackFormatError(
        f"the XML is damaged or incomplete at line {line}, column {column}",
        where=source,
        hint="save the TrackMate session again; a file cut short by a full disk or a copy also does this",
    )


def _units(spatial: str | None, time: str | None, source: str) -> tuple[str, float, float | None]:
    """(position unit, factor to it, seconds per time unit or None)."""
    parsed = length_unit(spatial or "pixel")
    if parsed is None:
        raise TrackFormatError(
            f"unknown spatial unit {spatial!r}",
            where=source,
            hint="set the image's unit to µm or pixel (Image > Properties) and run TrackMate again",
        )
    seconds = None if time is None or is_frame_unit(time) else time_unit_seconds(time)
    if time is not None and seconds is None and not is_frame_unit(time):
        raise TrackFormatError(
            f"unknown time unit {time!r}", where=source, hint="set the frame interval in Image > Properties"
        )
    return parsed[0], parsed[1], seconds


def read_trackmate_xml(path: Path, options: ReadOptions) -> Tracks:
    """Read a TrackMate session or "Export tracks to XML" file (see the module's docstring)."""
    source = str(path)
    # The file is opened here, not by iterparse, so that it is closed when reading fails half-way.
    with open(path, "rb") as handle:
        try:
            events = ET.iterparse(handle, events=("start", "end"))
            _, root = next(events)
            if root.tag == "TrackMate":
                return _read_session(events, source, options)
            if root.tag == "Tracks":
                return _read_simple(root, events, source, options)
        except ET.ParseError as exc:
            raise _parse_error(exc, source) from None
    raise TrackFormatError(
        f"the XML root is <{root.tag}>, not <TrackMate> or <Tracks>",
        where=source,
        hint="save the TrackMate session (File > Save) or use 'Export tracks to XML'",
    )


def _read_session(events, source: str, options: ReadOptions) -> Tracks:
    report = Report()
    spatial = time = None
    spot_ids: list[int] = []
    spot_values: list[tuple[float, float, float, float]] = []
    edges: list[tuple[int, int, int]] = []  # (track id, source spot, target spot)
    filtered: list[int] = []
    has_filtered = False
    image: dict[str, str] = {}
    current_track: int | None = None
    for event, element in events:
        tag = element.tag
        if event == "start":
            if tag == "Model":
                spatial, time = element.get("spatialunits"), element.get("timeunits")
            elif tag == "Track":
                current_track = _whole(element, "TRACK_ID", source, f"track {element.get('name', '?')}")
            elif tag == "FilteredTracks":
                has_filtered = True
            continue
        if tag == "Spot":
            what = f"spot {element.get('ID', '?')}"
            spot_ids.append(_whole(element, "ID", source, what))
            spot_values.append(
                (
                    _number(element, "FRAME", source, what),
                    _number(element, "POSITION_X", source, what),
                    _number(element, "POSITION_Y", source, what),
                    _number(element, "POSITION_T", source, what, required=False),
                )
            )
            element.clear()
        elif tag == "Edge":
            if current_track is None:
                raise TrackFormatError("an edge outside any track", where=source, hint="save the TrackMate session again")
            what = f"an edge of track {current_track}"
            edges.append(
                (
                    current_track,
                    _whole(element, "SPOT_SOURCE_ID", source, what),
                    _whole(element, "SPOT_TARGET_ID", source, what),
                )
            )
            element.clear()
        elif tag in ("Track", "SpotsInFrame", "AllSpots", "AllTracks", "Log", "FeatureDeclarations"):
            element.clear()
        elif tag == "TrackID":
            filtered.append(_whole(element, "TRACK_ID", source, "a filtered track"))
        elif tag == "ImageData":
            image = dict(element.attrib)
    if not spot_ids:
        raise TrackFormatError("the TrackMate session holds no spots", where=source, hint="run detection and tracking, then save")
    position_unit, factor, seconds = _units(spatial, time, source)
    spots = pd.DataFrame(spot_values, columns=["frame", "x", "y", "t"], index=pd.Index(spot_ids, name="spot_id"))
    if spots.index.has_duplicates:
        duplicated = spots.index[spots.index.duplicated()].unique()
        raise TrackFormatError(
            f"spot ID(s) {short_list(duplicated)} appear more than once", where=source, hint="save the TrackMate session again"
        )
    all_tracks = sorted({track for track, _, _ in edges})
    if not has_filtered:
        filtered = all_tracks
        report.note("the file has no FilteredTracks list; all tracks were read.")
    keep = set(filtered)
    hidden = [t for t in all_tracks if t not in keep]
    edge_table = pd.DataFrame(edges, columns=["track", "source", "target"])
    in_tracks = pd.unique(edge_table[["source", "target"]].to_numpy().ravel())
    unknown = np.setdiff1d(in_tracks, spots.index.to_numpy())
    if unknown.size:
        raise TrackFormatError(
            f"links refer to spot ID(s) {short_list(unknown)} that are not in AllSpots",
            where=source,
            hint="the file is inconsistent; save the TrackMate session again",
        )
    kept_edges = edge_table[edge_table["track"].isin(keep)]
    kept_spots = pd.unique(kept_edges[["source", "target"]].to_numpy().ravel())
    report.drop("spots without track", len(spots) - len(in_tracks))
    report.drop("spots of tracks hidden by TrackMate's track filters", len(in_tracks) - len(kept_spots))
    report.drop("tracks hidden by TrackMate's track filters", len(hidden))
    if not len(kept_edges):
        raise TrackFormatError(
            "no track passes TrackMate's track filters" if all_tracks else "the session holds spots but no tracks",
            where=source,
            hint="run TrackMate's tracking step (and check its track filters), then save",
        )

    table = _segments(kept_edges, spots, max(all_tracks), source, report)
    table["x"] *= factor
    table["y"] *= factor
    if factor != 1.0:
        report.note(f"positions were converted from {spatial} to µm.")
        report.change("positions converted to µm", len(table))
    if seconds is not None and table["t"].notna().any():
        table["t"] *= seconds
    else:
        table = table.drop(columns="t")
    pixel_size = frame_interval = None
    width, interval = _calibration(image, "pixelwidth", report), _calibration(image, "timeinterval", report)
    if position_unit == "µm" and width is not None:
        pixel_size = width * factor
    if seconds is not None and interval is not None:
        frame_interval = interval * seconds
    tracks = finish_tracks(
        table,
        source,
        FORMAT_NAME,
        options,
        report,
        file_position_unit=position_unit,
        file_pixel_size_um=pixel_size if pixel_size and pixel_size > 0 else None,
        file_frame_interval_s=frame_interval if frame_interval and frame_interval > 0 else None,
        file_says="the TrackMate session says",
        track_column="TRACK_ID",
        locate=lambda row: f"spot {int(table['spot_id'].iloc[row])}",
    )
    note_default_frame_interval(report, frame_interval, options.frame_interval_s)
    return tracks


def _segments(edges: pd.DataFrame, spots: pd.DataFrame, max_track_id: int, source: str, report: Report) -> pd.DataFrame:
    """One row per spot of the kept tracks, with branching tracks cut into linear segments.

    Returns
    -------
    DataFrame
        ``track_id, frame, x, y, t, trackmate_track_id, spot_id``.
    """
    frame_of = spots["frame"]
    parts = []
    next_id = max_track_id + 1
    split_tracks: list[str] = []
    n_segments = 0
    n_same_frame = 0
    for track_id, group in edges.groupby("track", sort=True):
        a, b = group["source"].to_numpy(), group["target"].to_numpy()
        fa, fb = frame_of.loc[a].to_numpy(), frame_of.loc[b].to_numpy()
        same = fa == fb
        n_same_frame += int(same.sum())
        # TrackMate does not promise source-before-target; time decides.
        early = np.where(fa <= fb, a, b)[~same]
        late = np.where(fa <= fb, b, a)[~same]
        nodes = pd.unique(np.concatenate([a, b]))
        children: dict[int, list[int]] = defaultdict(list)
        parents: dict[int, list[int]] = defaultdict(list)
        for s, t in zip(early.tolist(), late.tolist()):
            children[s].append(t)
            parents[t].append(s)
        splits = sum(1 for n in nodes if len(children[n]) > 1)
        merges = sum(1 for n in nodes if len(parents[n]) > 1)
        if not splits and not merges and not same.any():
            nodes = nodes[np.argsort(frame_of.loc[nodes].to_numpy(), kind="stable")]
            parts.append((int(track_id), int(track_id), nodes))
            continue
        segments = []
        for start in nodes:
            ps = parents[start]
            if len(ps) == 1 and len(children[ps[0]]) == 1:
                continue  # inside a segment
            segment = [start]
            while len(children[segment[-1]]) == 1 and len(parents[children[segment[-1]][0]]) == 1:
                segment.append(children[segment[-1]][0])
            segments.append(segment)
        segments.sort(key=lambda seg: (frame_of.loc[seg[0]], seg[0]))
        first_id = next_id
        for segment in segments:
            parts.append((next_id, int(track_id), np.asarray(segment)))
            next_id += 1
        n_segments += len(segments)
        split_tracks.append(
            f"{track_id} ({splits} split{'s' * (splits != 1)}, {merges} merge{'s' * (merges != 1)}) -> {first_id}-{next_id - 1}"
        )
    if n_same_frame:
        report.drop("links between spots of the same frame", n_same_frame)
    if split_tracks:
        report.change("branching tracks split", len(split_tracks))
        report.change("segments from branching tracks", n_segments)
        report.note(
            f"{len(split_tracks)} TrackMate track(s) branch; each was cut into linear segments with new ids "
            f"(TRACK_ID -> segment ids): {short_list(split_tracks)}. Column trackmate_track_id keeps TrackMate's id."
        )
    ids = np.concatenate([np.full(len(nodes), new_id) for new_id, _, nodes in parts])
    parents_id = np.concatenate([np.full(len(nodes), old_id) for _, old_id, nodes in parts])
    spot_ids = np.concatenate([nodes for _, _, nodes in parts]).astype(np.int64)
    rows = spots.loc[spot_ids]
    return pd.DataFrame(
        {
            "track_id": ids.astype(np.int64),
            "frame": rows["frame"].to_numpy(),
            "x": rows["x"].to_numpy(),
            "y": rows["y"].to_numpy(),
            "t": rows["t"].to_numpy(),
            "trackmate_track_id": parents_id.astype(np.int64),
            "spot_id": spot_ids,
        }
    )


def _read_simple(root: ET.Element, events, source: str, options: ReadOptions) -> Tracks:
    """TrackMate's "Export tracks to XML": particles of detections, ``t`` = frame."""
    report = Report()
    position_unit, factor, seconds = _units(root.get("spaceUnits"), root.get("timeUnits"), source)
    interval = root.get("frameInterval")
    ids: list[int] = []
    values: list[tuple[float, float, float]] = []
    particle = -1
    declared: list[tuple[int, int]] = []
    for event, element in events:
        if event == "start":
            if element.tag == "particle":
                particle += 1
                if element.get("nSpots", "").isdigit():
                    declared.append((particle, int(element.get("nSpots"))))
            continue
        if element.tag == "detection":
            what = f"a detection of particle {particle}"
            ids.append(particle)
            values.append(
                (
                    _number(element, "t", source, what),
                    _number(element, "x", source, what),
                    _number(element, "y", source, what),
                )
            )
            element.clear()
        elif element.tag == "particle":
            element.clear()
    if not ids:
        raise TrackFormatError("the file holds no detections", where=source, hint="export the tracks again")
    counts = np.bincount(np.asarray(ids), minlength=particle + 1)
    wrong = [p for p, n in declared if counts[p] != n]
    if wrong:
        report.note(f"particle(s) {short_list(wrong)} hold a different number of detections than their nSpots says.")
    if particle + 1 > counts.astype(bool).sum():
        report.drop("particles without detections", int((counts == 0).sum()))
    table = pd.DataFrame(values, columns=["frame", "x", "y"])
    table.insert(0, "track_id", np.asarray(ids, dtype=np.int64))
    table["x"] *= factor
    table["y"] *= factor
    if factor != 1.0:
        report.note(f"positions were converted from {root.get('spaceUnits')} to µm.")
        report.change("positions converted to µm", len(table))
    interval_value = _calibration({"frameInterval": interval}, "frameInterval", report)
    frame_interval = interval_value * seconds if interval_value is not None and seconds is not None else None
    tracks = finish_tracks(
        table,
        source,
        FORMAT_NAME,
        options,
        report,
        file_position_unit=position_unit,
        file_frame_interval_s=frame_interval if frame_interval and frame_interval > 0 else None,
        file_says="the TrackMate export says",
        track_column="particle",
        locate=lambda row: f"detection {row + 1}",
    )
    note_default_frame_interval(report, frame_interval, options.frame_interval_s)
    return tracks
