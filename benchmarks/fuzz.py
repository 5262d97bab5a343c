"""Broken and odd inputs in every format: no crash escapes, no hang, no internal error, good files kept.

    python benchmarks/fuzz.py [--per-source 60] [--seed 0] [--out /tmp/fuzz]

Makes a seeded corpus from good files of every supported format (trackpy CSV,
TrackMate CSV and XML, AnDi text, NumPy .npy/.npz, Excel, HDF5, TIFF movie):
truncations, byte flips, inserted and deleted chunks, garbage with the right
extension, empty files, absurd numbers (nan, inf, 1e999, -1e308), very long
lines and repeated headers. Reads every file as the app and ``resandi classify``
do (:func:`resandi_core.batch.iter_read_files`: each track file in a child
process with a time and memory budget) and prints how many were read, refused
with a clear error, refused because the reader crashed or ran out of time, and
how many ended in an internal error (a bug). ``tests/test_fuzz.py`` runs a
smaller corpus in CI.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEXT_NUMBERS = [b"nan", b"inf", b"-inf", b"1e999", b"-1e308", b"", b"1,5", b"0x1F", b"\xff\xfe"]


def good_sources(folder: Path, seed: int = 0) -> list[Path]:
    """One small good file per format family, written into ``folder``."""
    import tifffile

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = [(tid, frame, x, y) for tid in range(4) for frame, (x, y) in
            enumerate(np.cumsum(rng.normal(size=(30, 2)), axis=0))]
    table = pd.DataFrame(rows, columns=["particle", "frame", "x", "y"])
    sources = []
    path = folder / "trackpy.csv"
    table.to_csv(path, index=False)
    sources.append(path)
    path = folder / "tracks.xlsx"
    table.to_excel(path, index=False)
    sources.append(path)
    path = folder / "tracks.h5"
    table.to_hdf(path, key="tracks", format="table")
    sources.append(path)
    array = np.stack([g[["x", "y"]].to_numpy() for _, g in table.groupby("particle")])
    path = folder / "tracks.npy"
    np.save(path, array)
    sources.append(path)
    path = folder / "tracks.npz"
    np.savez_compressed(path, tracks=array)
    sources.append(path)
    path = folder / "movie.tif"
    tifffile.imwrite(path, (rng.random((6, 48, 48)) * 200).astype(np.uint8), compression="zlib")
    sources.append(path)
    shipped = ROOT / "tests" / "data" / "tracks"
    for name in ("trackmate_spots_v7.csv", "trackmate_session_micron.xml", "andi_task1.txt"):
        target = folder / name
        target.write_bytes((shipped / name).read_bytes())
        sources.append(target)
    return sources


def mutations(data: bytes, rng: np.random.Generator) -> list[tuple[str, bytes]]:
    """Named broken versions of one file's bytes."""
    n = max(len(data), 1)
    out = []
    cut = int(rng.integers(0, n))
    out.append(("truncated", data[:cut]))
    out.append(("few-bytes", data[: int(rng.integers(1, 16))]))
    flipped = bytearray(data)
    if flipped:
        for i in rng.integers(0, len(flipped), size=max(1, len(flipped) // 200)):
            flipped[int(i)] = int(rng.integers(0, 256))
    out.append(("flipped", bytes(flipped)))
    at = int(rng.integers(0, n))
    out.append(("inserted", data[:at] + rng.bytes(int(rng.integers(1, 512))) + data[at:]))
    out.append(("deleted", data[:at] + data[at + int(rng.integers(1, 512)):]))
    out.append(("garbage", rng.bytes(int(rng.integers(1, 4096)))))
    out.append(("empty", b""))
    out.append(("zeros", bytes(int(rng.integers(1, 4096)))))
    lines = data.split(b"\n")
    if len(lines) > 3:
        k = int(rng.integers(1, len(lines) - 1))
        out.append(("long-line", b"\n".join(lines[:k] + [b",".join([b"1"] * 200_000)] + lines[k:])))
        out.append(("repeated-header", b"\n".join([lines[0]] + lines)))
        words = data.split(b",")
        if len(words) > 4:
            j = int(rng.integers(1, len(words)))
            number = TEXT_NUMBERS[int(rng.integers(0, len(TEXT_NUMBERS)))]
            out.append(("bad-number", b",".join(words[:j] + [number] + words[j + 1:])))
    return out


def make_corpus(folder: Path, seed: int = 0, per_source: int = 3) -> tuple[list[Path], list[Path]]:
    """Good files and broken ones (``per_source`` rounds of :func:`mutations` per good file)."""
    rng = np.random.default_rng(seed)
    good = good_sources(folder / "good", seed)
    broken = []
    for source in good:
        data = source.read_bytes()
        for round_ in range(per_source):
            for name, content in mutations(data, rng):
                path = folder / "broken" / f"{source.stem}.{name}.{round_}{source.suffix}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
                broken.append(path)
    return good, broken


def classify_outcome(outcome) -> str:
    """``read``, ``refused`` (a clear error), ``crashed``, ``timeout`` or ``internal`` (a bug)."""
    if outcome.failure is None:
        return "read"
    if not outcome.expected:
        return "internal"
    if "crashed the reader" in outcome.failure:
        return "crashed"
    if "took longer than" in outcome.failure:
        return "timeout"
    return "refused"


def main(argv: list[str] | None = None) -> int:
    from resandi_core.batch import iter_read_files
    from resandi_core.progress import run_job

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-source", type=int, default=20, help="mutation rounds per good file (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/resandi-fuzz"))
    args = parser.parse_args(argv)
    good, broken = make_corpus(args.out, args.seed, args.per_source)
    started = time.perf_counter()
    outcomes = run_job(iter_read_files(good + broken))
    elapsed = time.perf_counter() - started
    counts = collections.Counter(classify_outcome(o) for o in outcomes[len(good):])
    good_read = sum(o.failure is None for o in outcomes[: len(good)])
    print(f"{len(broken)} broken files from {len(good)} good ones (seed {args.seed}) read in {elapsed:.0f} s; "
          f"good files read: {good_read}/{len(good)}")
    for kind in ("read", "refused", "crashed", "timeout", "internal"):
        print(f"  {kind:9s} {counts.get(kind, 0)}")
    for outcome in outcomes[len(good):]:
        kind = classify_outcome(outcome)
        if kind in ("internal", "crashed", "timeout"):
            print(f"{kind.upper()}: {outcome.failure.splitlines()[0]}")
    return 1 if counts.get("internal") or good_read < len(good) else 0


if __name__ == "__main__":
    raise SystemExit(main())
