"""``resandi classify | formats | convert``: track files and movies in, classes or other formats out.

``classify`` runs the one classify-files loop (:func:`resandi_core.batch.iter_classify_files`)
that the desktop app runs too, so both give the same results.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import ResandiError
from .link import add_linking_options, link_options_from_args, params_from_args, tracks_from_stack
from .options import int_in
from .progress import run_with_bar

EXIT_OK = 0
EXIT_ERROR = 1


def _column_mapping(pairs: Sequence[str] | None) -> dict[str, str] | None:
    """``["track_id=Traj", "frame=Slice"]`` -> ``{"track_id": "Traj", "frame": "Slice"}``."""
    if not pairs:
        return None
    mapping = {}
    for pair in pairs:
        role, sep, name = pair.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise ResandiError(f"--column {pair!r} is not ROLE=NAME", hint="e.g. --column track_id=Traj --column frame=Slice")
        mapping[role.strip()] = name.strip()
    return mapping


def read_options_from_args(args: argparse.Namespace) -> dict:
    """Keyword options of :func:`~resandi_core.io.read_tracks` from parsed options."""
    return {
        "format": args.format,
        "columns": _column_mapping(args.column),
        "pixel_size_um": args.pixel_size_um,
        "frame_interval_s": args.frame_interval_s,
        "position_unit": args.position_unit,
        "sheet": args.sheet,
        "key": args.hdf5_key,
    }


def _read_input(path: Path, args: argparse.Namespace):
    """Tracks of one input: a TIFF movie is located and linked first, a track file read."""
    from ..io import read_tracks
    from ..io.inputs import is_stack_path

    if is_stack_path(path):
        return tracks_from_stack(path, args)
    tracks = read_tracks(path, **read_options_from_args(args))
    if not args.quiet:
        print(tracks.summary(), file=sys.stderr)
    return tracks


def _file_requests(files: Sequence[Path], args: argparse.Namespace) -> list:
    """One :class:`~resandi_core.batch.FileRequest` per input, with the command line's options."""
    from ..batch import FileRequest

    linking = params_from_args(args).to_dict()
    return [FileRequest(path, read_options=read_options_from_args(args), linking=linking, **link_options_from_args(args))
            for path in files]


