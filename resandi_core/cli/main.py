"""The ``resandi`` command: the parser of every command and the one place errors become lines.

Every error a user can act on (a :class:`~resandi_core.errors.ResandiError`)
prints one line (``error: FILE: what (what to do)``) and the command exits
non-zero; unexpected failures print one line too and leave the traceback in a
log file whose path is printed.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import traceback
from collections.abc import Sequence

from .. import __version__
from ..errors import ResandiError
from ..paths import cli_log_file

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CANCELLED = 130


def build_parser() -> argparse.ArgumentParser:
    """The ``resandi`` parser with every command registered."""
    from . import batch, classify, link, models, report, train

    parser = argparse.ArgumentParser(
        prog="resandi",
        description="Classify single-particle tracks into 8 anomalous-diffusion mechanisms, with Grad-CAM.",
    )
    parser.add_argument("--version", action="version", version=f"resandi {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    classify.register(sub)
    batch.register(sub)
    report.register(sub)
    link.register(sub)
    models.register(sub)
    train.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``resandi`` console script; returns the exit code.

    ``argv`` defaults to ``sys.argv[1:]``; tests call ``main([...])`` in-process.
    argparse's own usage errors exit with :data:`EXIT_USAGE` (``SystemExit``).
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.command_line = shlex.join(["resandi", *argv])  # as typed, for run.json and a report's methods
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return args.func(args)
    except ResandiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as exc:  # noqa: BLE001 - the one place that turns a crash into one line
        path = cli_log_file()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(traceback.format_exc())
            where = f"; details in {path}"
        except OSError:
            where = ""
        print(f"internal error: {type(exc).__name__}: {exc}{where}; please report it", file=sys.stderr)
        return EXIT_ERROR
