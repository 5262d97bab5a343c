"""The ``resandi`` command: thin argument parsing over :mod:`resandi_core`.

Every error a user can act on prints one line (``error: FILE: what (what to do)``)
and the command exits non-zero; unexpected failures print one line too and leave
the traceback in a log file whose path is printed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..errors import ResandiError

log = logging.getLogger("resandi_core")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CANCELLED = 130


def _input_suffixes() -> tuple[str, ...]:
    """File name endings ``resandi classify`` takes from a folder: track formats and TIFF movies."""
    from .link import STACK_SUFFIXES
    from ..io import list_formats

    return tuple(sorted({ext for info in list_formats() for ext in info.extensions} | set(STACK_SUFFIXES)))


def expand_inputs(paths: Sequence[str]) -> list[Path]:
    """Files as given; folders expand to the track files and TIFF movies inside (sorted, recursive)."""
    suffixes = _input_suffixes()
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes))
            if not found:
                raise ResandiError(
                    "no track files or TIFF movies in this folder", where=str(path),
                    hint="files ending " + ", ".join(suffixes) + " are read",
                )
            files.extend(found)
        else:
            files.append(path)
    return files


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


def _read_input(path: Path, args: argparse.Namespace):
    """Tracks of one input: a TIFF movie is located and linked first, a track file read."""
    from .link import is_stack_path, tracks_from_stack
    from ..io import read_tracks

    if is_stack_path(path):
        return tracks_from_stack(path, args)
    tracks = read_tracks(
        path,
        format=args.format,
        columns=_column_mapping(args.column),
        pixel_size_um=args.pixel_size_um,
        frame_interval_s=args.frame_interval_s,
        position_unit=args.position_unit,
        sheet=args.sheet,
        key=args.hdf5_key,
    )
    if not args.quiet:
        print(tracks.summary(), file=sys.stderr)
    return tracks


def _run_with_bar(job, label: str, quiet: bool, unit: str = "window"):
    """Drive a progress-yielding generator with a tqdm bar on stderr; return its result."""
    from tqdm import tqdm

    from ..progress import run_job

    with tqdm(desc=label, unit=unit, file=sys.stderr, disable=quiet, dynamic_ncols=True) as bar:

        def show(event) -> None:
            bar.total = event.total
            bar.update(event.done - bar.n)

        return run_job(job, show)


def _cmd_classify(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..classify import class_index, iter_classify
    from ..devices import resolve_device
    from ..io.results import write_classification
    from ..model.store import load_model

    class_index(args.target_class)  # a bad class name is one error, not one per file
    files = expand_inputs(args.paths)
    model = load_model(args.model)
    if not model.trained:
        print(
            f"warning: model {model.name!r} is UNTRAINED (random weights); its classes are meaningless",
            file=sys.stderr,
        )
    _, device_reason = resolve_device(args.device)
    if not args.quiet:
        print(f"model: {model.name} ({model.path})\ndevice: {device_reason}", file=sys.stderr)
    parts, failed = [], 0
    for path in files:
        try:
            tracks = _read_input(path, args)
            job = iter_classify(
                tracks,
                model,
                device=args.device,
                batch_size=args.batch_size,
                target_class=args.target_class,
                relu=args.relu,
                gradcam=not args.no_gradcam,
                window_stride=args.window_stride,
            )
            result = _run_with_bar(job, path.name, args.quiet)
        except ResandiError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
            continue
        parts.append(result)
        counts = result.tracks["status"].value_counts().to_dict()
        if not args.quiet:
            print(f"{path}: {len(result.tracks)} tracks, " + ", ".join(f"{n} {s}" for s, n in counts.items()), file=sys.stderr)
    if not parts:
        print("error: no file could be classified; nothing written", file=sys.stderr)
        return EXIT_ERROR
    written = write_classification(
        pd.concat([p.tracks for p in parts], ignore_index=True),
        pd.concat([p.gradcam for p in parts], ignore_index=True),
        pd.concat([p.windows for p in parts], ignore_index=True),
        args.out,
    )
    if not args.quiet:
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    if failed:
        print(f"error: {failed} of {len(files)} file(s) failed; see the lines above", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _cmd_formats(args: argparse.Namespace) -> int:
    from .link import STACK_SUFFIXES
    from ..io import list_formats

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


def _cmd_copy_model(args: argparse.Namespace) -> int:
    from ..model.store import copy_model_folder, resolve_model_path

    preamble = Path(args.card_preamble).read_text(encoding="utf-8") if args.card_preamble else ""
    out = copy_model_folder(resolve_model_path(args.source), args.destination,
                            weights_dtype="float16" if args.float16 else "float32",
                            description=args.description, card_preamble=preamble)
    size = sum(p.stat().st_size for p in Path(out).iterdir()) / 1e6
    print(f"wrote {out} ({size:.1f} MB)")
    return EXIT_OK


def _cmd_models(args: argparse.Namespace) -> int:
    from ..model.store import bundled_models_dir, list_models, user_models_dir

    models = list_models()
    if not models:
        print("no models found")
    for info in models:
        flags = [info.origin] + (["default"] if info.is_default else []) + ([] if info.trained else ["UNTRAINED"])
        print(f"{info.name:24s} [{', '.join(flags)}] {info.description}\n{'':24s} {info.path}")
    print(f"\nbundled models: {bundled_models_dir()}\nuser models:    {user_models_dir()} (set RESANDI_MODELS_DIR to change)")
    return EXIT_OK


def _cmd_init_model(args: argparse.Namespace) -> int:
    from ..model.store import write_untrained_model

    folder = write_untrained_model(args.folder, seed=args.seed)
    print(f"wrote an UNTRAINED model (random weights, seed {args.seed}) to {folder}; for pipeline tests only")
    return EXIT_OK


def _int_in(low: int, high: int | None = None):
    """argparse type: an integer in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high if high is not None else 'any'}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    from ..devices import DEVICE_CHOICES
    from ..model.preprocess import DEFAULT_WINDOW_STRIDE
    from ..model.spec import CLASS_NAMES

    parser = argparse.ArgumentParser(
        prog="resandi",
        description="Classify single-particle tracks into 8 anomalous-diffusion mechanisms, with Grad-CAM.",
    )
    parser.add_argument("--version", action="version", version=f"resandi {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from .link import add_linking_options
    from .link import register as register_link
    from ..io import list_formats

    formats = list_formats()
    classify = sub.add_parser("classify", help="classify the tracks of track files or TIFF movies", description=(
        "Read track files (trackpy, TrackMate CSV/XML, CSV/TSV/Excel tables, AnDi text, NumPy; "
        "the format is detected) or link the particles of TIFF movies, classify every track and write "
        "results.csv (with MSD alpha and D), gradcam.csv and windows.csv into --out."))
    classify.add_argument("paths", nargs="+", metavar="PATH", help="track files or TIFF movies, or folders of them")
    classify.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    classify.add_argument("--model", metavar="NAME_OR_PATH", help="model name (see `resandi models`) or folder; default: the bundled model")
    classify.add_argument("--device", default="auto", help=f"one of {', '.join(DEVICE_CHOICES)} or cuda:N (default auto)")
    classify.add_argument("--batch-size", type=_int_in(1), metavar="N", help="windows per forward pass (default 256 on CPU, 1024 on GPU)")
    classify.add_argument("--target-class", default=None, metavar="CLASS",
                          help="class whose Grad-CAM is computed: " + ", ".join(CLASS_NAMES) + " (default: the predicted class)")
    classify.add_argument("--relu", action="store_true", help="clip negative Grad-CAM scores to 0 (default: signed, as in the paper)")
    classify.add_argument("--no-gradcam", action="store_true", help="skip per-point Grad-CAM (gradcam.csv stays empty)")
    classify.add_argument("--window-stride", type=_int_in(1, 1000), default=DEFAULT_WINDOW_STRIDE, metavar="POINTS",
                          help=f"step between 1000-point windows of longer tracks (default {DEFAULT_WINDOW_STRIDE})")
    classify.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    reading = classify.add_argument_group("reading track files")
    reading.add_argument("--format", default="auto", choices=["auto", *(f.name for f in formats)],
                         help="file format (default: detected from the content)")
    reading.add_argument("--column", action="append", metavar="ROLE=NAME",
                         help="use column NAME for ROLE (track_id, frame, x, y, t); repeatable; default: guessed from the header")
    reading.add_argument("--position-unit", choices=["px", "um"], help="unit of x and y when the file does not say (default px)")
    reading.add_argument("--sheet", metavar="NAME_OR_INDEX", help="Excel sheet (default: the first)")
    reading.add_argument("--hdf5-key", metavar="KEY", help="table inside an HDF5 file (default: the only or trackpy's)")
    add_linking_options(classify)  # also --pixel-size-um and --frame-interval-s, used for track files too
    classify.set_defaults(func=_cmd_classify)

    register_link(sub)

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

    models = sub.add_parser("models", help="list bundled and user models")
    models.set_defaults(func=_cmd_models)

    copy = sub.add_parser("copy-model", help="copy a model folder, optionally with float16 weights (half the size)")
    copy.add_argument("source", metavar="MODEL")
    copy.add_argument("destination", metavar="DIR")
    copy.add_argument("--float16", action="store_true", help="store the weights as float16 (loaded as float32)")
    copy.add_argument("--description", help="new one-line description")
    copy.add_argument("--card-preamble", metavar="MARKDOWN_FILE", help="text to put at the top of the model card")
    copy.set_defaults(func=_cmd_copy_model)

    init = sub.add_parser("init-model", help="write an UNTRAINED random model folder (pipeline tests only)")
    init.add_argument("folder", metavar="DIR")
    init.add_argument("--seed", type=int, default=0)
    init.set_defaults(func=_cmd_init_model)

    from .train import register as register_training

    register_training(sub, _int_in)
    return parser


def _log_file() -> Path:
    from platformdirs import user_log_dir

    return Path(user_log_dir("resandi", appauthor=False)) / "resandi.log"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``resandi`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
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
        path = _log_file()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(traceback.format_exc())
            where = f"; details in {path}"
        except OSError:
            where = ""
        print(f"internal error: {type(exc).__name__}: {exc}{where}; please report it", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
