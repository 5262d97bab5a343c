"""What the app sets up for a movie when it is opened: the dark/bright guess and missing calibration.

- Particles: trackpy finds bright spots; a movie of dark beads on a bright
  background (bright-field, like the bundled sample) needs ``invert``. The
  guess comes from the movie's own pixels (:mod:`resandi_core.linking.guess`) and
  is set on the movie's linking parameters, with a line in the linking panel
  saying so; the user's own tick for the movie is never overridden (the guess is
  made once, when the movie is added to the session).
- Calibration: a movie whose metadata lacks the pixel size or the frame interval
  is asked for them, with the same dialog as track files; the answers are the
  values typed for that movie (as if typed in the linking panel's boxes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resandi_core.batch import FileOutcome
from resandi_core.io.inputs import is_stack_path
from resandi_core.settings import Settings

log = logging.getLogger(__name__)

#: Key in a movie's linking dict holding the guess's description (read by the linking panel;
#: LinkingParams ignores it). Its presence also keeps the guessed ``invert`` out of the user's defaults.
GUESS_KEY = "invert_guess"

#: (paths, ask pixel size, ask frame interval) -> (µm per px, s per frame) or None (cancelled).
CalibrationAsker = Callable[[list[Path], bool, bool], "tuple[float | None, float | None] | None"]


@dataclass(frozen=True)
class MovieLook:
    """A movie's calibration from its metadata (None where missing) and the particle guess (None: unreadable)."""

    path: Path
    pixel_size_um: float | None
    frame_interval_s: float | None
    dark: bool | None
    guess_text: str


def look_at_movie(path: Path) -> MovieLook | None:
    """Read a movie's metadata and guess its particles from its middle frame; None when it cannot be read."""
    from resandi_core.errors import ResandiError
    from resandi_core.io.planes import choose_planes
    from resandi_core.io.stacks import StackReader
    from resandi_core.linking.guess import guess_dark_particles

    try:
        planes = choose_planes(path)
        with StackReader(path, channel=planes.channel, z=planes.z) as reader:
            guess = guess_dark_particles(reader.read(reader.n_file_frames // 2))
            return MovieLook(path, reader.pixel_size_um, reader.frame_interval_s, guess.dark, guess.describe())
    except (OSError, ValueError, ResandiError):  # the movie's view says what is wrong with it
        log.warning("could not look at movie %s", path, exc_info=True)
        return None


def movie_linking(outcomes: Sequence[FileOutcome], settings: Settings,
                  ask: CalibrationAsker) -> dict[Path, dict[str, Any]]:
    """The linking dict of each opened movie: the user's defaults, the particle guess, typed calibration.

    Parameters
    ----------
    outcomes : sequence of FileOutcome
        The files opened (track files are skipped).
    settings : Settings
        ``linking`` gives the defaults; the calibration answered is remembered
        in ``pixel_size_um`` / ``frame_interval_s`` as the next dialog's defaults.
    ask : callable
        Asks once for what the movies' metadata lacks (the main window's ``ask_calibration``).

    Returns
    -------
    dict
        Path -> linking dict, for each movie that could be read.
    """
    looks = [look for o in outcomes if is_stack_path(o.path) and (look := look_at_movie(o.path)) is not None]
    linking: dict[Path, dict[str, Any]] = {}
    for look in looks:
        values = dict(settings.linking)
        if look.dark is not None:
            values["invert"] = look.dark
            values[GUESS_KEY] = look.guess_text
        linking[look.path] = values
    need_px = [look for look in looks if look.pixel_size_um is None]
    need_dt = [look for look in looks if look.frame_interval_s is None]
    if need_px or need_dt:
        names = sorted({look.path for look in need_px + need_dt}, key=lambda p: p.name)
        answer = ask(names, bool(need_px), bool(need_dt))
        if answer is not None:
            for needs, key, value in ((need_px, "pixel_size_um", answer[0]), (need_dt, "frame_interval_s", answer[1])):
                for look in needs:
                    if value:
                        linking[look.path][key] = value
            settings.pixel_size_um = answer[0] or settings.pixel_size_um
            settings.frame_interval_s = answer[1] or settings.frame_interval_s
    return linking
