"""The field's benchmark: AnDi 2020 challenge task 2 (model family), 2-D, with the challenge's own noise.

    pip install -e ".[benchmark]"          # IPython, which andi_datasets.datasets_challenge imports
    python benchmarks/andi_challenge.py --n 8000 --model resandi-interim-cpu --seed 0

Generates ``n`` trajectories with ``andi_datasets.datasets_challenge.challenge_theory_dataset``
(task 2, 2-D, lengths 10-999, localisation noise of std 0.1, 0.5 or 1 after
normalisation, random diffusion coefficients: exactly the challenge's recipe),
classifies them with ``classify_tracks`` as ``resandi classify`` would, sums the
8 class probabilities into the 5 families (attm, ctrw, fbm, lw, sbm; BM counts as
fbm) and prints the family accuracy (the challenge's micro-F1), macro-F1, the
expected calibration error of the family confidence, the share flagged
``uncertain`` and the accuracy with and without them, overall and per noise level.
AnDi-J (Fiji) reports F1 0.892 on this task. ``--csv`` writes one row per track.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resandi_core.classify import classify_tracks  # noqa: E402
from resandi_core.model.calibration import expected_calibration_error  # noqa: E402
from resandi_core.model.registry import load_model  # noqa: E402
from resandi_core.trust import FAMILIES, FAMILY_PROB_COLUMNS  # noqa: E402


def challenge_tracks(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """AnDi task-2 2-D trajectories as a tracks table, their family labels and noise std.

    Returns
    -------
    table : DataFrame
        ``track_id, frame, x, y``; track ids 0..n-1.
    labels : ndarray of int, shape (n,)
        Family index in :data:`FAMILIES` order (the challenge's model order).
    noise : ndarray, shape (n,)
        Localisation noise std of each track (0.1, 0.5 or 1).
    """
    try:
        from andi_datasets.datasets_challenge import challenge_theory_dataset
    except ImportError as exc:  # IPython
        raise SystemExit(f"andi_datasets.datasets_challenge needs IPython ({exc}): pip install -e '.[benchmark]'")
    np.random.seed(seed)  # the challenge's generator draws from numpy's global state
    with contextlib.redirect_stdout(io.StringIO()):
        out = challenge_theory_dataset(N=n, tasks=2, dimensions=2, return_noise=True)
    # with return_noise: [X1, Y1, noise1, D1, X2, Y2, noise2, D2, ...], each a list over dimensions 1-3
    x2, y2 = out[4][1], out[5][1]
    noise = np.asarray(out[6][1], dtype=np.float64)
    frames = []
    for track_id, flat in enumerate(x2):
        flat = np.asarray(flat, dtype=np.float64)
        half = flat.size // 2  # x of all frames, then y
        frames.append(pd.DataFrame({"track_id": track_id, "frame": np.arange(half), "x": flat[:half], "y": flat[half:]}))
    return pd.concat(frames, ignore_index=True), np.asarray(y2, dtype=np.int64), noise[: len(x2)]


def macro_f1(truth: np.ndarray, predicted: np.ndarray, k: int) -> float:
    """Mean over classes of 2 TP / (2 TP + FP + FN)."""
    scores = []
    for c in range(k):
        tp = np.sum((predicted == c) & (truth == c))
        fp = np.sum((predicted == c) & (truth != c))
        fn = np.sum((predicted != c) & (truth == c))
        scores.append(2 * tp / max(2 * tp + fp + fn, 1))
    return float(np.mean(scores))


def summarise(rows: pd.DataFrame) -> dict[str, float]:
    """Accuracy, macro-F1, ECE and the uncertain flag's effect on some classified tracks."""
    correct = rows["predicted_family"] == rows["true_family"]
    probs = rows[FAMILY_PROB_COLUMNS].to_numpy()
    unsure = rows["uncertain"].astype(bool)
    return {
        "n": len(rows),
        "accuracy": float(correct.mean()),
        "macro_f1": macro_f1(rows["true_family"].to_numpy(), rows["predicted_family"].to_numpy(), len(FAMILIES)),
        "ece": expected_calibration_error(probs, rows["true_family"].to_numpy()),
        "mean_confidence": float(rows["family_confidence"].mean()),
        "uncertain": float(unsure.mean()),
        "accuracy_confident": float(correct[~unsure].mean()) if (~unsure).any() else float("nan"),
        "accuracy_uncertain": float(correct[unsure].mean()) if unsure.any() else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=8000, help="trajectories (default 8000)")
    parser.add_argument("--model", default=None, help="model name or folder (default: the bundled default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--csv", type=Path, help="write one row per track here")
    args = parser.parse_args(argv)

    model = load_model(args.model)
    started = time.perf_counter()
    table, labels, noise = challenge_tracks(args.n, args.seed)
    generated = time.perf_counter()
    result = classify_tracks(table, model, device=args.device, gradcam=False)
    classified = time.perf_counter()
    rows = result.tracks.set_index("track_id").loc[np.arange(len(labels))].reset_index()
    rows["true_family"] = labels
    rows["noise"] = noise
    ok = rows["status"] == "ok"
    rows["predicted_family"] = np.where(ok, rows["family"].map({f: i for i, f in enumerate(FAMILIES)}), -1)
    if args.csv:
        rows.to_csv(args.csv, index=False)

    print(f"AnDi 2020 task 2, 2-D: {len(labels):,} trajectories (seed {args.seed}), model {model.name}; "
          f"{(~ok).sum()} not classified; generation {generated - started:.0f} s, classification "
          f"{classified - generated:.0f} s")
    summary = [{"noise": "all", **summarise(rows[ok])}]
    for level in sorted(np.unique(noise)):
        summary.append({"noise": f"{level:g}", **summarise(rows[ok & (rows["noise"] == level)])})
    table_out = pd.DataFrame(summary)
    with pd.option_context("display.float_format", "{:.4f}".format, "display.width", 160):
        print(table_out.to_string(index=False))
    print("AnDi-J (Fiji) reports F1 0.892 on this task (its CNN, 5 classes).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
