"""Finding models by name: the bundled ones, the user's, and the default.

Bundled models live in ``resources/models`` (a ``DEFAULT`` file names the
default); user models in :func:`~resandi_core.paths.user_models_dir`, which
``RESANDI_MODELS_DIR`` overrides. A user model shadows a bundled one of the same
name. Reading and writing one folder is :mod:`.store`'s job.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelFolderError
from ..paths import bundled_models_dir, user_models_dir
from .store import CONFIG_FILE, LoadedModel, load_model_folder, read_config

log = logging.getLogger(__name__)

#: Name of the text file in the bundled models folder that names the default model.
DEFAULT_MARKER = "DEFAULT"

__all__ = ["ModelInfo", "bundled_models_dir", "user_models_dir", "default_model_name", "list_models",
           "resolve_model_path", "load_model"]


@dataclass(frozen=True)
class ModelInfo:
    """A model folder as listed by :func:`list_models`."""

    name: str
    path: Path
    origin: str  # "bundled" or "user"
    trained: bool
    is_default: bool
    description: str


def default_model_name() -> str | None:
    """Name of the bundled default model, or None while no model is bundled."""
    marker = bundled_models_dir() / DEFAULT_MARKER
    return marker.read_text(encoding="utf-8").strip() if marker.is_file() else None


def list_models() -> list[ModelInfo]:
    """Bundled and user model folders, bundled first; unreadable folders are skipped with a log line."""
    default = default_model_name()
    found: list[ModelInfo] = []
    for origin, root in (("bundled", bundled_models_dir()), ("user", user_models_dir())):
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if (p / CONFIG_FILE).is_file()):
            try:
                config = read_config(folder)
            except ModelFolderError as exc:
                log.warning("skipping model folder: %s", exc)
                continue
            found.append(
                ModelInfo(
                    name=folder.name,
                    path=folder,
                    origin=origin,
                    trained=bool(config.get("trained", False)),
                    is_default=origin == "bundled" and folder.name == default,
                    description=str(config.get("description", "")),
                )
            )
    return found


def resolve_model_path(name_or_path: str | os.PathLike | None = None) -> Path:
    """Find a model folder from a path, a model name, or (None) the bundled default.

    A user model shadows a bundled model of the same name.
    """
    if name_or_path is None:
        name = default_model_name()
        if name is None:
            raise ModelFolderError(
                "no trained model is bundled with this version yet",
                hint="pass --model PATH to a model folder; `resandi init-model DIR` writes an "
                "untrained one for trying the pipeline",
            )
        return bundled_models_dir() / name
    candidate = Path(name_or_path).expanduser()
    if candidate.is_dir():
        return candidate
    text = str(name_or_path)
    if os.sep in text or "/" in text or text.startswith((".", "~")):
        raise ModelFolderError("model folder not found", where=text, hint="check the path, or run `resandi models`")
    for root in (user_models_dir(), bundled_models_dir()):
        if (root / text).is_dir():
            return root / text
    known = ", ".join(info.name for info in list_models()) or "none installed"
    raise ModelFolderError(
        f"no model folder or model named {str(name_or_path)!r}",
        hint=f"known models: {known}; or give the path of a model folder",
    )


def load_model(name_or_path: str | os.PathLike | None = None) -> LoadedModel:
    """Resolve (see :func:`resolve_model_path`) and load a model."""
    return load_model_folder(resolve_model_path(name_or_path))


