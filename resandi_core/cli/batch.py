"""``resandi batch``: folders of files by condition into one results folder (and its report)."""

from __future__ import annotations

import argparse
import sys

from .classify import (
    add_model_options,
    add_reading_options,
    classify_options_from_args,
    load_model_from_args,
    read_options_from_args,
)
from .link import add_linking_options, link_options_from_args, params_from_args
from .options import int_in
from .progress import run_with_bar
from .report import write_report_with_bar

EXIT_OK = 0
EXIT_ERROR = 1


def _cmd_batch(args: argparse.Namespace) -> int:
    from ..study.conditions import assign_conditions
    from ..study.run import BatchOptions, iter_batch

    files = assign_conditions(args.paths, depth=args.condition_depth, condition_map=args.condition_map)
    model = load_model_from_args(args)
    if not args.quiet:
        by_condition: dict[str, int] = {}
        for item in files:
            by_condition[item.condition] = by_condition.get(item.condition, 0) + 1
        print(f"{len(files)} files in {len(by_condition)} conditions: "
              + ", ".join(f"{c} ({n})" for c, n in by_condition.items()), file=sys.stderr)
    options = BatchOptions(
        read_options=read_options_from_args(args), linking=params_from_args(args).to_dict(),
        link_options=link_options_from_args(args), classify_options=classify_options_from_args(args),
        force=args.force, command=args.command_line,
    )
    result = run_with_bar(iter_batch(files, model, args.out, options), quiet=args.quiet)
    for row in result.errors.itertuples():
        print(f"error: {row.file} ({row.stage}): {row.reason} ({row.what_to_do})", file=sys.stderr)
    if not args.quiet:
        print(f"{result.n_classified} files classified, {result.n_reused} reused from an earlier run "
              f"(--force classifies them again), {result.n_failed} failed (errors.csv)\n"
              f"wrote {', '.join(p.name for p in result.written)} in {result.out_dir}", file=sys.stderr)
    if args.report and result.n_classified + result.n_reused:
        write_report_with_bar(result.out_dir, args.quiet)
    if result.n_classified + result.n_reused == 0:
        print("error: no file could be classified", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_ERROR if result.n_failed else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``batch`` to a ``parser.add_subparsers()`` object."""
    batch = sub.add_parser("batch", help="classify folders of track files and movies by condition", description=(
        "Classify every track file and TIFF movie under the folders given, by condition: the first sub-folder "
        "level names the condition (EXPERIMENT/control/*.csv, EXPERIMENT/drug/*.tif). Writes results.csv "
        "(with file and condition), gradcam.csv, windows.csv, tracks.csv, summary.csv (class fractions with 95%% "
        "intervals per file and condition), emsd.csv, errors.csv and run.json into --out. One bad file never "
        "stops the others; running the same command again skips the files already finished."))
    batch.add_argument("paths", nargs="+", metavar="FOLDER", help="folders (or files) to classify")
    batch.add_argument("--out", required=True, metavar="DIR", help="results folder (created if missing)")
    batch.add_argument("--condition-depth", type=int_in(0, 10), default=1, metavar="N",
                       help="folder levels below each FOLDER that name the condition (default 1; 0: FOLDER itself)")
    batch.add_argument("--condition-map", metavar="CSV", help="CSV with columns file,condition (overrides folders)")
    batch.add_argument("--force", action="store_true", help="classify files again even if finished with the same options")
    batch.add_argument("--report", action="store_true", help="also write report/report.html and report.pdf")
    batch.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    add_model_options(batch)
    add_reading_options(batch)
    add_linking_options(batch)
    batch.set_defaults(func=_cmd_batch)
