"""Desktop app speed: time to a shown main window, and time to draw 5,000 tracks.

    python benchmarks/gui.py [--rounds 5] [--tracks 5000] [--onscreen] [--skip-launch] [--skip-draw]

``launch``
    Starts ``python -c ...`` in a fresh subprocess per round and measures inside
    the child, from its first statement to ``window.show()`` plus
    ``processEvents()``, for ``resandi_gui.main_window.MainWindow()`` and for a bare
    ``QMainWindow`` (the floor: Python, Qt and the platform plugin). The child
    also reports whether ``torch`` got imported (it must not be: the window has
    to open before the heavy imports) and the time since the process was created
    (from ``/proc``, 10 ms resolution, Linux only), which adds interpreter start-up.
    Settings go to a temporary file, never the user's.
``draw``
    5,000 random-walk tracks (lengths 60-1000, ~2.6 M points) with random
    Grad-CAM scores, drawn in the Results view's overview coloured by Grad-CAM
    and by class, against the baseline of the same points as ONE single-colour
    ``PlotCurveItem`` with a connect array. Each timing runs from handing the
    data to the widget to the end of a ``grab()`` after ``processEvents()``, so
    the paint really happens. The one-off preparation per file (sorting the
    table into flat arrays, matching scores to points) is timed separately.

Medians over rounds, methods interleaved so that a noisy neighbour hurts them
alike. Offscreen (``QT_QPA_PLATFORM=offscreen``) unless ``--onscreen``.
Targets: launch < 2 s, draw < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LAUNCH_TARGET_S = 2.0
DRAW_TARGET_S = 1.0

# Runs in the child; {window} is the expression that builds the window.
CHILD = r"""
import time
t0 = time.perf_counter()
import json, os, sys
def since_process_start():
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        start = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]) / ticks
        return float(open("/proc/uptime").read().split()[0]) - start
    except Exception:
        return float("nan")
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
error = ""
try:
    {imports}
    window = {window}
except Exception as exc:  # the main window is being rewritten: report, don't hide
    import traceback
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    from PySide6.QtWidgets import QMainWindow
    window = QMainWindow()
window.show()
app.processEvents()
t1 = time.perf_counter()
print(json.dumps({"seconds": t1 - t0, "since_process_start": since_process_start(),
                  "torch": "torch" in sys.modules, "error": error}))
"""

WINDOWS = {
    "bare QMainWindow": ("from PySide6.QtWidgets import QMainWindow", "QMainWindow()"),
    "resandi MainWindow": ("from resandi_gui.main_window import MainWindow", "MainWindow()"),
}


def launch_once(name: str, env: dict[str, str]) -> dict:
    imports, window = WINDOWS[name]
    code = CHILD.replace("{imports}", imports).replace("{window}", window)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"seconds": float("nan"), "since_process_start": float("nan"), "torch": False,
                "error": (run.stderr.strip().splitlines() or ["no output"])[-1], "exit_code": run.returncode}
    # A crash while exiting (after the window was shown and timed) is reported, not hidden.
    return {**json.loads(lines[-1]), "exit_code": run.returncode}


def bench_launch(rounds: int, env: dict[str, str]) -> None:
    results: dict[str, list[dict]] = {name: [] for name in WINDOWS}
    for name in WINDOWS:  # warm-up: the first start reads everything from disk
        launch_once(name, env)
    for _ in range(rounds):
        for name in WINDOWS:
            results[name].append(launch_once(name, env))
    print(f"\nlaunch: start python -c ... -> window shown, median of {rounds} (target < {LAUNCH_TARGET_S:g} s)")
    print(f"{'window':22s} {'in child':>10s} {'since exec':>11s}  torch imported")
    medians = {}
    for name, runs in results.items():
        medians[name] = statistics.median(r["seconds"] for r in runs)
        exec_median = statistics.median(r["since_process_start"] for r in runs)
        torch = any(r["torch"] for r in runs)
        print(f"{name:22s} {medians[name]:9.3f}s {exec_median:10.2f}s  {'YES (must not be)' if torch else 'no'}")
        for error in {r["error"] for r in runs if r["error"]}:
            print(f"  ! {name} failed, measured a bare QMainWindow instead: {error}")
        for code in {r["exit_code"] for r in runs if r["exit_code"]}:
            print(f"  ! {name}: the child exited with code {code} after the window was shown")
    main, bare = medians["resandi MainWindow"], medians["bare QMainWindow"]
    verdict = "meets" if main < LAUNCH_TARGET_S else "MISSES"
    print(f"MainWindow / bare: {main / bare:.2f}x; MainWindow {verdict} the {LAUNCH_TARGET_S:g} s target")


def synthetic_tracks(n_tracks: int, seed: int = 0):
    """A tracks table (px) and random scores per point, like a large TrackMate export."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    lengths = rng.integers(60, 1001, n_tracks)
    track = np.repeat(np.arange(n_tracks), lengths)
    steps = rng.normal(0, 0.8, (int(lengths.sum()), 2))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    steps[starts] = rng.uniform(0, 2048, (n_tracks, 2))  # each track starts somewhere in the field
    walked = np.cumsum(steps, axis=0)
    # Restart the cumulative sum at each track's first point.
    xy = walked - np.repeat(walked[starts] - steps[starts], lengths, axis=0)
    frames = np.arange(len(track)) - np.repeat(starts, lengths)
    table = pd.DataFrame({"track_id": track, "frame": frames, "x": xy[:, 0], "y": xy[:, 1]})
    gradcam = pd.DataFrame({"track_id": track, "frame": frames, "score": rng.normal(0, 0.1, len(track))})
    return table, gradcam, lengths


