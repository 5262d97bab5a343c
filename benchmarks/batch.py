"""``resandi batch`` over 100 track files, against bare inference on the same tracks in the same run.

    python benchmarks/batch.py [--files 100] [--tracks-per-file 20] [--length 200] [--rounds 3]

Writes ``--files`` trackpy CSV files (two conditions) of Brownian tracks, then, per
round and interleaved so that a noisy neighbour hurts both alike:
- ``bare``: :func:`~resandi_core.classify.classify_tracks` on all tracks at once, in
  memory (the network's own rate with Grad-CAM, nothing read or written);
- ``batch``: :func:`~resandi_core.study.run.iter_batch` into a fresh folder (hash,
  read each file in a child process, classify, keep it in the cache, write every table).
Prints tracks/s of each (median over rounds) and their ratio (target >= 0.9).
The bundled model's weights are used; speed does not depend on them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resandi_core.classify import classify_tracks
from resandi_core.io.writers import write_tracks_trackpy_csv
from resandi_core.model.registry import load_model
from resandi_core.progress import run_job
from resandi_core.study.conditions import assign_conditions
from resandi_core.study.run import BatchOptions, iter_batch
from resandi_core.tracks import Tracks


def write_study(root: Path, n_files: int, tracks_per_file: int, length: int) -> pd.DataFrame:
    """``n_files`` CSVs under root/control and root/drug; returns all tracks in one table."""
    rng = np.random.default_rng(0)
    tables = []
    for i in range(n_files):
        xy = 100 + np.cumsum(rng.normal(0, 1.5, size=(tracks_per_file, length, 2)), axis=1)
        table = pd.DataFrame({
            "track_id": np.repeat(np.arange(tracks_per_file), length), "frame": np.tile(np.arange(length), tracks_per_file),
            "x": xy[..., 0].ravel(), "y": xy[..., 1].ravel(),
        })
        folder = root / ("control" if i % 2 else "drug")
        folder.mkdir(parents=True, exist_ok=True)
        write_tracks_trackpy_csv(Tracks(table, source=f"file{i}"), folder / f"cells_{i:03d}.csv")
        tables.append(table.assign(track_id=table["track_id"] + i * tracks_per_file))
    return pd.concat(tables, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--tracks-per-file", type=int, default=20)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    model = load_model(None)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        all_tracks = write_study(root / "study", args.files, args.tracks_per_file, args.length)
        n_tracks = args.files * args.tracks_per_file
        files = assign_conditions([root / "study"])
        classify_tracks(all_tracks.head(10 * args.length), model)  # warm-up: first-call costs out of the timings
        rates: dict[str, list[float]] = {"bare": [], "batch": []}
        for k in range(args.rounds):
            start = time.perf_counter()
            classify_tracks(all_tracks, model)
            rates["bare"].append(n_tracks / (time.perf_counter() - start))
            start = time.perf_counter()
            result = run_job(iter_batch(files, model, root / f"out{k}", BatchOptions()))
            rates["batch"].append(n_tracks / (time.perf_counter() - start))
            assert result.n_classified == args.files and result.n_failed == 0
            print(f"round {k + 1}: bare {rates['bare'][-1]:.1f} tracks/s, batch {rates['batch'][-1]:.1f} tracks/s",
                  flush=True)
    bare, batch = statistics.median(rates["bare"]), statistics.median(rates["batch"])
    print(f"{args.files} files x {args.tracks_per_file} tracks x {args.length} points, median of {args.rounds}:")
    print(f"  bare inference (with Grad-CAM, in memory): {bare:.1f} tracks/s")
    print(f"  resandi batch (read, classify, cache, write): {batch:.1f} tracks/s")
    print(f"  ratio batch / bare: {batch / bare:.3f} (target >= 0.9)")


if __name__ == "__main__":
    main()
