"""Golden values: fixed tracks through the seed-0 untrained model and the bundled model.

``python tests/golden.py`` rewrites ``tests/data/golden_untrained_seed0.json`` and
``tests/data/golden_bundled.json``; do that only on purpose (a deliberate change
of the maths, or a new bundled model), and say why in the commit.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

GOLDEN_FILE = Path(__file__).parent / "data" / "golden_untrained_seed0.json"
BUNDLED_GOLDEN_FILE = Path(__file__).parent / "data" / "golden_bundled.json"
#: Every this many points, one per-point Grad-CAM score is pinned.
POINT_STEP = 37


def golden_tracks() -> pd.DataFrame:
    """Two fixed tracks: 600 points with drift, 1500 points with a diffusivity change."""
    rng = np.random.default_rng(2024)
    a = np.cumsum(rng.normal(0.3, 1.0, size=(600, 2)), axis=0)
    steps = rng.normal(0, 1.0, size=(1500, 2))
    steps[700:] *= 3.0
    b = np.cumsum(steps, axis=0)
    return pd.concat(
        [
            pd.DataFrame({"track_id": 1, "frame": np.arange(600), "x": a[:, 0], "y": a[:, 1]}),
            pd.DataFrame({"track_id": 2, "frame": np.arange(1500) + 10, "x": b[:, 0], "y": b[:, 1]}),
        ],
        ignore_index=True,
    )


def compute(model) -> dict:
    from resandi_core.classify import LOGIT_COLUMNS, PROB_COLUMNS, classify_tracks

    result = classify_tracks(golden_tracks(), model, device="cpu")
    scores = {
        str(tid): group.score.to_numpy()[::POINT_STEP].tolist() for tid, group in result.gradcam.groupby("track_id")
    }
    return {
        "window_logits": result.windows[LOGIT_COLUMNS].to_numpy().tolist(),
        "track_probabilities": result.tracks[PROB_COLUMNS].to_numpy().tolist(),
        "predicted_class": result.tracks.predicted_class.tolist(),
        "gradcam_mean": result.tracks.gradcam_mean.tolist(),
        "gradcam_points_every_37": scores,
    }


def compute_bundled(model) -> dict:
    """The golden values plus the weights' sha256 they belong to."""
    return {"weights_sha256": model.config["weights"]["sha256"], "model": model.name, **compute(model)}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from resandi_core.model.registry import load_model
    from resandi_core.model.store import load_model_folder, write_untrained_model

    with tempfile.TemporaryDirectory() as tmp:
        values = compute(load_model_folder(write_untrained_model(Path(tmp) / "m", seed=0)))
    GOLDEN_FILE.write_text(json.dumps(values, indent=1) + "\n")
    BUNDLED_GOLDEN_FILE.write_text(json.dumps(compute_bundled(load_model(None)), indent=1) + "\n")
    print(f"wrote {GOLDEN_FILE}")
