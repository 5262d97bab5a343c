"""The paper's Grad-CAM-targeted augmentation and its random baseline.

REFERENCE.md ("Targeted augmentation"): score every training trajectory by its
mean Grad-CAM score under a given model (target = its true class, as the
authors did); within each class keep the top ``fraction`` (default 0.6); add one
copy of each, rotated by a uniform random angle applied to the normalised
positions before scaling. The random baseline draws the same number per class
uniformly at random. The originals all stay in the training set.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np

from ..model.gradcam import upsample_indices
from ..model.spec import CLASS_NAMES, GRADCAM_POSITIONS, INPUT_LENGTH
from ..progress import Progress
from .synth import SyntheticDataset

if TYPE_CHECKING:
    from .config import TrainConfig


def mean_gradcam_scores(maps: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Mean of the 1000 upsampled Grad-CAM values of each trajectory's target class.

    Parameters
    ----------
    maps : ndarray, shape (N, 8, 32)
        Signed maps of all classes.
    targets : ndarray of int, shape (N,)

    Returns
    -------
    ndarray, shape (N,)
        Equal to ``upsample(map).mean()``: position k weighs by the number of
        input points it covers (31 or 32).
    """
    weights = np.bincount(upsample_indices(INPUT_LENGTH, GRADCAM_POSITIONS), minlength=GRADCAM_POSITIONS) / INPUT_LENGTH
    return maps[np.arange(targets.size), targets] @ weights


def scoring_pool(data: SyntheticDataset, train_idx: np.ndarray, pool_per_class: int | None, seed: int) -> np.ndarray:
    """Training indices to score: all, or ``pool_per_class`` random ones of each class."""
    if pool_per_class is None:
        return train_idx
    rng = np.random.default_rng([seed, 4])
    chosen = []
    for label in range(len(CLASS_NAMES)):
        members = train_idx[data.labels[train_idx] == label]
        chosen.append(rng.choice(members, size=min(pool_per_class, members.size), replace=False))
    return np.sort(np.concatenate(chosen))


def select_targeted(pool: np.ndarray, labels: np.ndarray, scores: np.ndarray, fraction: float) -> np.ndarray:
    """Top ``fraction`` of each class by score (ties broken by index order)."""
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        keep = int(round(fraction * members.size))
        order = members[np.argsort(-scores[members], kind="stable")]
        chosen.append(pool[order[:keep]])
    return np.sort(np.concatenate(chosen))


def select_random(pool: np.ndarray, labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """The same number per class as :func:`select_targeted`, drawn at random."""
    rng = np.random.default_rng([seed, 5])
    chosen = []
    for label in np.unique(labels):
        members = pool[labels == label]
        chosen.append(rng.choice(members, size=int(round(fraction * members.size)), replace=False))
    return np.sort(np.concatenate(chosen))


def augmented_items(
    data: SyntheticDataset, train_idx: np.ndarray, config: TrainConfig
) -> Generator[Progress, None, tuple[np.ndarray, np.ndarray]]:
    """Training items with the rotated copies added.

    Returns
    -------
    indices : ndarray of int, shape (M,)
        ``train_idx`` followed by the selected trajectories.
    rotations : ndarray, shape (M,)
        NaN for the originals, a uniform angle in [0, 2 pi) for each copy.
    """
    pool = scoring_pool(data, train_idx, config.augment_pool, config.seed)
    labels = data.labels[pool]
    if config.augment == "targeted":
        from ..model.inference import iter_predict
        from ..model.registry import load_model

        model = load_model(config.augment_model)
        _, maps = yield from iter_predict(model, data.inputs, pool, device=config.device, gradcam=True)
        selected = select_targeted(pool, labels, mean_gradcam_scores(maps, labels), config.augment_fraction)
    else:
        selected = select_random(pool, labels, config.augment_fraction, config.seed)
    angles = np.random.default_rng([config.seed, 3]).uniform(0, 2 * np.pi, size=selected.size)
    indices = np.concatenate([train_idx, selected])
    rotations = np.concatenate([np.full(train_idx.size, np.nan), angles])
    return indices, rotations


def draw_noise_sigmas(config: TrainConfig, n: int, rng: np.random.Generator) -> np.ndarray | None:
    """Per-trajectory localisation-noise std of one batch (on-the-fly noise augmentation).

    Parameters
    ----------
    config : TrainConfig
        ``noise_augment``, ``noise_sigma_min``/``max`` and ``noise_clean_fraction``.
    n : int
        Trajectories in the batch.
    rng : numpy.random.Generator
        Seeded from (seed, global step) by the loop, so a resumed run draws the same noise.

    Returns
    -------
    ndarray, shape (n,), float64, or None
        Sigma in increment-std units, 0 for the clean share; None without noise augmentation.
    """
    if config.noise_augment == "none":
        return None
    low, high = config.noise_sigma_min, config.noise_sigma_max
    if config.noise_augment == "loguniform":
        sigmas = np.exp(rng.uniform(np.log(low), np.log(high), size=n))
    else:
        sigmas = rng.uniform(low, high, size=n)
    sigmas[rng.random(n) < config.noise_clean_fraction] = 0.0
    return sigmas
