"""The main window's Analysis ▸ Model and Analysis ▸ Device menus, filled each time they open.

Both are filled on ``aboutToShow`` rather than once: a model trained meanwhile
appears, and the devices are found with torch, which the window does not import
before it is on screen (by the time a user opens a menu, the warm-up has loaded it).

- Device: ``auto`` and ``cpu`` always, ``cuda`` only where PyTorch sees an NVIDIA
  GPU, ``mps`` only on an Apple GPU; a saved choice not available here stays
  listed, checked and marked, so the user sees why classification would fail.
- Model: the bundled and user models, and the model in use when it is a folder
  outside them (a run from the Training tab's "Use this model", or Choose Model
  Folder): exactly one entry is checked, the one that classifies.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu

from .widgets.device_combo import available_devices  # shared with the Training tab's Device box

NOT_AVAILABLE = " (not available on this computer)"


def fill_device_menu(menu: QMenu, current: str, choose: Callable[[str], None]) -> QActionGroup:
    """Fill ``menu`` with the devices available here, ``current`` checked.

    Parameters
    ----------
    menu : QMenu
        Cleared first.
    current : str
        The saved device (``settings.device``).
    choose : callable
        Called with the device name the user picks.

    Returns
    -------
    QActionGroup
        The exclusive group of the entries (a child of ``menu``).
    """
    menu.clear()
    group = QActionGroup(menu)
    names = available_devices()
    for name in [*names, *([current] if current and current not in names else [])]:
        action = menu.addAction(name + ("" if name in names else NOT_AVAILABLE))
        action.setCheckable(True)
        action.setChecked(name == current)
        action.triggered.connect(lambda _=False, n=name: choose(n))
        group.addAction(action)
    return group


def _same_model(active: str, name: str, path: Path) -> bool:
    if active == name:
        return True
    try:
        return Path(active).expanduser().resolve() == Path(path).resolve()
    except (OSError, ValueError):
        return False


def fill_model_menu(menu: QMenu, active: str | None, use: Callable[[str], None],
                    choose_folder: Callable[[], None]) -> None:
    """Fill ``menu`` with the models, the one in use checked.

    Parameters
    ----------
    menu : QMenu
        Cleared first.
    active : str or None
        ``settings.model``: a model name or a model folder; None: the default model.
    use : callable
        Called with the model name (or folder) the user picks.
    choose_folder : callable
        Choose Model Folder….
    """
    from resandi_core.model.registry import default_model_name, list_models

    menu.clear()
    active = active or default_model_name() or ""
    group = QActionGroup(menu)
    found = False
    for info in list_models():
        label = f"{info.name} ({info.origin}{', UNTRAINED' if not info.trained else ''})"
        action = menu.addAction(label, lambda n=info.name: use(n))
        action.setCheckable(True)
        checked = not found and _same_model(active, info.name, info.path)
        found = found or checked
        action.setChecked(checked)
        group.addAction(action)
    if active and not found:  # a folder outside the model folders: listed, so the menu shows what classifies
        folder = Path(active)
        action = menu.addAction(f"{folder.name} (folder {folder.parent})", lambda a=active: use(a))
        action.setCheckable(True)
        action.setChecked(True)
        action.setToolTip(str(folder))
        group.addAction(action)
    menu.addSeparator()
    menu.addAction("Choose Model &Folder…", choose_folder)