def bench_draw(rounds: int, n_tracks: int) -> None:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from resandi_core.model.spec import CLASS_NAMES
    from resandi_gui.widgets.colored_segments import connect_mask
    from resandi_gui.widgets.overview_plot import COLOR_BY_CLASS, COLOR_BY_GRADCAM, OverviewPlot
    from resandi_gui.widgets.track_lines import TrackLines

    app = QApplication.instance() or QApplication(sys.argv[:1])
    table, gradcam, lengths = synthetic_tracks(n_tracks)
    rng = np.random.default_rng(1)
    classes = rng.choice(CLASS_NAMES, n_tracks).astype(object)

    start = time.perf_counter()
    lines = TrackLines.from_table(table)
    flat = time.perf_counter() - start
    start = time.perf_counter()
    scores = lines.scores_from(gradcam)
    matched = time.perf_counter() - start

    overview = OverviewPlot()
    overview.resize(900, 700)
    overview.show()
    baseline = pg.PlotWidget(background="w")
    baseline.resize(900, 700)
    baseline.show()
    connect = connect_mask(lines.lengths)
    curve = pg.PlotCurveItem(pen=pg.mkPen("#332288", width=1), skipFiniteCheck=True)
    baseline.addItem(curve)
    app.processEvents()

    def draw_overview(mode: str) -> None:
        overview.set_mode(mode)
        overview.set_data(lines, classes, scores, relu=False, score_label="Grad-CAM score")
        app.processEvents()
        overview.grab()

    def draw_baseline() -> None:
        curve.setData(lines.x, lines.y, connect=connect)
        baseline.getPlotItem().enableAutoRange()
        app.processEvents()
        baseline.grab()

    methods = {
        "overview, by Grad-CAM": lambda: draw_overview(COLOR_BY_GRADCAM),
        "overview, by class": lambda: draw_overview(COLOR_BY_CLASS),
        "one curve (baseline)": draw_baseline,
    }
    for fn in methods.values():  # warm-up
        fn()
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(rounds):
        for name, fn in methods.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    n_points = len(lines.x)
    print(f"\ndraw: {n_tracks:,} tracks, {n_points:,} points, lengths {lengths.min()}-{lengths.max()}, "
          f"900x700 px, median of {rounds} (target < {DRAW_TARGET_S:g} s)")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, seconds in medians.items():
        print(f"{name:24s} {seconds:7.3f} s")
    base = medians["one curve (baseline)"]
    for name in ("overview, by Grad-CAM", "overview, by class"):
        verdict = "meets" if medians[name] < DRAW_TARGET_S else "MISSES"
        print(f"{name} / baseline: {medians[name] / base:.2f}x ({verdict} the {DRAW_TARGET_S:g} s target)")
    print(f"once per file: flat arrays from the table {flat:.3f} s, scores matched to points {matched:.3f} s")
    overview.close()
    baseline.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tracks", type=int, default=5000)
    parser.add_argument("--onscreen", action="store_true", help="use the real display instead of offscreen")
    parser.add_argument("--skip-launch", action="store_true")
    parser.add_argument("--skip-draw", action="store_true")
    args = parser.parse_args()
    if not args.onscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import pyqtgraph
    import PySide6

    print(f"Python {sys.version.split()[0]}, PySide6 {PySide6.__version__}, pyqtgraph {pyqtgraph.__version__}, "
          f"platform {os.environ.get('QT_QPA_PLATFORM', 'default')}, {os.cpu_count()} CPUs")
    if not args.skip_launch:
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "RESANDI_SETTINGS_FILE": str(Path(folder) / "settings.json")}
            env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
            bench_launch(args.rounds, env)
    if not args.skip_draw:
        bench_draw(args.rounds, args.tracks)


if __name__ == "__main__":
    main()
