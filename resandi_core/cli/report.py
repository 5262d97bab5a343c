"""``resandi report``: the HTML and PDF report of a results folder (also behind ``--report``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .progress import run_with_bar

EXIT_OK = 0


def write_report_with_bar(run_dir: Path, quiet: bool) -> None:
    """Write the HTML and PDF report of a results folder, saying where."""
    from ..report import iter_write_report

    paths = run_with_bar(iter_write_report(run_dir), quiet=quiet)
    if not quiet:
        print(f"report: {paths.html}\n        {paths.pdf}\nfigures (PNG, SVG, CSV): {paths.figures}", file=sys.stderr)


def _cmd_report(args: argparse.Namespace) -> int:
    write_report_with_bar(Path(args.results), args.quiet)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``report`` to a ``parser.add_subparsers()`` object."""
    report = sub.add_parser("report", help="write the HTML and PDF report of a results folder", description=(
        "Write RESULTS/report/report.html (self-contained, opens offline) and report.pdf from the folder that "
        "`resandi batch` (or `resandi classify --report`) wrote, with every figure also as PNG, SVG and CSV."))
    report.add_argument("results", metavar="RESULTS_DIR")
    report.add_argument("-q", "--quiet", action="store_true")
    report.set_defaults(func=_cmd_report)
