"""Where things live: bundled resources and the per-user folders, in one place.

Bundled models and samples are in the ``resandi_resources`` package
(``resources/`` in the source tree), found with :mod:`importlib.resources` so
they are found inside a wheel or a frozen app too. Per-user folders come from
platformdirs (``~/.local/share/resandi`` on Linux, ``%LOCALAPPDATA%\\resandi`` on
Windows, ``~/Library/Application Support/resandi`` on macOS); each has an
environment variable that overrides it, which the tests use so they never touch
a user's real files. Nothing here creates a folder: the code that writes does.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "resandi"
#: Overrides :func:`user_models_dir`.
MODELS_DIR_ENV = "RESANDI_MODELS_DIR"
#: Overrides :func:`settings_path`.
SETTINGS_FILE_ENV = "RESANDI_SETTINGS_FILE"
#: Overrides :func:`gui_log_file`.
LOG_FILE_ENV = "RESANDI_LOG_FILE"


def bundled_resource(*parts: str) -> Path:
    """A file or folder of the bundled ``resources/``, e.g. ``bundled_resource("samples", "README.md")``."""
    from importlib import resources

    return Path(str(resources.files("resandi_resources").joinpath(*parts)))


def bundled_models_dir() -> Path:
    """Folder of the bundled models (``resources/models`` in the source tree)."""
    return bundled_resource("models")


def sample_path(name: str) -> Path:
    """A bundled sample file (``resources/samples``)."""
    return bundled_resource("samples", name)


def _user_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def _user_log_dir() -> Path:
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP_NAME, appauthor=False))


def user_models_dir() -> Path:
    """Per-user model folder; ``RESANDI_MODELS_DIR`` overrides the platform default."""
    override = os.environ.get(MODELS_DIR_ENV)
    return Path(override) if override else _user_data_dir() / "models"


def training_workspace_dir() -> Path:
    """Default folder of the desktop app's data sets and training runs."""
    return _user_data_dir() / "training"


def settings_path() -> Path:
    """The settings file: ``RESANDI_SETTINGS_FILE``, else the per-user config folder."""
    override = os.environ.get(SETTINGS_FILE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / "settings.json"


def cli_log_file() -> Path:
    """Where the command line writes the traceback of an internal error."""
    return _user_log_dir() / "resandi.log"


def gui_log_file() -> Path:
    """The desktop app's log file: ``RESANDI_LOG_FILE``, else ``resandi-gui.log`` in the user log folder."""
    override = os.environ.get(LOG_FILE_ENV)
    return Path(override) if override else _user_log_dir() / "resandi-gui.log"
