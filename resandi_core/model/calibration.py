"""How far to trust a probability: temperature scaling and calibration error.

A classifier is calibrated when, among the answers given confidence 0.8, about
80% are right. The network's raw softmax is over-confident on noisy tracks
(REFERENCE.md "Noise, calibration"). Temperature scaling (Guo et al. 2017)
divides the logits by a scalar T fitted on validation logits by maximum
likelihood; it changes no prediction (the arg-max is the same), only how sure
each one says it is.

One T for all tracks cannot serve a model that is well calibrated on clean
tracks and over-confident on noisy ones: measured on the interim model, the T
fitted on a noisy mixture (2.69) lowered the noisy ECE but raised the clean ECE
from 1.5% to 20.6%. So T depends on what can be seen in each track: its
estimated localisation noise (``noise_est_steps``, :func:`resandi_core.trust.estimate_noise`),
one T per noise bin (:data:`NOISE_EDGES`), fitted on the same validation set.
The model's ``config.json`` keeps ``calibration.temperature`` (all tracks) and
``calibration.noise_edges`` / ``noise_temperatures``; :func:`track_temperatures`
picks each track's.

Pure NumPy/SciPy: importable without torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Bins of the expected calibration error and of the reliability diagram (REFERENCE.md: 10).
N_BINS = 10


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities of logits, shape (N, K) -> (N, K); rows sum to 1."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


#: Edges of the estimated-noise bins (increment-std units) that get their own temperature.
NOISE_EDGES = (0.0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, np.inf)
#: Fewest validation trajectories a noise bin needs for its own temperature (else the global one).
MIN_BIN_COUNT = 200


def calibrated_probabilities(logits: np.ndarray, temperature: float | np.ndarray = 1.0) -> np.ndarray:
    """``softmax(logits / T)``, shape (N, K) -> (N, K); T = 1 is the raw softmax.

    ``temperature`` is one number or one per row, shape (N,).
    """
    temperature = np.asarray(temperature, dtype=np.float64)
    if temperature.ndim == 1:
        temperature = temperature[:, None]
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)


def noise_bin(sigma_steps: np.ndarray, edges: tuple[float, ...] = NOISE_EDGES) -> np.ndarray:
    """Bin of each estimated noise (increment-std units), shape (N,) int; -1 where unknown (NaN)."""
    sigma_steps = np.asarray(sigma_steps, dtype=np.float64)
    which = np.clip(np.searchsorted(np.asarray(edges), sigma_steps, side="right") - 1, 0, len(edges) - 2)
    return np.where(np.isnan(sigma_steps), -1, which)


def fit_noise_temperatures(logits: np.ndarray, labels: np.ndarray, sigma_steps: np.ndarray,
                           edges: tuple[float, ...] = NOISE_EDGES, min_count: int = MIN_BIN_COUNT) -> list[float]:
    """One temperature per estimated-noise bin (the global one where a bin has too few trajectories)."""
    overall = fit_temperature(logits, labels)
    which = noise_bin(sigma_steps, edges)
    temperatures = []
    for k in range(len(edges) - 1):
        members = which == k
        temperatures.append(fit_temperature(logits[members], labels[members]) if members.sum() >= min_count
                            else overall)
    return temperatures


def track_temperatures(config: dict[str, Any], sigma_steps: np.ndarray) -> np.ndarray:
    """Each track's temperature from its estimated noise and the model's calibration, shape (N,).

    A model calibrated without noise bins, or a track whose noise could not be
    estimated (NaN), gets the model's single temperature (1 when uncalibrated).
    """
    sigma_steps = np.asarray(sigma_steps, dtype=np.float64)
    overall = model_temperature(config)
    calibration = config.get("calibration") or {}
    edges, temperatures = calibration.get("noise_edges"), calibration.get("noise_temperatures")
    if not edges or not temperatures or len(temperatures) != len(edges) - 1:
        return np.full(sigma_steps.shape, overall)
    which = noise_bin(sigma_steps, tuple(float(e) for e in edges))
    table = np.asarray(temperatures, dtype=np.float64)
    return np.where(which >= 0, table[np.maximum(which, 0)], overall)


def model_temperature(config: dict[str, Any]) -> float:
    """The temperature a model folder's ``config.json`` stores (1.0 when it was never calibrated)."""
    calibration = config.get("calibration") or {}
    temperature = float(calibration.get("temperature", 1.0))
    return temperature if np.isfinite(temperature) and temperature > 0 else 1.0


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean cross-entropy of ``softmax(logits / T)`` against integer ``labels`` (N,)."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    log_probs = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(labels.size), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the validation NLL (searched on log T in [0.05, 20]).

    Parameters
    ----------
    logits : ndarray, shape (N, K)
        Raw network outputs on a validation set drawn like real use.
    labels : ndarray of int, shape (N,)

    Returns
    -------
    float
        T > 0; above 1 softens an over-confident network.
    """
    from scipy.optimize import minimize_scalar

    labels = np.asarray(labels, dtype=np.int64)
    result = minimize_scalar(lambda log_t: negative_log_likelihood(logits, labels, float(np.exp(log_t))),
                             bounds=(np.log(0.05), np.log(20.0)), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(result.x))


def reliability_table(probabilities: np.ndarray, labels: np.ndarray, n_bins: int = N_BINS) -> pd.DataFrame:
    """Accuracy against confidence in equal-width confidence bins (the reliability diagram's numbers).

    Parameters
    ----------
    probabilities : ndarray, shape (N, K)
    labels : ndarray of int, shape (N,)
    n_bins : int

    Returns
    -------
    DataFrame
        One row per bin: ``low, high, n, confidence`` (mean in the bin), ``accuracy``
        (NaN in empty bins).
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # right-closed bins, the first also holding 0: (0.9, 1.0] is the last
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    rows = []
    for k in range(n_bins):
        members = which == k
        n = int(members.sum())
        rows.append({
            "low": edges[k], "high": edges[k + 1], "n": n,
            "confidence": float(confidence[members].mean()) if n else np.nan,
            "accuracy": float(correct[members].mean()) if n else np.nan,
        })
    return pd.DataFrame(rows)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, n_bins: int = N_BINS) -> float:
    """ECE: the bin-size-weighted mean gap between confidence and accuracy, as a fraction (0-1)."""
    table = reliability_table(probabilities, labels, n_bins)
    filled = table[table["n"] > 0]
    return float((filled["n"] * (filled["confidence"] - filled["accuracy"]).abs()).sum() / filled["n"].sum())


def plot_reliability(tables: dict[str, pd.DataFrame], path, title: str) -> None:
    """Reliability diagram: accuracy against confidence per bin, one line per table (e.g. before/after).

    Parameters
    ----------
    tables : dict of str -> DataFrame
        Label -> :func:`reliability_table` output.
    path : path-like
        PNG to write.
    title : str
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.0, 4.8), dpi=120)
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfectly calibrated")
    for label, table in tables.items():
        filled = table[table["n"] > 0]
        ax.plot(filled["confidence"], filled["accuracy"], marker="o", ms=4, label=label)
    ax.set_xlabel("confidence (mean in bin)")
    ax.set_ylabel("accuracy in bin")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, format="png")  # the path may be a temporary name without .png
    plt.close(fig)
