"""Calibrate a trained model and measure its trust rule, on data drawn like real use.

``resandi calibrate`` (and ``resandi train --val-data``, at the end) runs the
model on a validation set with localisation noise drawn like the training
mixture (REFERENCE.md: fit on noisy, short data, not only clean), fits the
temperature (:func:`~resandi_core.model.calibration.fit_temperature`), measures
the expected calibration error before and after, and derives the ``uncertain``
rule of :mod:`resandi_core.trust`: calibrated confidence below ``min_confidence``,
or fewer points than the shortest length from which the measured accuracy stays
at or above ``min_accuracy``. Everything goes into the model's ``config.json``
(``calibration``, ``trust``), a card section, and ``calibration/`` in the model
folder (``reliability.csv``, ``reliability.png``, ``accuracy_by_length.csv``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import atomic_write, atomic_writes
from ..model.calibration import (
    NOISE_EDGES,
    calibrated_probabilities,
    expected_calibration_error,
    fit_noise_temperatures,
    fit_temperature,
    plot_reliability,
    reliability_table,
    track_temperatures,
)
from ..model.inference import iter_predict
from ..progress import Progress
from ..trust import estimate_noise
from .augment import draw_noise_sigmas
from .config import TrainConfig
from .synth import SyntheticDataset

CALIBRATION_SECTION = "## Calibration and trust"
#: Length bins (points) in which the accuracy is measured to find ``min_points``.
LENGTH_EDGES = (10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1001)


def noise_of_model(config: dict[str, Any]) -> TrainConfig:
    """The noise mixture a model was trained with (its recipe in ``config.json``), or none."""
    recipe = (config.get("training") or {}).get("recipe") or {}
    keys = ("noise_augment", "noise_sigma_min", "noise_sigma_max", "noise_clean_fraction")
    return TrainConfig(**{k: recipe[k] for k in keys if k in recipe})


def noisy_inputs(data: SyntheticDataset, noise: TrainConfig, seed: int, sigma_steps: np.ndarray):
    """``inputs(indices)`` with noise drawn like ``noise``'s mixture, fixed per trajectory (seed, index).

    Also writes each trajectory's estimated noise (:func:`~resandi_core.trust.estimate_noise`,
    increment-std units, as ``resandi classify`` estimates it) into ``sigma_steps[index]``.
    """
    from ..model.preprocess import pad_and_scale

    def inputs(chunk: np.ndarray) -> np.ndarray:
        rows = []
        for index in chunk:
            rng = np.random.default_rng([seed, 19, int(index)])
            sigma = draw_noise_sigmas(noise, 1, rng)
            positions = data.normalised(int(index), noise_sigma=0.0 if sigma is None else float(sigma[0]), rng=rng)
            sigma_steps[index] = estimate_noise(positions)[1]
            rows.append(pad_and_scale(positions))
        return np.stack(rows)

    return inputs


def shortest_reliable_length(lengths: np.ndarray, correct: np.ndarray, min_accuracy: float) -> int:
    """The smallest bin start from which every length bin's accuracy is at least ``min_accuracy``."""
    table = accuracy_by_length(lengths, correct)
    reliable = table["accuracy"].to_numpy() >= min_accuracy
    # the first bin after the last unreliable one
    bad = np.flatnonzero(~reliable)
    if not bad.size:
        return LENGTH_EDGES[0]
    return int(LENGTH_EDGES[min(bad[-1] + 1, len(LENGTH_EDGES) - 1)])


def accuracy_by_length(lengths: np.ndarray, correct: np.ndarray) -> pd.DataFrame:
    """Columns ``low, high, n, accuracy`` over :data:`LENGTH_EDGES` (points, high exclusive)."""
    rows = []
    for low, high in zip(LENGTH_EDGES[:-1], LENGTH_EDGES[1:]):
        members = (lengths >= low) & (lengths < high)
        rows.append({"low": low, "high": high, "n": int(members.sum()),
                     "accuracy": float(correct[members].mean()) if members.any() else np.nan})
    return pd.DataFrame(rows)


