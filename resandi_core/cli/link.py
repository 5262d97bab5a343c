"""The ``resandi link`` command and the linking options other commands share.

``resandi link STACK.tif --out tracks.csv [options]`` locates and links the
particles of a movie and writes a trackpy-style CSV (``frame, particle, x, y``
then trackpy's columns), positions in px. :func:`add_linking_options` puts the
same options on any parser and :func:`tracks_from_stack` turns a parsed command
line into tracks, so ``resandi classify STACK.tif`` can link first.

Run on its own (before ``cli.py`` registers it): ``python -m resandi_core.cli.link
link STACK.tif --out tracks.csv``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import OutputError
from ..io.inputs import STACK_SUFFIXES
from ..tracks import Tracks
from .options import at_least
from .progress import run_with_bar


def add_linking_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that read a movie and locate and link its particles.

    All go in one argument group; defaults are :class:`LinkingParams`'. Units:
    px for sizes and distances, frames for times.
    """
    from ..linking import LinkingParams

    d = LinkingParams()
    group = parser.add_argument_group("linking (TIFF movies)", "locate particles with trackpy and link them into tracks")
    group.add_argument("--frames", metavar="A:B", help="frames A to B-1 only (default: all); numbering stays the file's")
    group.add_argument("--channel", type=at_least(int, 0, "--channel"), metavar="C",
                       help="channel to use when the movie has several (0-based; 0/1/2 = red/green/blue of an RGB movie)")
    group.add_argument("--z", type=at_least(int, 0, "--z"), metavar="Z", help="z-plane to use when the movie has several (0-based)")
    group.add_argument("--diameter", type=int, default=d.diameter, metavar="PX",
                       help=f"particle diameter in px, an odd number a bit larger than the spots (default {d.diameter})")
    group.add_argument("--minmass", type=float, default=d.minmass, metavar="MASS",
                       help=f"least integrated brightness of a particle (default {d.minmass:g})")
    group.add_argument("--invert", action="store_true", help="dark particles on a bright background")
    group.add_argument("--search-range", type=float, default=d.search_range, metavar="PX",
                       help=f"farthest a particle moves between frames, px (default {d.search_range:g})")
    group.add_argument("--memory", type=at_least(int, 0, "--memory"), default=d.memory, metavar="FRAMES",
                       help=f"frames a particle may vanish and keep its track (default {d.memory})")
    group.add_argument("--adaptive-stop", type=float, default=None, metavar="PX",
                       help="shrink the search range down to this many px where linking is ambiguous (default: off)")
    group.add_argument("--adaptive-step", type=float, default=d.adaptive_step, metavar="FACTOR",
                       help=f"factor applied at each adaptive step (default {d.adaptive_step})")
    group.add_argument("--min-length", type=at_least(int, 1, "--min-length"), default=d.min_length, metavar="FRAMES",
                       help=f"drop tracks with fewer detections (default {d.min_length})")
    group.add_argument("--drift", action="store_true", help="subtract the ensemble drift of all tracks (raw positions kept in x_raw, y_raw)")
    group.add_argument("--drift-smoothing", type=at_least(int, 0, "--drift-smoothing"), default=d.drift_smoothing,
                       metavar="FRAMES", help="rolling mean over this many frames applied to the drift (default 0: none)")
    group.add_argument("--pixel-size-um", type=float, default=None, metavar="UM",
                       help="µm per pixel (default: from the file's metadata, else unknown)")
    group.add_argument("--frame-interval-s", type=float, default=None, metavar="S",
                       help="seconds per frame (default: from the file's metadata, else unknown)")
    group.add_argument("--processes", type=at_least(int, 1, "--processes"), default=None, metavar="N",
                       help="processes that locate particles (default: all CPUs)")


def params_from_args(args: argparse.Namespace):
    """:class:`LinkingParams` from parsed options (missing ones keep their defaults)."""
    from ..linking import LinkingParams

    names = {
        "diameter": "diameter", "minmass": "minmass", "invert": "invert", "search_range": "search_range",
        "memory": "memory", "adaptive_stop": "adaptive_stop", "adaptive_step": "adaptive_step",
        "min_length": "min_length", "drift": "subtract_drift", "drift_smoothing": "drift_smoothing",
    }
    return LinkingParams.from_dict({field: getattr(args, arg) for arg, field in names.items() if hasattr(args, arg)})


def link_options_from_args(args: argparse.Namespace) -> dict:
    """Keyword options of :func:`~resandi_core.linking.iter_link` from parsed options."""
    return {
        name: getattr(args, name, None)
        for name in ("frames", "channel", "z", "pixel_size_um", "frame_interval_s", "processes")
    }


def link_from_args(path: str | os.PathLike, args: argparse.Namespace):
    """Link one movie as the parsed options say, with a progress bar and a summary.

    Returns
    -------
    LinkResult
    """
    from ..linking import iter_link

    quiet = bool(getattr(args, "quiet", False))
    job = iter_link(path, params_from_args(args), **link_options_from_args(args))
    result = run_with_bar(job, Path(path).name, quiet)
    if not quiet:
        print(result.summary(), file=sys.stderr)
    return result


def tracks_from_stack(path: str | os.PathLike, args: argparse.Namespace) -> Tracks:
    """Tracks of a movie linked with the options of :func:`add_linking_options`.

    For commands that accept movies as well as track tables (``resandi classify
    STACK.tif``): prints a progress bar and a summary on stderr unless
    ``args.quiet``; options the parser lacks keep their defaults.
    """
    return link_from_args(path, args).tracks


def _cmd_link(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_dir():
        # Only the movie suffix goes: "cells.t01.tif" and "cells.t02.tif" must not share an output.
        name = Path(args.stack).name
        suffix = max((s for s in STACK_SUFFIXES if name.lower().endswith(s)), key=len, default="")
        out = out / f"{name[: len(name) - len(suffix)]}_tracks.csv"
    # Say so before minutes of linking, not after.
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        raise OutputError("the output folder does not exist or is not writable", where=str(out.parent),
                          hint="create it, or choose another place with --out")
    from ..io.writers import write_tracks_trackpy_csv

    result = link_from_args(args.stack, args)
    write_tracks_trackpy_csv(result.tracks, out)
    if not args.quiet:
        print(f"wrote {out} ({result.n_tracks_kept} tracks, {len(result.tracks.table)} detections; x, y in px)",
              file=sys.stderr)
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``link`` command to a ``parser.add_subparsers()`` object; return its parser."""
    link = subparsers.add_parser(
        "link",
        help="locate and link the particles of a TIFF movie into tracks (trackpy)",
        description=(
            "Locate the particles of a TIFF movie (multi-page, OME-TIFF or ImageJ) with trackpy, link them into "
            "tracks and write a trackpy-style CSV (frame, particle, x, y, mass, ...; positions in px)."
        ),
    )
    link.add_argument("stack", metavar="STACK", help="TIFF movie")
    link.add_argument("--out", required=True, metavar="CSV", help="tracks file to write (a folder: STACK_tracks.csv inside)")
    link.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    add_linking_options(link)
    link.set_defaults(func=_cmd_link)
    return link
