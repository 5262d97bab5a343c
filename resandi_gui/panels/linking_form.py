"""The fields of the linking panel: tooltips, spin boxes, and where a movie's calibration comes from.

Kept apart from :mod:`.linking_panel` so that the panel module holds only its
layout and behaviour.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

if TYPE_CHECKING:
    from resandi_core.linking import LinkResult
    from resandi_core.tracks import Tracks

#: Keys of a :class:`~resandi_gui.session.SessionFile`'s ``linking`` dict holding the
#: calibration the user typed for that movie (absent: the file's own, or unknown).
#: ``LinkingParams`` has no such fields, and ``LinkingParams.from_dict`` ignores them.
CALIBRATION_KEYS = ("pixel_size_um", "frame_interval_s")

# Tooltips in the words of someone at the microscope, with trackpy's name for each.
TIPS = {
    "diameter": "How wide a particle looks in the image, in pixels (trackpy: diameter).\n"
                "An odd number a little larger than the spots. Too small cuts spots and pulls\n"
                "positions to whole pixels; too large merges neighbouring particles.",
    "minmass": "Least total brightness of a spot (trackpy: minmass): integrated brightness,\n"
               "image intensity units × px (the sum of its smoothed pixel values).\n"
               "Raise it to ignore dim noise and out-of-focus particles, lower it if real\n"
               "particles are missed. Float movies (0-1) need small values such as 0.05.\n"
               "Watch the spot count under the movie as you change it.",
    "invert": "Tick when particles look darker than the background (e.g. beads in bright-field).\n"
              "Leave unticked for fluorescence, where particles are bright.",
    "search_range": "Farthest a particle can move between two consecutive frames, in pixels.\n"
                    "Too small breaks tracks into pieces; too large makes linking slow and\n"
                    "may swap identities in crowded fields.",
    "memory": "Frames a particle may vanish (blinking, leaving focus) and still keep its track.\n"
              "0: every gap starts a new track.",
    "min_length": "Tracks with fewer detections than this are dropped (trackpy: filter_stubs).\n"
                  "Short tracks carry too few steps to say how a particle moves.",
    "subtract_drift": "Remove the motion all particles share (stage drift, flow), measured from\n"
                      "the tracks themselves. The raw positions are kept as x_raw, y_raw.",
    "drift_smoothing": "Frames over which the measured drift is averaged before it is subtracted;\n"
                       "0: no smoothing.",
    "channel": "Channel to show, preview and link, counted from 0 (Fiji's channel 1 is 0 here).\n"
               "Each channel is linked on its own; link another one by choosing it and\n"
               "linking again.",
    "z": "z-plane to show, preview and link, counted from 0 (Fiji's slice 1 is 0 here).\n"
         "Particles are located in this plane only.",
    "frames": "Frames to link, counted from 0, both ends included.\n"
              "Link a short stretch first to check the parameters, then the whole movie.",
    "pixel_size_um": "Size of one camera pixel in the sample, in µm (read from the file when it says).\n"
                     "Positions stay in pixels; this calibrates the scale bar, MSD and diffusion\n"
                     "coefficients. 'unknown' if you do not know it. Changing it on a linked movie\n"
                     "recalibrates its tracks (and drops their classification).",
    "frame_interval_s": "Time between two frames, in seconds (1 / frame rate; read from the file\n"
                        "when it says). 'unknown' if you do not know it. Changing it on a linked\n"
                        "movie recalibrates its tracks (and drops their classification).",
}


def same(value: float | None, file_value: float | None, decimals: int) -> bool:
    """Whether a spin box's ``value`` is ``file_value`` up to the box's rounding."""
    if value is None or file_value is None:
        return value is file_value
    return abs(value - file_value) <= 0.51 * 10.0 ** -decimals


def typed_calibration(linking: dict[str, Any]) -> tuple[float | None, float | None]:
    """Pixel size (µm) and frame interval (s) the user typed for a movie, None where not typed.

    Values that are not positive numbers (a hand-edited session) count as not typed.
    """
    out = []
    for key in CALIBRATION_KEYS:
        value = linking.get(key)
        try:
            value = float(value) if value is not None else None
        except (TypeError, ValueError):
            value = None
        out.append(value if value is not None and value > 0 else None)
    return out[0], out[1]


def show_calibration_value(box: QDoubleSpinBox, value: float | None, file_value: float | None) -> None:
    """Show a pixel size or frame interval, 0 reading "unknown" (never a real value).

    Choosing "unknown" would pass None to ``iter_link``, which then reads the
    file's value anyway: where the file has one, the box offers no "unknown"
    that would lie (unless the value shown is unknown already).
    """
    unknown_allowed = value is None or file_value is None
    box.setSpecialValueText("unknown" if unknown_allowed else "")
    box.setMinimum(0 if unknown_allowed else 10.0 ** -box.decimals())
    box.setValue(value or 0)


def recalibrated(tracks: Tracks, result: LinkResult | None, used: tuple[float | None, float | None],
                 overrides: tuple[float | None, float | None]) -> tuple[Tracks, LinkResult | None]:
    """Copies of linked ``tracks`` (in px) and their ``result`` with another calibration.

    Parameters
    ----------
    tracks : Tracks
        Left unchanged: views and a classification may still hold them.
    result : LinkResult or None
        The link that gave ``tracks``; its ``tracks`` and ``calibration_source``
        follow the new calibration, so the record says what the tracks carry.
    used : (pixel_size_um, frame_interval_s)
        The new calibration, None where unknown.
    overrides : (pixel_size_um, frame_interval_s)
        The parts the user gave (not None) rather than the file.
    """
    tracks = dataclasses.replace(tracks, pixel_size_um=used[0], frame_interval_s=used[1])
    if result is not None:
        sources = {key: "given" if override is not None else "from the file"
                   for key, override, value in zip(CALIBRATION_KEYS, overrides, used) if value is not None}
        result = dataclasses.replace(result, tracks=tracks, calibration_source=sources)
    return tracks, result


def linked_planes(result: LinkResult) -> tuple[int | None, int | None] | None:
    """The channel and z-plane a link read, None where it read the only one.

    Taken from the movie's description the link recorded (``StackReader.describe``:
    "…, channel 1, z 0, …"), which every link has, whether it came from the Link
    button or a classification. None when the result records no description.
    """
    import re

    if not result.stack:
        return None
    found = [re.search(rf"(?:^|, ){word} (\d+)(?:,|$)", result.stack) for word in ("channel", "z")]
    return tuple(int(m.group(1)) if m else None for m in found)  # type: ignore[return-value]


def link_summary(result: LinkResult) -> str:
    """A few lines (rich text) about a link: tracks kept, spots found, track lengths, time."""
    lengths = result.tracks.table.groupby("track_id").size()
    return (f"<b>Last link</b>: {result.n_tracks_kept} tracks kept of {result.n_tracks_linked} linked "
            f"(≥ {result.params.min_length} detections)<br>"
            f"{result.n_features} spots found in {result.n_frames} frames, "
            f"{result.tracks.n_detections} in kept tracks<br>"
            f"median track length {int(lengths.median()) if len(lengths) else 0} frames; "
            f"took {result.elapsed_s:.1f} s")


def explain(widgets: Iterable[tuple[QWidget, str]], forms: Iterable[QFormLayout]) -> None:
    """Give each ``(widget, key)`` its tooltip ``TIPS[key]``, and each form label its field's.

    The labels explain too, not only the fields: users hover over the words.
    """
    for widget, key in widgets:
        widget.setToolTip(TIPS[key])
    for form in forms:
        for row in range(form.rowCount()):
            label, field = (form.itemAt(row, role) for role in (QFormLayout.ItemRole.LabelRole,
                                                                 QFormLayout.ItemRole.FieldRole))
            if label is not None and field is not None and field.widget() is not None:
                label.widget().setToolTip(field.widget().toolTip())


class OddSpinBox(QSpinBox):
    """A spin box that accepts odd numbers only (trackpy's feature diameter)."""

    def validate(self, text: str, pos: int) -> object:
        state = super().validate(text, pos)
        state = state[0] if isinstance(state, tuple) else state
        try:
            even = int(self.valueFromText(text)) % 2 == 0
        except ValueError:
            even = False
        if state == QValidator.State.Acceptable and even:
            return QValidator.State.Intermediate  # may still become odd ("1" -> "11")
        return state

    def fixup(self, text: str) -> str:
        try:
            value = int(self.valueFromText(text))
        except ValueError:
            return text
        return self.textFromValue(value + 1 if value % 2 == 0 else value)


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that keeps many decimals but shows only those that matter.

    trackpy's ``minmass`` is 20 or 300 on 8/16-bit movies but 0.05 on float ones:
    a fixed number of decimals either rounds the small values away or pads the
    large ones with zeros.
    """

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt's name
        text = super().textFromValue(value)  # in the box's locale, as validate() expects
        point = self.locale().decimalPoint()
        if point in text:
            text = text.rstrip("0").rstrip(point)
        return text


def spin(widget: QSpinBox | QDoubleSpinBox, low: float, high: float, step: float, suffix: str = "",
         decimals: int | None = None) -> Any:
    """``widget`` set up with its range, step, suffix and decimals; changes only on commit."""
    if decimals is not None:
        widget.setDecimals(decimals)
    widget.setRange(low, high)
    widget.setSingleStep(step)
    widget.setSuffix(suffix)
    widget.setKeyboardTracking(False)  # typing "120" is one change, not three
    return widget
