"""What decides how particles are found and linked, and what linking reports back.

:class:`LinkingParams` (trackpy's options, checked, with plain-language docs),
:class:`LinkProgress` (a :class:`~resandi_core.progress.Progress` that also counts
features) and :class:`LinkResult` (tracks plus the counts a user checks first).
Imports neither trackpy nor the movie reader.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import pandas as pd

from ..errors import LinkingError
from ..progress import Progress
from ..tracks import Tracks

STAGE_LOCATE = "locate"
STAGE_LINK = "link"
STAGE_FILTER = "filter"
STAGE_DRIFT = "drift"



@dataclass
class LinkingParams:
    """Everything that decides which particles are found and how they are linked.

    Defaults suit the bundled ``bulk_water.tif`` example (1 µm beads, 2.85 px/µm)
    except ``invert``: most single-particle movies show bright spots.

    Attributes
    ----------
    diameter : int
        Feature size in px, odd (trackpy ``diameter``); a bit larger than the spots.
    minmass : float
        Least integrated brightness of a feature, in the image's intensity units
        times px (trackpy ``minmass``); raise it to drop dim noise.
    invert : bool
        Dark particles on a bright background.
    separation : float or None
        Least distance between features in px; None: ``diameter + 1``.
    maxsize : float or None
        Largest radius of gyration in px; None: no limit.
    percentile : float
        Peaks below this percentile of the smoothed image are ignored (0-100).
    search_range : float
        Farthest a particle may move between two frames, in px.
    memory : int
        Frames a particle may vanish and still keep its track.
    adaptive_stop : float or None
        Enables adaptive search: when too many candidates make linking
        intractable, the search range shrinks down to this many px instead of
        failing. None: no adaptive search.
    adaptive_step : float
        Factor (0-1) applied to the search range at each adaptive step.
    min_length : int
        Least number of detections a track needs to be kept (``filter_stubs``).
    subtract_drift : bool
        Subtract the ensemble drift (mean frame-to-frame motion of all tracks);
        the raw positions stay in ``x_raw``, ``y_raw``.
    drift_smoothing : int
        Frames of forward-looking rolling mean applied to the drift; 0: none.
    """

    diameter: int = 11
    minmass: float = 20.0
    invert: bool = False
    separation: float | None = None
    maxsize: float | None = None
    percentile: float = 64.0
    search_range: float = 5.0
    memory: int = 3
    adaptive_stop: float | None = None
    adaptive_step: float = 0.95
    min_length: int = 25
    subtract_drift: bool = False
    drift_smoothing: int = 0

    def check(self) -> None:
        """Raise :class:`LinkingError` naming the first bad parameter and a good value."""

        def bad(message: str, hint: str) -> LinkingError:
            return LinkingError(message, where="linking parameters", hint=hint)

        if int(self.diameter) != self.diameter or self.diameter < 3 or self.diameter % 2 == 0:
            raise bad(f"diameter must be an odd whole number of px, at least 3, not {self.diameter}",
                      f"use {max(3, int(self.diameter) | 1)}")
        if not self.search_range > 0:
            raise bad(f"search range must be positive, not {self.search_range} px", "try about half the diameter")
        if self.memory < 0 or int(self.memory) != self.memory:
            raise bad(f"memory must be a whole number of frames >= 0, not {self.memory}", "use 0 to 5")
        if self.min_length < 1 or int(self.min_length) != self.min_length:
            raise bad(f"minimum track length must be a whole number >= 1, not {self.min_length}", "the default is 25 frames")
        if self.adaptive_stop is not None and not 0 < self.adaptive_stop < self.search_range:
            raise bad(f"adaptive stop must lie between 0 and the search range ({self.search_range} px), "
                      f"not {self.adaptive_stop}", "try a tenth of the search range")
        if not 0 < self.adaptive_step < 1:
            raise bad(f"adaptive step must lie between 0 and 1, not {self.adaptive_step}", "the default is 0.95")
        if not 0 <= self.percentile <= 100:
            raise bad(f"percentile must lie between 0 and 100, not {self.percentile}", "the default is 64")
        if self.drift_smoothing < 0:
            raise bad(f"drift smoothing must be >= 0 frames, not {self.drift_smoothing}", "use 0 for none")

    def locate_kwargs(self) -> dict:
        """Keyword arguments of ``trackpy.locate``."""
        options = {"diameter": int(self.diameter), "minmass": self.minmass, "invert": self.invert,
                   "percentile": self.percentile}
        if self.separation is not None:
            options["separation"] = self.separation
        if self.maxsize is not None:
            options["maxsize"] = self.maxsize
        return options

    def link_kwargs(self) -> dict:
        """Keyword arguments of ``trackpy.link`` (after the search range)."""
        options = {"memory": int(self.memory)}
        if self.adaptive_stop is not None:
            options.update(adaptive_stop=self.adaptive_stop, adaptive_step=self.adaptive_step)
        return options

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> LinkingParams:
        """From a dict such as a saved settings file; unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


