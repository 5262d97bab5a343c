"""The paper's two experiments, at a chosen scale, next to its published numbers.

* **Erasure** (paper Fig. 3): per trajectory, the input points whose upsampled
  Grad-CAM scores (target = true class) lie between the p-th and (p+10)-th
  percentile are set to 0 in the scaled input; accuracy per decile, against
  random erasure of the same number of 32-position subintervals.
* **Noise** (paper Fig. 5): accuracy against Gaussian localisation noise sigma
  added to the normalised positions (unit increment std), for models trained
  with targeted and with random augmentation. We add fresh noise to a clean
  copy at each level; the authors' code added it cumulatively in place, so
  their nominal sigma_j was really 0.1 * sqrt(sum_{i<=j} i^2). Both protocols
  are offered (``protocol``); the CSV says which one ran.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write, atomic_writes
from ..model.gradcam import upsample
from ..model.inference import iter_predict
from ..model.preprocess import andi_normalise, pad_and_scale
from ..model.spec import INPUT_LENGTH
from ..progress import Progress
from .synth import SyntheticDataset

#: Paper Fig. 3: accuracy (%) after erasing decile 0-10, ..., 90-100; random ~27.2%.
PAPER_ERASURE = (44.74, 42.67, 40.16, 36.33, 31.54, 28.95, 27.82, 26.41, 25.64, 23.75)
PAPER_RANDOM_ERASURE = 27.2
#: Paper Fig. 5: noise levels and mean accuracy (%) of 5 models per scheme (nominal, cumulative protocol).
NOISE_LEVELS = tuple(round(0.1 * i, 1) for i in range(11))
PAPER_NOISE = {
    "targeted": (85.77, 78.75, 76.54, 73.42, 64.87, 49.43, 33.35, 23.35, 18.61, 16.30, 14.99),
    "random": (85.66, 78.52, 76.30, 72.21, 62.00, 45.61, 30.39, 21.52, 17.40, 15.50, 14.44),
}


def _savefig(fig, path: Path) -> None:
    with atomic_writes([path]) as (tmp,):
        fig.savefig(tmp, format="png")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# ---------------------------------------------------------------- erasure (Fig. 3)


def decile_masks(upsampled: np.ndarray) -> np.ndarray:
    """Which input points fall in each score decile of their trajectory.

    Parameters
    ----------
    upsampled : ndarray, shape (N, 1000)
        Upsampled Grad-CAM scores.

    Returns
    -------
    ndarray of bool, shape (10, N, 1000)
        Mask ``d`` marks points with scores in [p_d, p_{d+1}) (the last decile
        includes its upper end), p the per-trajectory percentiles.
    """
    edges = np.percentile(upsampled, np.arange(0, 101, 10), axis=1).T  # (N, 11)
    masks = np.empty((10,) + upsampled.shape, dtype=bool)
    for d in range(10):
        low, high = edges[:, d : d + 1], edges[:, d + 1 : d + 2]
        masks[d] = (upsampled >= low) & ((upsampled < high) if d < 9 else (upsampled <= high))
    return masks


def random_masks_like(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random erasure of the same number of 32-position subintervals as each targeted mask."""
    from ..model.gradcam import upsample_indices

    position_of_point = upsample_indices(INPUT_LENGTH, 32)
    out = np.zeros_like(masks)
    for d in range(masks.shape[0]):
        for n in range(masks.shape[1]):
            k = np.unique(position_of_point[masks[d, n]]).size
            erased = rng.choice(32, size=k, replace=False)
            out[d, n] = np.isin(position_of_point, erased)
    return out


def iter_erasure(
    model, data: SyntheticDataset, *, seed: int = 0, device: str = "auto", batch_size: int | None = None
) -> Generator[Progress, None, pd.DataFrame]:
    """Accuracy after targeted and random erasure of each Grad-CAM decile.

    Returns
    -------
    DataFrame
        Columns ``decile`` ("0-10", ...), ``accuracy_targeted``,
        ``accuracy_random``, ``paper_accuracy_targeted``, ``paper_accuracy_random``
        (accuracies in %), and one row ``none`` without erasure.
    """
    indices = np.arange(len(data))
    labels = data.labels
    logits, maps = yield from iter_predict(model, data.inputs, indices, device=device, batch_size=batch_size, gradcam=True)
    clean_accuracy = 100 * float(np.mean(logits.argmax(1) == labels))
    upsampled = upsample(maps[indices, labels])  # (N, 1000), target = true class
    targeted = decile_masks(upsampled)
    rng = np.random.default_rng([seed, 6])
    random = random_masks_like(targeted, rng)
    rows = []
    for d in range(10):
        accuracies = []
        for masks in (targeted, random):
            def erased_inputs(chunk: np.ndarray, mask=masks[d]) -> np.ndarray:
                inputs = data.inputs(chunk)
                inputs[np.repeat(mask[chunk][:, None, :], 2, axis=1)] = 0.0  # both coordinates
                return inputs

            erased_logits, _ = yield from iter_predict(
                model, erased_inputs, indices, device=device, batch_size=batch_size
            )
            accuracies.append(100 * float(np.mean(erased_logits.argmax(1) == labels)))
        rows.append({
            "decile": f"{10 * d}-{10 * d + 10}",
            "accuracy_targeted": accuracies[0],
            "accuracy_random": accuracies[1],
            "paper_accuracy_targeted": PAPER_ERASURE[d],
            "paper_accuracy_random": PAPER_RANDOM_ERASURE,
        })
    rows.append({"decile": "none", "accuracy_targeted": clean_accuracy, "accuracy_random": clean_accuracy,
                 "paper_accuracy_targeted": np.nan, "paper_accuracy_random": np.nan})
    return pd.DataFrame(rows)


