"""Real tracks whose physics is known: beads in water, linked as in the README, then classified.

    python benchmarks/bulk_water.py [--model NAME_OR_FOLDER] [--stack ../shared/data/bulk_water.tif]

``bulk_water.tif`` shows 1-µm beads diffusing freely in water (plus a slow drift
that the linking subtracts), so the honest answer for most tracks is Brownian
motion (BM; AnDi family fbm with alpha = 1). Links the whole movie with the
README's parameters (diameter 11, minmass 20, invert, search range 5, memory 3,
min length 25, drift subtracted, 0.3509 µm/px, 1/24 s) and prints, by track
length: the number of tracks, the share called BM, the share of the fbm family,
the share flagged ``uncertain``, the share of BM among the confident tracks, the
median confidence and the median MSD exponent.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from resandi_core.classify import classify_tracks  # noqa: E402
from resandi_core.linking import LinkingParams, link_stack  # noqa: E402
from resandi_core.model.registry import load_model  # noqa: E402

DEFAULT_STACK = ROOT.parent / "shared" / "data" / "bulk_water.tif"
PARAMS = LinkingParams(diameter=11, minmass=20, invert=True, search_range=5, memory=3, min_length=25, subtract_drift=True)
LENGTH_BINS = (25, 50, 100, 200, 10_000)


def summary_by_length(tracks: pd.DataFrame) -> pd.DataFrame:
    """One row per length bin (points) and one for all: counts and shares of the classified tracks."""
    ok = tracks[tracks["status"] == "ok"].copy()
    ok["length"] = pd.cut(ok["n_points"], LENGTH_BINS, right=False).astype(str)
    rows = []
    for label, group in [*ok.groupby("length", sort=False), ("all", ok)]:
        confident = group[~group["uncertain"].astype(bool)]
        rows.append({
            "points": label, "n": len(group),
            "BM": (group["predicted_class"] == "BM").mean(),
            "family_fbm": (group["family"] == "fbm").mean(),
            "uncertain": group["uncertain"].astype(bool).mean(),
            "BM_of_confident": (confident["predicted_class"] == "BM").mean() if len(confident) else np.nan,
            "median_confidence": group["confidence"].median(),
            "median_alpha_msd": group["alpha_msd"].median(),
        })
    order = {str(pd.Interval(a, b, closed="left")): i for i, (a, b) in enumerate(zip(LENGTH_BINS[:-1], LENGTH_BINS[1:]))}
    table = pd.DataFrame(rows)
    return table.sort_values("points", key=lambda s: s.map(lambda v: order.get(v, 99))).reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", type=Path, default=DEFAULT_STACK)
    parser.add_argument("--model", default=None, help="model name or folder (default: the bundled default)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--frames", default=None, help="START:STOP (default: all 300)")
    args = parser.parse_args(argv)
    if not args.stack.is_file():
        raise SystemExit(f"{args.stack} not found: pass --stack (the shared data's bulk_water.tif)")
    model = load_model(args.model)
    tracks = link_stack(args.stack, PARAMS, frames=args.frames, pixel_size_um=0.3509, frame_interval_s=1 / 24)
    result = classify_tracks(tracks, model, device=args.device, gradcam=False)
    table = summary_by_length(result.tracks)
    print(f"bulk_water.tif: {tracks.n_tracks:,} tracks linked, model {model.name}")
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160):
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
