"""The bundled default model: present, trained, documented, pinned, and better than chance."""

import json

import numpy as np
import pytest
from golden import BUNDLED_GOLDEN_FILE, compute_bundled

from resandi_core.model.registry import default_model_name, load_model


@pytest.fixture(scope="module")
def bundled():
    return load_model(None)


def test_default_model_is_bundled_trained_and_half_size(bundled):
    assert default_model_name() == bundled.name
    assert bundled.trained and bundled.config["weights"]["dtype"] == "float16"
    assert 36e6 < bundled.config["weights"]["bytes"] < 38e6
    assert next(bundled.network.parameters()).dtype.is_floating_point


def test_card_states_what_it_is_and_its_measured_numbers(bundled):
    card = (bundled.path / "model_card.md").read_text()
    metrics = bundled.config["test_metrics"]
    assert "interim" in card.lower() and "CPU" in card
    assert metrics["n"] >= 8000
    assert f"{100 * metrics['accuracy']:.2f}%" in card  # the card quotes the measured accuracy
    percent = np.array(metrics["confusion_percent"])
    assert percent.shape == (8, 8)
    np.testing.assert_allclose(percent.sum(axis=1), 100, atol=0.1)


def test_golden_logits_of_the_bundled_model(bundled):
    expected = json.loads(BUNDLED_GOLDEN_FILE.read_text())
    assert expected["weights_sha256"] == bundled.config["weights"]["sha256"], (
        "the bundled model changed: regenerate with `python tests/golden.py` on purpose")
    got = compute_bundled(bundled)
    logits = np.array(expected["window_logits"])
    np.testing.assert_allclose(got["window_logits"], logits, rtol=1e-4, atol=1e-4 * np.abs(logits).max())
    assert got["predicted_class"] == expected["predicted_class"]
    for tid, scores in expected["gradcam_points_every_37"].items():
        scores = np.array(scores)
        np.testing.assert_allclose(got["gradcam_points_every_37"][tid], scores, rtol=1e-4, atol=1e-4 * np.abs(scores).max())


@pytest.mark.slow
def test_bundled_model_beats_chance_on_fresh_trajectories(bundled, tmp_path):
    """Fresh seed, 25 per class: far above the 12.5% of guessing (the card has the full test)."""
    from resandi_core.progress import run_job
    from resandi_core.training.evaluate import iter_evaluate
    from resandi_core.training.synth import DatasetSpec, generate_dataset, load_dataset

    generate_dataset(tmp_path / "d", DatasetSpec(n_per_class=25, seed=123, shard_size=25), workers=1)
    evaluation = run_job(iter_evaluate(bundled, load_dataset(tmp_path / "d"), device="cpu"))
    assert evaluation.accuracy > 0.5