def plot_erasure(table: pd.DataFrame, path: Path, n: int) -> None:
    plt = _pyplot()
    deciles = table[table["decile"] != "none"]
    x = np.arange(len(deciles))
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    ax.plot(x, deciles["accuracy_targeted"], "o-", label="ours: erase Grad-CAM decile")
    ax.plot(x, deciles["accuracy_random"], "s--", label="ours: random erasure, same amount")
    ax.plot(x, deciles["paper_accuracy_targeted"], "o:", color="grey", label="paper: Grad-CAM decile")
    ax.axhline(PAPER_RANDOM_ERASURE, color="grey", ls="-.", lw=1, label="paper: random (~27.2%)")
    ax.set_xticks(x, deciles["decile"], rotation=30)
    ax.set_xlabel("erased Grad-CAM score percentile range")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"Erasure experiment (paper Fig. 3), {n:,} trajectories")
    ax.legend(fontsize=8)
    fig.tight_layout()
    _savefig(fig, path)
    plt.close(fig)


# ---------------------------------------------------------------- noise (Fig. 5)


def effective_sigmas(levels: tuple[float, ...], protocol: str) -> np.ndarray:
    """Real noise std at each level: the level itself (fresh), or the authors' cumulative sum."""
    levels_arr = np.asarray(levels, dtype=float)
    if protocol == "fresh":
        return levels_arr
    if protocol == "cumulative":
        return np.sqrt(np.cumsum(levels_arr**2))
    raise ValueError("protocol must be 'fresh' or 'cumulative'")


def noisy_inputs(data: SyntheticDataset, chunk: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """Network inputs with Gaussian noise of std ``sigma`` added to the normalised positions.

    The noise of trajectory ``i`` depends only on (seed, i), so it is the same
    whatever the batching.
    """
    out = np.empty((chunk.size, 2, INPUT_LENGTH), dtype=np.float32)
    for row, index in enumerate(chunk):
        normalised = andi_normalise(data.trajectory(int(index)))
        if sigma > 0:
            normalised = normalised + sigma * np.random.default_rng([seed, int(index)]).normal(size=normalised.shape)
        out[row] = pad_and_scale(normalised)
    return out


def iter_noise(
    models: dict[str, list],
    data: SyntheticDataset,
    *,
    levels: tuple[float, ...] = NOISE_LEVELS,
    protocol: str = "fresh",
    seed: int = 0,
    device: str = "auto",
    batch_size: int | None = None,
) -> Generator[Progress, None, pd.DataFrame]:
    """Accuracy of each model against noise.

    Parameters
    ----------
    models : dict
        ``{"targeted": [LoadedModel, ...], "random": [...]}`` (any scheme names).
    data : SyntheticDataset
        Clean test trajectories.
    levels : tuple of float
        Nominal sigmas (unit increment std).
    protocol : {"fresh", "cumulative"}

    Returns
    -------
    DataFrame
        One row per (scheme, model, level): ``scheme, model, sigma_nominal,
        sigma_effective, protocol, accuracy`` (%).
    """
    sigmas = effective_sigmas(levels, protocol)
    indices = np.arange(len(data))
    rows = []
    for level_index, (nominal, sigma) in enumerate(zip(levels, sigmas)):
        def noisy(chunk: np.ndarray, sigma=sigma, level_index=level_index) -> np.ndarray:
            # fresh noise for each level: a new seed per level, always on the clean copy
            return noisy_inputs(data, chunk, float(sigma), seed * 1000 + level_index)

        for scheme, members in models.items():
            for member in members:
                logits, _ = yield from iter_predict(member, noisy, indices, device=device, batch_size=batch_size)
                rows.append({"scheme": scheme, "model": member.name, "sigma_nominal": nominal,
                             "sigma_effective": float(sigma), "protocol": protocol,
                             "accuracy": 100 * float(np.mean(logits.argmax(1) == data.labels))})
    return pd.DataFrame(rows)


def summarise_noise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over models per scheme and level, with the paper's numbers next to them."""
    summary = table.groupby(["scheme", "sigma_nominal", "sigma_effective", "protocol"], as_index=False)["accuracy"].agg(
        accuracy_mean="mean", accuracy_std="std", n_models="size")
    paper = {(scheme, level): value for scheme, values in PAPER_NOISE.items() for level, value in zip(NOISE_LEVELS, values)}
    summary["paper_accuracy"] = [paper.get((s, round(level, 1)), np.nan)
                                 for s, level in zip(summary["scheme"], summary["sigma_nominal"])]
    return summary


def plot_noise(summary: pd.DataFrame, path: Path, n: int) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for scheme, group in summary.groupby("scheme"):
        ax.errorbar(group["sigma_nominal"], group["accuracy_mean"], yerr=group["accuracy_std"].fillna(0),
                    marker="o", capsize=3, label=f"ours: {scheme} ({int(group['n_models'].iloc[0])} model(s))")
    for scheme, values in PAPER_NOISE.items():
        ax.plot(NOISE_LEVELS, values, ":", marker=".", label=f"paper: {scheme} (cumulative noise)")
    ax.set_xlabel("localisation noise sigma (increment std units, nominal)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"Noise robustness (paper Fig. 5), {n:,} trajectories, {summary['protocol'].iloc[0]} noise")
    ax.legend(fontsize=8)
    fig.tight_layout()
    _savefig(fig, path)
    plt.close(fig)


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as handle:
        table.to_csv(handle, index=False, float_format="%.4f")
    return path