def _cmd_classify(args: argparse.Namespace) -> int:
    from ..batch import iter_classify_files, write_results
    from ..io.inputs import expand_inputs

    files = expand_inputs(args.paths)
    model = load_model_from_args(args)

    def report(outcome) -> None:
        if outcome.failure:
            print(f"error: {outcome.failure}" + ("" if outcome.expected else " (internal error; please report it)"),
                  file=sys.stderr)
        elif not args.quiet:
            summary = outcome.link_result.summary() if outcome.link_result is not None else outcome.tracks.summary()
            counts = outcome.result.tracks["status"].value_counts().to_dict()
            print(summary + f"\n{outcome.path}: {len(outcome.result.tracks)} tracks, "
                  + ", ".join(f"{n} {s}" for s, n in counts.items()), file=sys.stderr)

    job = iter_classify_files(_file_requests(files, args), model, report, **classify_options_from_args(args))
    outcomes = run_with_bar(job, quiet=args.quiet)
    results = [o.result for o in outcomes if o.result is not None]
    if not results:
        print("error: no file could be classified; nothing written", file=sys.stderr)
        return EXIT_ERROR
    if args.report:
        written = _write_study_tables(outcomes, model, args)
    else:
        written = write_results(results, args.out)
    if not args.quiet:
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    if args.report:
        from .report import write_report_with_bar

        write_report_with_bar(Path(args.out), args.quiet)
    failed = len(outcomes) - len(results)
    if failed:
        print(f"error: {failed} of {len(files)} file(s) failed; see the lines above", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _write_study_tables(outcomes: Sequence, model, args: argparse.Namespace) -> list[Path]:
    """The tables ``resandi batch`` writes (one condition per parent folder), for ``--report``."""
    from ..io.inputs import is_stack_path
    from ..study.conditions import StudyFile
    from ..study.run import BatchOptions, error_row, write_classified

    classified, errors, summaries = [], [], {}
    for outcome in outcomes:
        item = StudyFile(outcome.path, outcome.path.resolve().parent.name)
        if outcome.result is not None:
            classified.append((item, outcome.tracks, outcome.result))
            if outcome.link_result is not None:
                summaries[str(outcome.path)] = outcome.link_result.summary()
        else:
            stage = "classify" if outcome.tracks is not None else "link" if is_stack_path(item.path) else "read"
            errors.append(error_row(item, stage, outcome.exception or RuntimeError(outcome.failure)))
    options = BatchOptions(read_options=read_options_from_args(args), linking=params_from_args(args).to_dict(),
                           link_options=link_options_from_args(args), classify_options=classify_options_from_args(args),
                           command=args.command_line)
    return write_classified(args.out, classified, model, options, errors, summaries)


def _cmd_formats(args: argparse.Namespace) -> int:
    from ..io import list_formats
    from ..io.inputs import STACK_SUFFIXES

    for info in list_formats():
        print(f"{info.name:14s} {' '.join(info.extensions):32s} {info.description}")
    print(f"{'tiff-movie':14s} {' '.join(STACK_SUFFIXES):32s} movie: particles located and linked with trackpy first")
    return EXIT_OK


def _cmd_convert(args: argparse.Namespace) -> int:
    from ..io import write_tracks_trackmate_csv, write_tracks_trackpy_csv

    tracks = _read_input(Path(args.path), args)
    writer = write_tracks_trackpy_csv if args.to == "trackpy-csv" else write_tracks_trackmate_csv
    try:
        out = writer(tracks, args.out)
    except OSError as exc:
        raise ResandiError(f"cannot write ({exc.strerror or exc})", where=str(args.out), hint="choose a writable place") from None
    if not args.quiet:
        print(f"wrote {out}: {tracks.n_tracks} tracks, {len(tracks.table)} detections, x and y in {tracks.position_unit}",
              file=sys.stderr)
    return EXIT_OK


def add_reading_options(parser: argparse.ArgumentParser) -> None:
    from ..io import list_formats

    reading = parser.add_argument_group("reading track files")
    reading.add_argument("--format", default="auto", choices=["auto", *(f.name for f in list_formats())],
                         help="file format (default: detected from the content)")
    reading.add_argument("--column", action="append", metavar="ROLE=NAME",
                         help="use column NAME for ROLE (track_id, frame, x, y, t); repeatable; default: guessed from the header")
    reading.add_argument("--position-unit", choices=["px", "um"], help="unit of x and y when the file does not say (default px)")
    reading.add_argument("--sheet", metavar="NAME_OR_INDEX", help="Excel sheet (default: the first)")
    reading.add_argument("--hdf5-key", metavar="KEY", help="table inside an HDF5 file (default: the only or trackpy's)")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """``--model``, ``--device``, ``--batch-size``, ``--target-class``, ``--relu``, ``--no-gradcam``, ``--window-stride``."""
    from ..devices import DEVICE_CHOICES
    from ..model.preprocess import DEFAULT_WINDOW_STRIDE
    from ..model.spec import CLASS_NAMES

    parser.add_argument("--model", metavar="NAME_OR_PATH", help="model name (see `resandi models`) or folder; default: the bundled model")
    parser.add_argument("--device", default="auto", help=f"one of {', '.join(DEVICE_CHOICES)} or cuda:N (default auto)")
    parser.add_argument("--batch-size", type=int_in(1), metavar="N", help="windows per forward pass (default 256 on CPU, 1024 on GPU)")
    parser.add_argument("--target-class", default=None, metavar="CLASS",
                          help="class whose Grad-CAM is computed: " + ", ".join(CLASS_NAMES) + " (default: the predicted class)")
    parser.add_argument("--relu", action="store_true", help="clip negative Grad-CAM scores to 0 (default: signed, as in the paper)")
    parser.add_argument("--no-gradcam", action="store_true", help="skip per-point Grad-CAM (gradcam.csv stays empty)")
    parser.add_argument("--window-stride", type=int_in(1, 1000), default=DEFAULT_WINDOW_STRIDE, metavar="POINTS",
                          help=f"step between 1000-point windows of longer tracks (default {DEFAULT_WINDOW_STRIDE})")


def classify_options_from_args(args: argparse.Namespace) -> dict:
    """Keyword options of :func:`~resandi_core.classify.iter_classify` from parsed options."""
    return {"device": args.device, "batch_size": args.batch_size, "target_class": args.target_class,
            "relu": args.relu, "gradcam": not args.no_gradcam, "window_stride": args.window_stride}


def load_model_from_args(args: argparse.Namespace):
    """The model the options name, with its device and trust printed unless ``args.quiet``."""
    from ..classify import class_index
    from ..devices import resolve_device
    from ..model.registry import load_model
    from ..trust import describe_trust

    class_index(args.target_class)  # a bad class name is one error, not one per file
    model = load_model(args.model)
    if not model.trained:
        print(f"warning: model {model.name!r} is UNTRAINED (random weights); its classes are meaningless",
              file=sys.stderr)
    _, device_reason = resolve_device(args.device)
    if not args.quiet:
        print(f"model: {model.name} ({model.path})\ndevice: {device_reason}", file=sys.stderr)
        print(describe_trust(model.config), file=sys.stderr)
    return model


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``classify``, ``formats`` and ``convert`` to a ``parser.add_subparsers()`` object."""
    classify = sub.add_parser("classify", help="classify the tracks of track files or TIFF movies", description=(
        "Read track files (trackpy, TrackMate CSV/XML, CSV/TSV/Excel tables, AnDi text, NumPy; "
        "the format is detected) or link the particles of TIFF movies, classify every track and write "
        "results.csv (with MSD alpha and D), gradcam.csv and windows.csv into --out."))
    classify.add_argument("paths", nargs="+", metavar="PATH", help="track files or TIFF movies, or folders of them")
    classify.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    add_model_options(classify)
    classify.add_argument("--report", action="store_true", help=(
        "also write tracks.csv, summary.csv, emsd.csv, errors.csv and run.json (as `resandi batch`; results.csv "
        "gains a condition column: the parent folder) and report/report.html and report.pdf"))
    classify.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    add_reading_options(classify)
    add_linking_options(classify)  # also --pixel-size-um and --frame-interval-s, used for track files too
    classify.set_defaults(func=_cmd_classify)

    formats_cmd = sub.add_parser("formats", help="list the track file formats that are read")
    formats_cmd.set_defaults(func=_cmd_formats)

    convert = sub.add_parser("convert", help="convert a track file to trackpy or TrackMate CSV")
    convert.add_argument("path", metavar="PATH", help="any track file (or TIFF movie, linked first)")
    convert.add_argument("--out", required=True, metavar="CSV")
    convert.add_argument("--to", choices=["trackpy-csv", "trackmate-csv"], default="trackpy-csv")
    convert.add_argument("-q", "--quiet", action="store_true")
    for option in ("format", "column", "position_unit", "sheet", "hdf5_key"):
        convert.set_defaults(**{option: "auto" if option == "format" else None})
    add_linking_options(convert)
    convert.set_defaults(func=_cmd_convert)