def iter_calibrate(
    model_ref: str | os.PathLike,
    data_dir: str | os.PathLike,
    *,
    noise: TrainConfig | None = None,
    min_confidence: float = 0.5,
    min_accuracy: float = 0.6,
    seed: int = 0,
    device: str = "auto",
    batch_size: int | None = None,
) -> Generator[Progress, None, dict[str, Any]]:
    """Fit the temperature and the trust rule of a model folder; write them into it.

    Parameters
    ----------
    model_ref : str or path
        A model folder (it is written to) or name.
    data_dir : str or path
        A validation set (``resandi generate``), not used for training.
    noise : TrainConfig, optional
        The noise mixture to draw (``noise_*`` fields); default: the model's own
        training mixture (none for a noiseless model).
    min_confidence : float
        Calibrated confidence below this is ``uncertain``.
    min_accuracy : float
        Tracks shorter than where the measured accuracy stays at or above this are ``uncertain``.
    seed : int
        Seed of the noise.

    Returns
    -------
    dict
        What was written to ``config.json``: ``{"calibration": ..., "trust": ...}``.
    """
    from ..model.registry import load_model
    from .synth import load_dataset

    model = load_model(model_ref)
    data = load_dataset(data_dir)
    noise = noise or noise_of_model(model.config)
    indices = np.arange(len(data))
    sigma_steps = np.full(len(data), np.nan)
    logits, _ = yield from iter_predict(model, noisy_inputs(data, noise, seed, sigma_steps), indices, device=device,
                                        batch_size=batch_size)
    labels = data.labels
    temperature = fit_temperature(logits, labels)
    noise_temperatures = fit_noise_temperatures(logits, labels, sigma_steps)
    per_track = track_temperatures(
        {"calibration": {"temperature": temperature, "noise_edges": _json_edges(),
                         "noise_temperatures": noise_temperatures}}, sigma_steps)
    raw, calibrated = calibrated_probabilities(logits), calibrated_probabilities(logits, per_track)
    correct = calibrated.argmax(1) == labels
    min_points = shortest_reliable_length(data.lengths, correct, min_accuracy)
    uncertain = (calibrated.max(1) < min_confidence) | (data.lengths < min_points)
    mixture = (f"noise {noise.noise_augment}({noise.noise_sigma_min:g}, {noise.noise_sigma_max:g}), "
               f"{noise.noise_clean_fraction:.0%} clean" if noise.noise_augment != "none" else "noiseless")
    entries = {
        "calibration": {
            "temperature": temperature,
            "noise_edges": _json_edges(),
            "noise_temperatures": noise_temperatures,
            "ece_raw": expected_calibration_error(raw, labels),
            "ece_single_temperature": expected_calibration_error(calibrated_probabilities(logits, temperature), labels),
            "ece_calibrated": expected_calibration_error(calibrated, labels),
            "n": int(labels.size), "data": str(data_dir), "mixture": mixture, "seed": seed,
        },
        "trust": {
            "min_confidence": min_confidence, "min_points": min_points, "min_accuracy": min_accuracy,
            "fraction_uncertain": float(uncertain.mean()),
            "accuracy_confident": float(correct[~uncertain].mean()) if (~uncertain).any() else None,
            "accuracy_uncertain": float(correct[uncertain].mean()) if uncertain.any() else None,
            "accuracy_all": float(correct.mean()),
        },
    }
    _write(model.path, entries, raw, calibrated, labels, accuracy_by_length(data.lengths, correct))
    return entries


def _json_edges() -> list[float]:
    """:data:`NOISE_EDGES` for JSON (the open last edge as 1e9, JSON has no infinity)."""
    return [float(e) if np.isfinite(e) else 1e9 for e in NOISE_EDGES]


def _write(folder: Path, entries: dict, raw: np.ndarray, calibrated: np.ndarray, labels: np.ndarray,
           by_length: pd.DataFrame) -> None:
    """config.json entries, the card section and the ``calibration/`` tables and diagram."""
    out = folder / "calibration"
    out.mkdir(exist_ok=True)
    tables = {"raw softmax": reliability_table(raw, labels),
              "calibrated (T by estimated noise)": reliability_table(calibrated, labels)}
    with atomic_write(out / "reliability.csv") as handle:
        pd.concat([t.assign(probabilities=k) for k, t in tables.items()]).to_csv(handle, index=False)
    with atomic_write(out / "accuracy_by_length.csv") as handle:
        by_length.to_csv(handle, index=False)
    cal = entries["calibration"]
    with atomic_writes([out / "reliability.png"]) as (tmp,):
        plot_reliability(tables, tmp, f"{folder.name}\nvalidation: {cal['mixture']}\nECE raw "
                                      f"{100 * cal['ece_raw']:.1f}%, calibrated {100 * cal['ece_calibrated']:.1f}%")
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config.update(entries)  # the weights' checksum is untouched: the folder stays valid
    with atomic_write(config_path) as handle:
        json.dump(config, handle, indent=2)
        handle.write("\n")
    card_path = folder / "model_card.md"
    card = card_path.read_text(encoding="utf-8") if card_path.is_file() else ""
    if CALIBRATION_SECTION in card:  # replace the old section, keep what follows it
        before, _, rest = card.partition(CALIBRATION_SECTION)
        after = rest[rest.find("\n## "):] if "\n## " in rest else ""
        card = before.rstrip() + "\n" + after
    with atomic_write(card_path) as handle:
        handle.write(card.rstrip() + "\n\n" + calibration_markdown(entries) + "\n")


def calibration_markdown(entries: dict) -> str:
    """The card section: temperature, ECE before and after, and the uncertain rule with its measured effect."""
    cal, trust = entries["calibration"], entries["trust"]

    def pct(value):
        return "n/a" if value is None else f"{100 * value:.1f}%"

    edges = cal["noise_edges"]
    bins = ", ".join(f"{lo:g}-{hi:g}: {t:.2f}" if hi < 1e8 else f">{lo:g}: {t:.2f}"
                     for lo, hi, t in zip(edges[:-1], edges[1:], cal["noise_temperatures"]))
    return f"""{CALIBRATION_SECTION}
Temperatures fitted on {cal['n']:,} validation trajectories (`{cal['data']}`, {cal['mixture']}, seed
{cal['seed']}): one per bin of the track's estimated noise (increment-std units) {bins}; T = {cal['temperature']:.3f}
where the noise cannot be estimated. Expected calibration error (10 bins) on this set: raw softmax
{pct(cal['ece_raw'])}, one temperature for all {pct(cal['ece_single_temperature'])}, by estimated noise
{pct(cal['ece_calibrated'])}. `resandi classify` reports calibrated probabilities.

A track is flagged `uncertain` when its calibrated confidence is below {trust['min_confidence']:g} or it
has fewer than {trust['min_points']} points (shorter tracks reach less than {pct(trust['min_accuracy'])}
accuracy on this set). On this set: {pct(trust['fraction_uncertain'])} flagged; accuracy
{pct(trust['accuracy_confident'])} on the others, {pct(trust['accuracy_uncertain'])} on the flagged ones
({pct(trust['accuracy_all'])} overall)."""
