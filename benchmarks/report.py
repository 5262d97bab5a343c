"""Time to write the report (figures, HTML, PDF) of a synthetic batch run of 10,000 tracks.

    python benchmarks/report.py [--tracks 10000] [--files 10] [--rounds 3]

The run folder (tests/report_fixture.py: random-walk tracks in 2 conditions, with
results, Grad-CAM, tracks, summary, ensemble MSD and errors tables) is written
once, outside the timing; each round then writes a fresh report of it. Prints the
median seconds over the rounds and tracks/s, and the sizes of what was written.
The report's cost hardly grows with the tracks: it draws a fixed set of figures
(the gallery 12 tracks, at most 300 points per α box), and reads tracks.csv and
gradcam.csv once, in chunks, for the gallery's tracks.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the run-folder fixture

from report_fixture import write_synthetic_run

from resandi_core.report import write_report


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10_000, help="tracks in the run (all files together)")
    parser.add_argument("--files", type=int, default=10, help="files, split over 2 conditions")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    half = max(args.files // 2, 1)
    conditions = {"control": [f"control/cell_{i:02d}.csv" for i in range(half)],
                  "drug 10 uM": [f"drug/cell_{i:02d}.csv" for i in range(half, 2 * half)]}
    per_file = max(args.tracks // (2 * half), 1)
    with tempfile.TemporaryDirectory(prefix="resandi-report-bench-") as tmp:
        start = time.perf_counter()
        run = write_synthetic_run(Path(tmp) / "run", tracks_per_file=per_file, conditions=conditions)
        n_tracks = per_file * 2 * half
        print(f"synthetic run: {n_tracks:,} tracks in {2 * half} files, {folder_size(run) / 1e6:.0f} MB of tables "
              f"(written in {time.perf_counter() - start:.1f} s, not timed)")
        seconds = []
        for k in range(args.rounds):
            start = time.perf_counter()
            paths = write_report(run, Path(tmp) / f"report_{k}")
            seconds.append(time.perf_counter() - start)
            print(f"round {k + 1}: {seconds[-1]:.1f} s")
        median = statistics.median(seconds)
        print(f"report of {n_tracks:,} tracks: {median:.1f} s (median of {args.rounds}), "
              f"{n_tracks / median:,.0f} tracks/s")
        figures = sorted(paths.figures.glob("*.png"))
        print(f"written: report.html {paths.html.stat().st_size / 1e6:.1f} MB, report.pdf "
              f"{paths.pdf.stat().st_size / 1e6:.1f} MB, {len(figures)} figures "
              f"({folder_size(paths.figures) / 1e6:.1f} MB as PNG + SVG + CSV)")


if __name__ == "__main__":
    main()
