"""Linking a TIFF movie: our streamed path against a plain trackpy script, and its memory.

    python benchmarks/linking.py [--stack bulk_water.tif] [--rounds 3] [--processes 2]
                                 [--big-frames 2000] [--big-size 1024] [--json out.json]

(a) speed: ``resandi link`` (``python -m resandi_core.cli link``) against a
    script that does what a trackpy user writes (``tifffile.imread``, ``tp.batch``,
    ``tp.link``, ``tp.filter_stubs``, ``to_csv``), both in fresh processes with the
    same parameters and the same number of processes. The rounds interleave the
    two, alternating which goes first, so a busy neighbour hurts both alike; the
    ratio is of the medians (target <= 1.10). Both outputs are compared.
(b) memory: a movie of ``--big-frames`` frames of ``--big-size``² uint8 px (2000 x
    1024² = 2.1 GB by default) with moving Gaussian spots is written to a temporary
    folder, linked by ``resandi link`` in a subprocess, and deleted. Peak memory is
    ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` seen by a wrapper process (the
    largest single process: the main one or a worker) and, on Linux, the largest
    sum of the RSS of the whole process tree sampled every 0.1 s (an upper bound:
    pages that forked workers share are counted once per process). Target < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STACK = ROOT.parent / "shared" / "data" / "bulk_water.tif"
#: bulk_water.tif's parameters (shared/data/README.md).
BULK_PARAMS = dict(diameter=11, minmass=20, invert=True, search_range=5, memory=3, min_length=25)
#: Parameters for the generated movie's spots.
BIG_PARAMS = dict(diameter=7, minmass=150, invert=False, search_range=5, memory=3, min_length=25)

TRACKPY_SCRIPT = """
import sys, tifffile, trackpy as tp
stack, out, processes, diameter, minmass, invert, search_range, memory, min_length = sys.argv[1:]
tp.quiet()
frames = tifffile.imread(stack)
f = tp.batch(frames, int(diameter), minmass=float(minmass), invert=invert == "True", processes=int(processes))
t = tp.link(f, float(search_range), memory=int(memory))
t = tp.filter_stubs(t, int(min_length))
t.to_csv(out, index=False)
"""

# Runs a command, samples the RSS of its process tree, then reports the peak RSS
# of any single descendant (RUSAGE_CHILDREN) and the peak tree sum, as JSON.
WRAPPER = r"""
import json, os, resource, subprocess, sys, time

def tree_rss_kb(root):
    children = {}
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(pid))
        except OSError:
            continue
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total

start = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
peak_tree = 0
linux = os.path.isdir("/proc/self")
while process.poll() is None:
    if linux:
        peak_tree = max(peak_tree, tree_rss_kb(process.pid))
    time.sleep(0.1)
stderr = process.stderr.read().decode(errors="replace")
wall = time.perf_counter() - start
maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
if sys.platform == "darwin":
    maxrss //= 1024  # bytes there, KiB on Linux
print(json.dumps({"rc": process.returncode, "wall_s": wall, "maxrss_kb": maxrss,
                  "tree_rss_kb": peak_tree if linux else None, "stderr": stderr[-2000:]}))
