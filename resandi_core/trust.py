"""How far to trust each track's answer: families, localisation noise and the ``uncertain`` flag.

Three things next to every classified track (columns of ``results.csv``):

- **family**: the AnDi 2020 model family (attm, ctrw, fbm, lw, sbm; BM counts as
  fbm, REFERENCE.md) with the summed probabilities ``prob_family_*``, so results
  compare with AnDi-J and the AnDi benchmark;
- **noise_est**: the localisation noise of the track, estimated from the lag-1
  autocorrelation of its steps (noise of std sigma makes uncorrelated steps
  anti-correlated: rho1 = -sigma^2 / (s^2 + 2 sigma^2), s the step std without
  noise), in the file's position unit and in increment-std units (``noise_est_steps``,
  the units the model was trained in); ``noise_beyond_training`` when it is
  clearly above what the model saw;
- **uncertain**: the answer should not be used alone: calibrated confidence below
  the model's ``min_confidence``, or fewer points than ``min_points`` (where its
  measured accuracy is poor); ``uncertain_reason`` says which.

The thresholds come from the model's ``config.json`` (``trust``, written when the
model is calibrated, with the numbers they were measured on; the noise it was
trained on from its training recipe); a model without them gets ``TrustRule()``'s defaults.

May import: the base modules and :mod:`resandi_core.model.spec`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .model.spec import CLASS_NAMES

FAMILIES = ("attm", "ctrw", "fbm", "lw", "sbm")
#: The AnDi family of each of the 8 classes (BM is fbm with alpha = 1).
FAMILY_OF_CLASS = {
    "SubATTM": "attm", "SubCTRW": "ctrw", "SubFBM": "fbm", "SubSBM": "sbm",
    "SupFBM": "fbm", "SupLW": "lw", "SupSBM": "sbm", "BM": "fbm",
}
FAMILY_PROB_COLUMNS = [f"prob_family_{name}" for name in FAMILIES]
#: Columns appended to ``ClassificationResult.tracks`` by :func:`trust_columns`.
TRUST_COLUMNS = [
    "uncertain", "uncertain_reason", "family", "family_confidence", *FAMILY_PROB_COLUMNS,
    "noise_est", "noise_est_steps", "noise_beyond_training",
]
#: 5 x 8 matrix summing class probabilities into family probabilities.
_FAMILY_MATRIX = np.array([[FAMILY_OF_CLASS[c] == f for c in CLASS_NAMES] for f in FAMILIES], dtype=np.float64)


@dataclass(frozen=True)
class TrustRule:
    """When an answer is flagged ``uncertain``, and how much noise the model was trained on.

    Attributes
    ----------
    min_confidence : float
        Calibrated confidence below this is uncertain.
    min_points : int
        Tracks with fewer points are uncertain (the model's measured accuracy is poor there).
    trained_noise_max : float
        Largest localisation noise in training, increment-std units (0: noiseless training).
    """

    min_confidence: float = 0.5
    min_points: int = 20
    trained_noise_max: float = 0.0

    @classmethod
    def of_model(cls, config: dict[str, Any]) -> TrustRule:
        """The rule a model's ``config.json`` stores, or the defaults."""
        trust = config.get("trust") or {}
        recipe = (config.get("training") or {}).get("recipe") or {}
        noise_max = recipe.get("noise_sigma_max", 0.0) if recipe.get("noise_augment", "none") != "none" else 0.0
        return cls(
            min_confidence=float(trust.get("min_confidence", cls.min_confidence)),
            min_points=int(trust.get("min_points", cls.min_points)),
            trained_noise_max=float(noise_max),  # what it was trained on, not what it was calibrated on
        )



def family_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """Sum the 8 class probabilities into the 5 AnDi families: (N, 8) -> (N, 5), :data:`FAMILIES` order."""
    return np.asarray(probabilities, dtype=np.float64) @ _FAMILY_MATRIX.T


def estimate_noise(positions: np.ndarray, observed: np.ndarray | None = None) -> tuple[float, float, int]:
    """Localisation noise of one track from the lag-1 autocovariance of its steps.

    Parameters
    ----------
    positions : ndarray, shape (T, 2)
        Positions at consecutive frames (gaps filled).
    observed : ndarray of bool, shape (T,), optional
        False where a position was interpolated: steps touching it are not used
        (a linear fill makes steps equal, which would hide the noise).

    Returns
    -------
    sigma : float
        Noise std in position units (mean over x and y); 0 when the steps are not
        anti-correlated; NaN with fewer than 3 usable step pairs.
    sigma_steps : float
        The same in units of the noise-free step std (what the model was trained
        with); inf when the steps are all noise.
    n_pairs : int
        Consecutive step pairs used.

    Notes
    -----
    Assumes steps that are uncorrelated without noise (Brownian-like). Subdiffusive
    FBM and CTRW are anti-correlated themselves, so their noise is overestimated;
    the flag therefore uses a margin (see :func:`trust_columns`).
    """
    positions = np.asarray(positions, dtype=np.float64)
    observed = np.ones(len(positions), dtype=bool) if observed is None else np.asarray(observed, dtype=bool)
    steps = np.diff(positions, axis=0)
    valid_step = observed[1:] & observed[:-1] & np.isfinite(steps).all(axis=1)
    pair = valid_step[1:] & valid_step[:-1]
    n_pairs = int(pair.sum())
    if n_pairs < 3:
        return float("nan"), float("nan"), n_pairs
    first, second = steps[:-1][pair], steps[1:][pair]
    used = steps[valid_step]
    centred = used - used.mean(axis=0)
    variance = (centred**2).mean(axis=0)  # s^2 + 2 sigma^2, per coordinate
    mean = used.mean(axis=0)
    covariance = ((first - mean) * (second - mean)).mean(axis=0)  # -sigma^2
    noise_var = np.clip(-covariance, 0.0, None)
    sigma = float(np.sqrt(noise_var.mean()))
    clean_var = (variance - 2 * noise_var).mean()
    sigma_steps = float(np.sqrt(noise_var.mean() / clean_var)) if clean_var > 0 else float("inf")
    return sigma, sigma_steps, n_pairs


def trust_columns(tracks: pd.DataFrame, noise: dict[object, tuple[float, float, int]], rule: TrustRule) -> pd.DataFrame:
    """Append :data:`TRUST_COLUMNS` to a results table.

    Parameters
    ----------
    tracks : DataFrame
        ``ClassificationResult.tracks`` (``track_id, n_points, confidence, prob_*, status``).
    noise : dict
        ``track_id -> estimate_noise(...)`` of the classified tracks.
    rule : TrustRule

    Returns
    -------
    DataFrame
        ``tracks`` with :data:`TRUST_COLUMNS` last, in that order. Unclassified tracks get NaN
        and ``uncertain`` False (their ``status`` already says why there is no answer).
    """
    probs = tracks[[f"prob_{c}" for c in CLASS_NAMES]].to_numpy(dtype=np.float64)
    classified = np.isfinite(probs).all(axis=1)
    families = family_probabilities(np.where(classified[:, None], probs, 0.0))
    families[~classified] = np.nan
    best = np.where(classified, np.nanargmax(np.where(classified[:, None], families, 0.0), axis=1), 0)
    tracks["family"] = np.where(classified, np.array(FAMILIES, dtype=object)[best], "")
    tracks["family_confidence"] = np.where(classified, families[np.arange(len(tracks)), best], np.nan)
    for k, column in enumerate(FAMILY_PROB_COLUMNS):
        tracks[column] = families[:, k]

    low_confidence = classified & (tracks["confidence"].to_numpy(dtype=np.float64) < rule.min_confidence)
    short = classified & (tracks["n_points"].to_numpy() < rule.min_points)
    tracks["uncertain"] = low_confidence | short
    reasons = np.full(len(tracks), "", dtype=object)
    reasons[low_confidence] = f"confidence < {rule.min_confidence:g}"
    reasons[short & ~low_confidence] = f"fewer than {rule.min_points} points"
    reasons[short & low_confidence] = f"confidence < {rule.min_confidence:g}; fewer than {rule.min_points} points"
    tracks["uncertain_reason"] = reasons

    estimates = [noise.get(tid, (np.nan, np.nan, 0)) for tid in tracks["track_id"]]
    tracks["noise_est"] = [e[0] for e in estimates]
    tracks["noise_est_steps"] = [e[1] for e in estimates]
    # Beyond training only when the estimate clearly is: above the trained maximum
    # plus the estimate's own scatter on this many step pairs (~1/sqrt(n) in rho1).
    n_pairs = np.array([max(e[2], 1) for e in estimates], dtype=np.float64)
    margin = 2.0 / np.sqrt(n_pairs)
    steps = tracks["noise_est_steps"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):  # inf (all noise) -> NaN, flagged below
        rho_bound = -(steps**2) / (1 + 2 * steps**2)  # the lag-1 autocorrelation such noise gives
    trained_rho = -(rule.trained_noise_max**2) / (1 + 2 * rule.trained_noise_max**2)
    tracks["noise_beyond_training"] = classified & np.isfinite(steps) & (rho_bound < trained_rho - margin) | (
        classified & np.isinf(steps))
    return tracks[[c for c in tracks.columns if c not in TRUST_COLUMNS] + TRUST_COLUMNS]  # in the documented order


def describe_trust(config: dict[str, Any]) -> str:
    """In plain words: how a model's confidences are calibrated and when an answer is flagged ``uncertain``.

    For the app's Results view, ``resandi classify`` and reports, from the model's ``config.json``.
    """
    rule = TrustRule.of_model(config)
    calibration, trust = config.get("calibration") or {}, config.get("trust") or {}
    if calibration:
        sure = (f"Confidences are calibrated (temperature by each track's estimated noise, fitted on "
                f"{calibration.get('n', 0):,} validation tracks, {calibration.get('mixture', '')}).")
    else:
        sure = "Confidences are the network's raw softmax (this model was never calibrated)."
    flag = (f"A track is 'uncertain' when its confidence is below {rule.min_confidence:g} or it has fewer than "
            f"{rule.min_points} points")
    if trust.get("accuracy_confident") is not None and trust.get("accuracy_uncertain") is not None:
        flag += (f": on validation, flagged tracks were right {100 * trust['accuracy_uncertain']:.0f}% of the time, "
                 f"the others {100 * trust['accuracy_confident']:.0f}%.")
    else:
        flag += " (default rule, not measured for this model)."
    noise = ("It was trained without localisation noise: noisy tracks are its weak spot." if rule.trained_noise_max == 0
             else f"It was trained with localisation noise up to {rule.trained_noise_max:g} step sizes.")
    return f"{sure} {flag} {noise}"
