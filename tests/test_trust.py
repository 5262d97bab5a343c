"""Calibration, families, the noise estimate and the uncertain flag (no Qt, no torch)."""

import numpy as np
import pandas as pd
import pytest

from resandi_core.model.calibration import (
    calibrated_probabilities,
    expected_calibration_error,
    fit_temperature,
    model_temperature,
    reliability_table,
)
from resandi_core.model.spec import CLASS_NAMES
from resandi_core.trust import FAMILIES, TRUST_COLUMNS, TrustRule, estimate_noise, family_probabilities, trust_columns


def overconfident_logits(n=20_000, temperature=2.5, seed=0):
    """Logits whose labels are drawn from softmax(z), handed out as z * temperature (over-confident)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=1.5, size=(n, 8))
    p = calibrated_probabilities(z)
    labels = np.array([rng.choice(8, p=row) for row in p])
    return z * temperature, labels


def test_temperature_scaling_recovers_the_overconfidence_and_lowers_the_ece():
    logits, labels = overconfident_logits()
    temperature = fit_temperature(logits, labels)
    assert temperature == pytest.approx(2.5, rel=0.05)
    before = expected_calibration_error(calibrated_probabilities(logits), labels)
    after = expected_calibration_error(calibrated_probabilities(logits, temperature), labels)
    assert before > 0.1 and after < 0.02
    # the answers themselves never change
    assert np.array_equal(calibrated_probabilities(logits).argmax(1), calibrated_probabilities(logits, 3.0).argmax(1))


def test_reliability_table_bins_confidence_and_accuracy():
    probs = np.array([[0.95, 0.05], [0.92, 0.08], [0.55, 0.45], [0.6, 0.4]])
    labels = np.array([0, 1, 0, 0])
    table = reliability_table(probs, labels, n_bins=10)
    assert table["n"].sum() == 4 and len(table) == 10
    top = table.iloc[9]
    assert top["n"] == 2 and top["accuracy"] == 0.5 and top["confidence"] == pytest.approx(0.935)
    # bins are right-closed: 0.55 and 0.6 share (0.5, 0.6] (mean 0.575, both right)
    assert table.iloc[5]["n"] == 2 and table.iloc[5]["accuracy"] == 1.0
    assert expected_calibration_error(probs, labels, 10) == pytest.approx((2 * 0.435 + 2 * 0.425) / 4)


def test_model_temperature_defaults_to_one():
    assert model_temperature({}) == 1.0
    assert model_temperature({"calibration": {"temperature": 1.7}}) == 1.7
    assert model_temperature({"calibration": {"temperature": -1}}) == 1.0


def test_families_sum_the_classes_bm_counts_as_fbm():
    probs = np.zeros((1, 8))
    probs[0, CLASS_NAMES.index("BM")] = 0.5
    probs[0, CLASS_NAMES.index("SubFBM")] = 0.2
    probs[0, CLASS_NAMES.index("SupSBM")] = 0.3
    families = family_probabilities(probs)[0]
    assert families[FAMILIES.index("fbm")] == pytest.approx(0.7)
    assert families[FAMILIES.index("sbm")] == pytest.approx(0.3)
    assert families.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("sigma_steps", [0.0, 0.3, 0.7])
def test_noise_estimate_of_brownian_tracks(sigma_steps):
    rng = np.random.default_rng(1)
    step = 0.2  # µm per frame
    clean = np.cumsum(rng.normal(scale=step, size=(20_000, 2)), axis=0)
    noisy = clean + rng.normal(scale=sigma_steps * step, size=clean.shape)
    sigma, in_steps, n_pairs = estimate_noise(noisy)
    assert n_pairs == 19_998
    # sqrt of a covariance that scatters by ~var/sqrt(n): a small positive floor without noise
    assert sigma == pytest.approx(sigma_steps * step, abs=0.025)
    assert in_steps == pytest.approx(sigma_steps, abs=0.1 if sigma_steps == 0 else 0.04)


def test_noise_estimate_skips_interpolated_points_and_short_tracks():
    rng = np.random.default_rng(2)
    positions = np.cumsum(rng.normal(size=(400, 2)), axis=0) + rng.normal(scale=0.5, size=(400, 2))
    observed = np.ones(400, dtype=bool)
    observed[100:150] = False
    positions[100:150] = np.linspace(positions[99], positions[150], 52)[1:-1]  # a linear fill
    sigma, _, n_pairs = estimate_noise(positions, observed)
    assert n_pairs == 400 - 1 - 51 - 2 and sigma == pytest.approx(0.5, abs=0.12)
    assert np.isnan(estimate_noise(positions[:4])[0])


def test_trust_columns_flag_low_confidence_short_and_noisy_tracks():
    probs = np.full((4, 8), 1 / 8)
    probs[0] = np.eye(8)[0] * 0.9 + 0.1 / 8  # confident
    probs[1] = np.eye(8)[7] * 0.9 + 0.1 / 8  # confident but short
    probs[3] = np.nan  # not classified
    tracks = pd.DataFrame({"track_id": [1, 2, 3, 4], "n_points": [500, 12, 500, 5],
                           "confidence": [p.max() for p in probs]})
    for k, name in enumerate(CLASS_NAMES):
        tracks[f"prob_{name}"] = probs[:, k]
    noise = {1: (0.01, 0.05, 499), 2: (0.02, 0.1, 10), 3: (0.5, 2.0, 499)}
    out = trust_columns(tracks, noise, TrustRule(min_confidence=0.5, min_points=20, trained_noise_max=1.0))
    assert list(out.columns[-len(TRUST_COLUMNS):]) == TRUST_COLUMNS
    assert out["uncertain"].tolist() == [False, True, True, False]
    assert out["uncertain_reason"].tolist() == ["", "fewer than 20 points", "confidence < 0.5", ""]
    assert out["family"].tolist()[:2] == ["attm", "fbm"] and out["family"].iloc[3] == ""
    assert out["noise_beyond_training"].tolist() == [False, False, True, False]
    assert out[[f"prob_family_{f}" for f in FAMILIES]].iloc[:3].sum(axis=1).tolist() == pytest.approx([1, 1, 1])


def test_rule_of_a_model_comes_from_its_config():
    assert TrustRule.of_model({}) == TrustRule()
    config = {"trust": {"min_confidence": 0.6, "min_points": 40, "trained_noise_max": 5.0},  # ignored: the recipe says
              "training": {"recipe": {"noise_augment": "uniform", "noise_sigma_max": 1.0}}}
    assert TrustRule.of_model(config) == TrustRule(0.6, 40, 1.0)


def test_temperature_by_estimated_noise_calibrates_clean_and_noisy_tracks_alike():
    from resandi_core.model.calibration import NOISE_EDGES, fit_noise_temperatures, noise_bin, track_temperatures

    # well calibrated on "clean" tracks (sigma 0.05), over-confident (x3) on "noisy" ones (sigma 0.7)
    clean_logits, clean_labels = overconfident_logits(n=6000, temperature=1.0, seed=1)
    noisy_logits, noisy_labels = overconfident_logits(n=6000, temperature=3.0, seed=2)
    logits = np.vstack([clean_logits, noisy_logits])
    labels = np.concatenate([clean_labels, noisy_labels])
    sigma = np.r_[np.full(6000, 0.05), np.full(6000, 0.7)]
    temperatures = fit_noise_temperatures(logits, labels, sigma)
    assert temperatures[int(noise_bin(np.array([0.05]))[0])] == pytest.approx(1.0, rel=0.08)
    assert temperatures[int(noise_bin(np.array([0.7]))[0])] == pytest.approx(3.0, rel=0.08)
    edges = [float(e) if np.isfinite(e) else 1e9 for e in NOISE_EDGES]
    config = {"calibration": {"temperature": fit_temperature(logits, labels), "noise_edges": edges,
                              "noise_temperatures": temperatures}}
    per_track = track_temperatures(config, sigma)
    one_t = calibrated_probabilities(logits, config["calibration"]["temperature"])
    by_noise = calibrated_probabilities(logits, per_track)
    for part in (slice(0, 6000), slice(6000, None)):
        assert expected_calibration_error(by_noise[part], labels[part]) < 0.03
        assert expected_calibration_error(one_t[part], labels[part]) > 0.05  # one T fits neither
    # unknown noise, or a model without bins: the single temperature
    assert track_temperatures(config, np.array([np.nan]))[0] == config["calibration"]["temperature"]
    assert track_temperatures({"calibration": {"temperature": 1.5}}, np.array([0.3]))[0] == 1.5


def test_the_trust_rule_in_plain_words():
    from resandi_core.trust import describe_trust

    plain = describe_trust({})
    assert "raw softmax" in plain and "below 0.5" in plain and "fewer than 20 points" in plain
    assert "not measured" in plain and "without localisation noise" in plain
    config = {"calibration": {"n": 8000, "mixture": "noise uniform(0, 1), 25% clean", "temperature": 2.0},
              "trust": {"min_confidence": 0.5, "min_points": 100, "accuracy_confident": 0.8,
                        "accuracy_uncertain": 0.45},
              "training": {"recipe": {"noise_augment": "uniform", "noise_sigma_max": 1.0}}}
    words = describe_trust(config)
    assert "calibrated" in words and "8,000 validation tracks" in words and "fewer than 100 points" in words
    assert "right 45% of the time, the others 80%" in words and "up to 1 step sizes" in words