"""


def measured(command: list[str]) -> dict:
    """Run ``command`` under the wrapper; its wall time and peak memory."""
    run = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, check=True)
    result = json.loads(run.stdout)
    if result["rc"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result['rc']}):\n{result['stderr']}")
    return result


def ours_command(stack: Path, out: Path, params: dict, processes: int) -> list[str]:
    command = [sys.executable, "-m", "resandi_core.cli", "link", str(stack), "--out", str(out), "-q",
               "--diameter", str(params["diameter"]), "--minmass", str(params["minmass"]),
               "--search-range", str(params["search_range"]), "--memory", str(params["memory"]),
               "--min-length", str(params["min_length"]), "--processes", str(processes)]
    return command + (["--invert"] if params["invert"] else [])


def trackpy_command(stack: Path, out: Path, params: dict, processes: int) -> list[str]:
    values = [params[k] for k in ("diameter", "minmass", "invert", "search_range", "memory", "min_length")]
    return [sys.executable, "-c", TRACKPY_SCRIPT, str(stack), str(out), str(processes), *map(str, values)]


def same_tracks(ours_csv: Path, trackpy_csv: Path) -> bool:
    """Same detections (frame, x, y) and the same grouping into tracks."""
    import pandas as pd

    ours = pd.read_csv(ours_csv).sort_values(["frame", "x", "y"]).reset_index(drop=True)
    theirs = pd.read_csv(trackpy_csv).sort_values(["frame", "x", "y"]).reset_index(drop=True)
    if len(ours) != len(theirs) or not np.allclose(ours[["frame", "x", "y"]], theirs[["frame", "x", "y"]], rtol=0, atol=1e-9):
        return False
    pairs = set(zip(ours.particle, theirs.particle))
    return len(pairs) == ours.particle.nunique() == theirs.particle.nunique()


def speed(stack: Path, rounds: int, processes: int, work: Path) -> dict:
    times: dict[str, list[float]] = {"resandi": [], "trackpy": []}
    memory: dict[str, list[int]] = {"resandi": [], "trackpy": []}
    outputs = {"resandi": work / "ours.csv", "trackpy": work / "trackpy.csv"}
    commands = {
        "resandi": ours_command(stack, outputs["resandi"], BULK_PARAMS, processes),
        "trackpy": trackpy_command(stack, outputs["trackpy"], BULK_PARAMS, processes),
    }
    measured(commands["resandi"])  # warm the file cache and the imports once, untimed
    for round_ in range(rounds):
        order = ["resandi", "trackpy"] if round_ % 2 == 0 else ["trackpy", "resandi"]
        for name in order:
            result = measured(commands[name])
            times[name].append(result["wall_s"])
            memory[name].append(result["maxrss_kb"])
            print(f"  round {round_ + 1}: {name:8s} {result['wall_s']:6.2f} s", file=sys.stderr)
    medians = {name: statistics.median(values) for name, values in times.items()}
    import pandas as pd

    table = pd.read_csv(outputs["resandi"])
    return {
        "stack": str(stack),
        "processes": processes,
        "rounds": rounds,
        "params": BULK_PARAMS,
        "wall_s": times,
        "median_s": medians,
        "ratio": medians["resandi"] / medians["trackpy"],
        "target_ratio": 1.10,
        "peak_rss_mb": {name: max(values) / 1024 for name, values in memory.items()},
        "same_tracks": same_tracks(outputs["resandi"], outputs["trackpy"]),
        "n_tracks": int(table.particle.nunique()),
        "n_detections": len(table),
    }


def write_big_stack(path: Path, n_frames: int, size: int, n_spots: int = 40, seed: int = 0) -> float:
    """Write a uint8 movie of Gaussian spots (sigma 1.5 px, random walks); return seconds taken.

    The background is flat: on pixel noise trackpy (without numba) refines
    thousands of noise peaks per megapixel frame in Python, which would make this
    a benchmark of trackpy's refinement rather than of our streaming. Each spot is
    a 15 x 15 patch, so writing is bound by the disk, not by drawing.
    """
    import tifffile

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    background = np.full((size, size), 20.0, dtype=np.float32)
    margin = 20
    positions = rng.uniform(margin, size - margin, size=(n_spots, 2))
    offsets = np.arange(-7, 8)
    with tifffile.TiffWriter(path, bigtiff=n_frames * size * size > 3_900_000_000) as writer:
        for _ in range(n_frames):
            frame = background.copy()
            positions = np.clip(positions + rng.normal(0, 0.7, size=positions.shape), margin, size - margin)
            for x, y in positions:
                ix, iy = int(x), int(y)
                gx = np.exp(-((ix + offsets - x) ** 2) / (2 * 1.5**2))
                gy = np.exp(-((iy + offsets - y) ** 2) / (2 * 1.5**2))
                frame[iy - 7 : iy + 8, ix - 7 : ix + 8] += 150 * np.outer(gy, gx)
            writer.write(frame.clip(0, 255).astype(np.uint8), contiguous=True, metadata={"axes": "TYX"})
    return time.perf_counter() - started


def memory(n_frames: int, size: int, processes: int, work: Path, keep: bool) -> dict:
    path = work / "big_stack.tif"
    try:
        write_s = write_big_stack(path, n_frames, size)
        size_gb = path.stat().st_size / 1e9
        print(f"  wrote {path} ({size_gb:.2f} GB) in {write_s:.1f} s", file=sys.stderr)
        out = work / "big_tracks.csv"
        result = measured(ours_command(path, out, BIG_PARAMS, processes))
        import pandas as pd

        table = pd.read_csv(out)
        return {
            "frames": n_frames,
            "frame_size_px": [size, size],
            "file_gb": size_gb,
            "write_s": write_s,
            "processes": processes,
            "params": BIG_PARAMS,
            "link_wall_s": result["wall_s"],
            "peak_rss_mb_largest_process": result["maxrss_kb"] / 1024,
            "peak_rss_mb_process_tree_sum": None if result["tree_rss_kb"] is None else result["tree_rss_kb"] / 1024,
            "target_mb": 1024,
            "n_tracks": int(table.particle.nunique()),
            "n_detections": len(table),
        }
    finally:
        if not keep:
            path.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", type=Path, default=DEFAULT_STACK, help="movie for the speed test (default bulk_water.tif)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--big-frames", type=int, default=2000, help="frames of the generated movie (0: skip the memory test)")
    parser.add_argument("--big-size", type=int, default=1024, help="width = height of the generated movie, px")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None, help="where the generated movie goes (default: a temporary folder)")
    parser.add_argument("--keep-big", action="store_true", help="do not delete the generated movie")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    work = Path(tempfile.mkdtemp(prefix="resandi-bench-", dir=args.workdir))
    report = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        }
    }
    try:
        if not args.skip_speed:
            print(f"speed: {args.stack.name}, {args.rounds} rounds, {args.processes} processes", file=sys.stderr)
            report["speed"] = speed(args.stack, args.rounds, args.processes, work)
        if args.big_frames > 0:
            print(f"memory: {args.big_frames} frames of {args.big_size}² px", file=sys.stderr)
            report["memory"] = memory(args.big_frames, args.big_size, args.processes, work, args.keep_big)
    finally:
        if not args.keep_big:
            shutil.rmtree(work, ignore_errors=True)
    report["machine"]["load_average_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None

    if "speed" in report:
        s = report["speed"]
        print(f"\n{'speed (' + Path(s['stack']).name + ')':36s} {'median s':>9s}  {'rounds':s}")
        for name in ("resandi", "trackpy"):
            print(f"  {name:34s} {s['median_s'][name]:9.2f}  " + " ".join(f"{t:.2f}" for t in s["wall_s"][name]))
        print(f"  {'ratio resandi / trackpy':34s} {s['ratio']:9.3f}  (target <= {s['target_ratio']})")
        print(f"  {'same tracks':34s} {str(s['same_tracks']):>9s}  ({s['n_tracks']} tracks, {s['n_detections']} detections)")
        print(f"  {'peak RSS, MB (resandi / trackpy)':34s} {s['peak_rss_mb']['resandi']:9.0f} / {s['peak_rss_mb']['trackpy']:.0f}")
    if "memory" in report:
        m = report["memory"]
        print(f"\nmemory ({m['frames']} frames of {m['frame_size_px'][0]}² px, {m['file_gb']:.2f} GB)")
        print(f"  {'link wall time, s':34s} {m['link_wall_s']:9.1f}")
        print(f"  {'peak RSS, largest process, MB':34s} {m['peak_rss_mb_largest_process']:9.0f}  (target < {m['target_mb']})")
        if m["peak_rss_mb_process_tree_sum"] is not None:
            print(f"  {'peak RSS, process tree sum, MB':34s} {m['peak_rss_mb_process_tree_sum']:9.0f}")
        print(f"  {'tracks / detections':34s} {m['n_tracks']:9d} / {m['n_detections']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
