"""Pinned logits and Grad-CAM for fixed tracks and the seed-0 untrained model.

A change here means the preprocessing, network, windowing or Grad-CAM maths
changed: fix the code, or regenerate on purpose with ``python tests/golden.py``.
"""

import json

import numpy as np
from golden import GOLDEN_FILE, compute


def test_golden_logits_and_gradcam(untrained_model):
    expected = json.loads(GOLDEN_FILE.read_text())
    got = compute(untrained_model)
    logits = np.array(expected["window_logits"])
    assert logits.shape == (3, 8)  # one window for 600 points, two for 1500
    np.testing.assert_allclose(got["window_logits"], logits, rtol=1e-4, atol=1e-4 * np.abs(logits).max())
    np.testing.assert_allclose(got["track_probabilities"], expected["track_probabilities"], atol=1e-5)
    assert got["predicted_class"] == expected["predicted_class"]
    for tid, scores in expected["gradcam_points_every_37"].items():
        scores = np.array(scores)
        np.testing.assert_allclose(got["gradcam_points_every_37"][tid], scores, rtol=1e-4, atol=1e-4 * np.abs(scores).max())
    np.testing.assert_allclose(got["gradcam_mean"], expected["gradcam_mean"], rtol=1e-4)
