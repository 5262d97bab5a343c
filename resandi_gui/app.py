"""Entry point of ``resandi-gui``: ``resandi-gui [--screenshot PNG]``.

``--screenshot`` saves the main window to a PNG once it is shown and exits, so
the app can be looked at (and smoke-tested) without a screen.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resandi-gui", description="ResAnDi desktop app")
    parser.add_argument("--screenshot", metavar="PNG", help="save the main window to PNG once shown, then exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Start the app; returns the exit code."""
    args = build_parser().parse_args(argv)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ResAnDi")
    window = MainWindow()
    window.show()
    if args.screenshot:
        def save_and_quit() -> None:
            ok = window.grab().save(args.screenshot)
            if not ok:
                print(f"error: could not write the screenshot to {args.screenshot}", file=sys.stderr)
            app.exit(0 if ok else 1)

        QTimer.singleShot(0, save_and_quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
