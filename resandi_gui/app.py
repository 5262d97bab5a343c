"""Entry point of ``resandi-gui``.

``resandi-gui [FILES...] [--classify] [--screenshot PNG] [--tab data|results|training] [--batch-dialog]``
opens the files, optionally classifies them, and with ``--screenshot`` saves the
main window once all work is done and exits (exit code 1 if a job failed), so
the app can be looked at and smoke-tested without a screen. ``--batch-dialog``
opens File ▸ Batch Classify Folders with the FILES that are folders in it (the
screenshot is then of the dialog).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

TABS = ("data", "results", "training")
#: After the window is shown, wait this long before loading the heavy libraries.
WARM_UP_DELAY_MS = 500


def window_size(text: str) -> tuple[int, int]:
    """``"1400x900"`` -> (1400, 900); an argparse type, so a bad value is a usage error."""
    width, _, height = text.lower().partition("x")
    try:
        size = int(width), int(height)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in px, e.g. 1400x900, not {text!r}") from None
    if min(size) < 200:
        raise argparse.ArgumentTypeError(f"a window of {text} px is too small (200x200 at least)")
    return size


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resandi-gui", description="ResAnDi desktop app")
    parser.add_argument("files", nargs="*", metavar="FILES", help="track files or TIFF movies to open")
    parser.add_argument("--classify", action="store_true", help="classify the files once opened (movies are linked first)")
    parser.add_argument("--screenshot", metavar="PNG", help="save the main window to PNG once all work is done, then exit")
    parser.add_argument("--tab", choices=TABS, help="show this tab (for --screenshot)")
    parser.add_argument("--batch-dialog", action="store_true",
                        help="open File > Batch Classify Folders with the FILES that are folders (for --screenshot)")
    parser.add_argument("--size", type=window_size, default="1400x900", metavar="WxH",
                        help="window size in px (default 1400x900)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Start the app; returns the exit code."""
    import multiprocessing

    multiprocessing.freeze_support()  # data generation spawns workers; a frozen app build needs this
    args = build_parser().parse_args(argv)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .errors import setup_logging

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ResAnDi")
    setup_logging()
    from .errors import install_excepthook
    from .main_window import MainWindow

    window = MainWindow()
    install_excepthook(window)
    window.resize(*args.size)
    window.show()
    # Load torch, trackpy and the network code once the window is up, so the first
    # classify or link does not stall the window while they load (see warm_up).
    QTimer.singleShot(WARM_UP_DELAY_MS, window.warm_up)
    failures: list[object] = []
    window.runner.failed.connect(failures.append)
    if args.screenshot and args.files:
        window.ask_calibration = lambda *_: None  # no modal dialog in a scripted run
    folders = [f for f in args.files if Path(f).is_dir()] if args.batch_dialog else []
    files = [f for f in args.files if f not in folders]
    dialog = window.study_actions.show_batch_dialog() if args.batch_dialog else None
    if dialog is not None:
        dialog.add_folders(folders)
        dialog.update_preview()
    if files:
        window.open_files(files)
        if args.classify:
            window.runner.when_idle(lambda: window.classify(window.session.files))
    if args.screenshot:

        def save_and_quit() -> None:
            warming = window.warm_up_thread is None or window.warm_up_thread.is_alive()
            if not window.is_idle or window.data_panel.preview.busy or warming:
                QTimer.singleShot(100, save_and_quit)  # the spot preview has its own thread
                return
            if args.tab:
                window.tabs.setCurrentIndex(TABS.index(args.tab))
            app.processEvents()
            ok = (dialog or window).grab().save(args.screenshot)
            if not ok:
                print(f"error: could not write the screenshot to {args.screenshot}", file=sys.stderr)
            for failure in failures:
                print(f"error: {failure.message}", file=sys.stderr)
            if window.last_error_box is not None and not failures:  # per-file or unexpected errors
                print(f"error: {window.last_error_box.text()}", file=sys.stderr)
            code = 0 if ok and not failures and window.last_error_box is None else 1
            window.close()  # stops the preview thread; nothing may outlive the app
            app.exit(code)

        # After the open (and classify) jobs; the extra delay lets plots lay out.
        QTimer.singleShot(0, lambda: window.runner.when_idle(lambda: QTimer.singleShot(300, save_and_quit)))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