@dataclass(frozen=True)
class LinkProgress(Progress):
    """Progress of :func:`~resandi_core.linking.iter_link`: a :class:`Progress` that counts features.

    ``stage`` is ``"locate"`` (``done`` of ``total`` frames located), then
    ``"link"`` (frames linked), ``"filter"`` and, when asked, ``"drift"`` (0 of 1,
    then 1 of 1). ``n_features`` counts the features located so far.
    """

    stage: str = STAGE_LOCATE
    n_features: int = 0

    @property
    def phase(self) -> str:
        """Alias of ``stage``."""
        return self.stage


@dataclass
class LinkResult:
    """Tracks of one movie and what it took to get them.

    Attributes
    ----------
    tracks : Tracks
        In px, with the calibration of the file or the user (None when unknown).
        Table columns ``track_id, frame, x, y`` then trackpy's ``mass, size, ecc,
        signal, raw_mass, ep`` (and ``x_raw, y_raw`` when drift was subtracted),
        sorted by track and frame.
    n_frames : int
        Frames located.
    n_features : int
        Features located in all frames.
    n_tracks_linked : int
        Tracks before the minimum-length filter.
    n_tracks_kept : int
        Tracks of at least ``params.min_length`` detections.
    params : LinkingParams
    stack : str
        One line describing the movie and the selection.
    drift : DataFrame or None
        Drift subtracted, px, columns ``x, y`` indexed by frame; None when not asked.
    elapsed_s : float
        Wall time of the whole job.
    calibration_source : dict
        For ``pixel_size_um`` and ``frame_interval_s`` when known: ``"given"``
        (by the caller) or ``"from the file"``.
    """

    tracks: Tracks
    n_frames: int
    n_features: int
    n_tracks_linked: int
    n_tracks_kept: int
    params: LinkingParams
    stack: str = ""
    drift: pd.DataFrame | None = None
    elapsed_s: float = 0.0
    calibration_source: dict = field(default_factory=dict)

    def summary(self) -> str:
        """A few lines for people: counts, lengths and units."""
        table = self.tracks.table
        lengths = table.groupby("track_id").size() if len(table) else pd.Series(dtype=int)
        lines = [
            f"{self.tracks.source}: {self.stack}",
            f"{self.n_features} features in {self.n_frames} frames ({self.n_features / max(self.n_frames, 1):.1f} per frame); "
            f"{self.n_tracks_linked} tracks linked, {self.n_tracks_kept} kept with >= {self.params.min_length} detections"
            + (f" (median length {int(lengths.median())}, longest {int(lengths.max())})" if len(lengths) else ""),
            "positions in px; pixel size "
            + (f"{self.tracks.pixel_size_um:g} µm ({self.calibration_source.get('pixel_size_um', '?')})"
               if self.tracks.pixel_size_um else "unknown (give --pixel-size-um)")
            + "; frame interval "
            + (f"{self.tracks.frame_interval_s:g} s ({self.calibration_source.get('frame_interval_s', '?')})"
               if self.tracks.frame_interval_s else "unknown (give --frame-interval-s)"),
        ]
        if self.drift is not None and len(self.drift):
            end = self.drift.iloc[-1]
            lines.append(f"drift subtracted: {math.hypot(end['x'], end['y']):.2f} px over the movie")
        lines.append(f"took {self.elapsed_s:.1f} s")
        return "\n".join(lines)
