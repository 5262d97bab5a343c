"""No wheel edits on spin boxes and combo boxes the user has not clicked into.

Qt lets the mouse wheel change a spin box or combo box under the pointer, focused
or not. Scrolling down the Training or linking panel then edits whatever field
passes under the pointer (seen: noise 0.00 -> 0.10) without a word. One event
filter on the application, installed once, stops that for every such widget, in
every window and dialog, present or created later: the wheel edits a field only
after the user has clicked or tabbed into it; otherwise the wheel goes on to the
panel around it, which scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox

#: Widgets whose value the wheel would change.
GUARDED = (QAbstractSpinBox, QComboBox)


class WheelGuard(QObject):
    """Application-wide event filter: wheel events reach a guarded widget only when it has focus."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.Wheel:
            if isinstance(obj, GUARDED) and not obj.hasFocus():
                # Ignored and filtered: Qt offers the event to the parents (a scroll area scrolls).
                event.ignore()
                return True
        elif kind == QEvent.Type.Polish and isinstance(obj, GUARDED):
            # The default WheelFocus would focus the widget on the first wheel step, so the next edits it.
            obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return False


def install_wheel_guard(app: QApplication | None = None) -> WheelGuard | None:
    """Install :class:`WheelGuard` on the application once (later calls return the same filter).

    Parameters
    ----------
    app : QApplication, optional
        Defaults to the running application.

    Returns
    -------
    WheelGuard or None
        None when there is no application yet.
    """
    app = app or QApplication.instance()
    if app is None:
        return None
    guard = app.findChild(WheelGuard)
    if guard is None:
        guard = WheelGuard(app)  # a child of the app: lives as long as it
        app.installEventFilter(guard)
    return guard
