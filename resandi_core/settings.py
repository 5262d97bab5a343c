"""The user's settings: one typed object, saved as one versioned JSON file.

The GUI only edits a :class:`Settings`; this module decides where it lives and
how it is read and written. ``RESANDI_SETTINGS_FILE`` points it at another file,
which is how tests keep away from the user's real settings. Torch-free and
Qt-free, so the window can read it before anything heavy is imported.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .atomic import atomic_write
from .paths import settings_path

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
MAX_RECENT_FILES = 10


@dataclass
class Settings:
    """Everything the app remembers between sessions.

    Attributes
    ----------
    version : int
        Format of the file; a file of a newer version is not overwritten blindly.
    last_open_dir, last_export_dir, last_training_dir : str
        Folders the file dialogs start in ("" = the home folder).
    recent_files : list of str
        Most recent first, at most :data:`MAX_RECENT_FILES`.
    pixel_size_um : float or None
        Default calibration for files that carry none, in µm per px.
    frame_interval_s : float or None
        Default time between frames for files that carry none, in s.
    linking : dict
        Fields of :class:`resandi_core.linking.LinkingParams` (diameter, minmass, ...).
    device : str
        ``auto``, ``cpu``, ``cuda`` or ``mps``.
    model : str
        Model name or folder used to classify ("" = the bundled default).
    gradcam_relu : bool
        Show only positive Grad-CAM scores (the paper's ReLU) instead of signed ones.
    """

    version: int = SETTINGS_VERSION
    last_open_dir: str = ""
    last_export_dir: str = ""
    last_training_dir: str = ""
    recent_files: list[str] = field(default_factory=list)
    pixel_size_um: float | None = None
    frame_interval_s: float | None = None
    linking: dict[str, Any] = field(default_factory=dict)
    device: str = "auto"
    model: str = ""
    gradcam_relu: bool = False

    def add_recent(self, path: str | os.PathLike) -> None:
        """Put ``path`` first in :attr:`recent_files` (once), keeping the list short."""
        text = str(Path(path).resolve())
        self.recent_files = [text] + [p for p in self.recent_files if p != text]
        del self.recent_files[MAX_RECENT_FILES:]


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read the settings; a missing, unreadable or foreign file gives the defaults.

    Unknown keys are ignored and missing keys take their defaults, so files of
    older and newer versions both load. A broken file is logged, not raised:
    settings must never stop the app from starting.
    """
    path = Path(path) if path is not None else settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable settings file %s: %s", path, exc)
        return Settings()
    if not isinstance(raw, dict):
        log.warning("ignoring settings file %s: not a JSON object", path)
        return Settings()
    defaults = Settings()
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(Settings):
        if spec.name not in raw:
            continue
        value = raw[spec.name]
        default = getattr(defaults, spec.name)
        # Keep a value only if it has the default's type (None allowed for optional numbers).
        if default is None or isinstance(default, float):
            ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0)
        elif isinstance(default, bool):
            ok = isinstance(value, bool)
        else:
            ok = isinstance(value, type(default))
        if ok:
            values[spec.name] = value
        else:
            log.warning("settings %s: ignoring %s=%r (wrong type)", path, spec.name, value)
    settings = Settings(**values)
    settings.recent_files = [p for p in settings.recent_files if isinstance(p, str)][:MAX_RECENT_FILES]
    return settings


def _version_on_disk(path: Path) -> int:
    """The version field of the file at ``path``; 0 when missing or unreadable."""
    try:
        version = json.loads(path.read_text(encoding="utf-8")).get("version", 0)
    except (OSError, ValueError, AttributeError):
        return 0
    return version if isinstance(version, int) else 0


def save_settings(settings: Settings, path: str | os.PathLike | None = None) -> Path:
    """Write the settings atomically (a crash never leaves half a file); returns the path.

    A file written by a newer version of the app is left alone (logged).
    """
    path = Path(path) if path is not None else settings_path()
    on_disk = _version_on_disk(path)
    if on_disk > SETTINGS_VERSION:
        # A newer ResAnDi wrote it; writing ours would drop what it knows. Keep theirs.
        log.warning("not saving settings: %s is version %d, newer than this app's %d", path, on_disk, SETTINGS_VERSION)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    data = dataclasses.asdict(settings)
    data["version"] = SETTINGS_VERSION
    with atomic_write(path) as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    return path
