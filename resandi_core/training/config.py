"""The training recipe, early stopping and a run's record as typed objects, importable without torch.

The GUI fills its training form from ``TrainConfig()`` and the CLI parses into
it; neither should load torch just to learn the defaults, so the recipe lives
here and :mod:`resandi_core.training.loop` (which needs torch) imports it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import TrainingError


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; the defaults are the paper's recipe.

    Attributes
    ----------
    max_epochs : int
        Upper bound on epochs.
    batch_size : int
        Trajectories per optimiser step.
    lr : float
        Adam learning rate.
    schedule : {"step", "cosine"}
        ``step``: multiply the learning rate by ``lr_gamma`` every ``lr_step``
        epochs (paper). ``cosine``: decay to 0 over ``max_epochs`` (useful for
        short, time-limited runs).
    lr_step, lr_gamma : int, float
        StepLR parameters.
    patience : int
        Epochs without a validation-loss improvement of at least ``min_delta``
        before stopping.
    min_delta : float
        Smallest improvement of the mean validation loss that counts.
    steps_per_epoch : int or None
        Optimiser steps per epoch; None = one pass over the training set. Shorter
        epochs validate and checkpoint more often.
    val_fraction : float
        Share of the training folder held out for validation when no separate
        validation folder is given.
    seed : int
        Seed of initial weights, batch order and augmentation angles.
    device : str
        ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
    precision : {"auto", "fp32", "bf16", "fp16"}
        ``auto``: fp16 mixed precision on CUDA, bf16 autocast on CPUs with
        native bf16 (about 2x faster here), fp32 otherwise.
    augment : {"none", "targeted", "random"}
        Paper's augmentation (REFERENCE.md "Targeted augmentation").
    augment_fraction : float
        Share of each class that gets a rotated copy.
    augment_model : str or None
        Model (name or folder) whose Grad-CAM selects the copies (targeted).
    augment_pool : int or None
        Score at most this many training trajectories per class (None = all).
    init_model : str or None
        Start from this model's weights (fine-tuning) instead of random ones.
    max_minutes : float or None
        Stop after the epoch during which this much training time has passed.
    bn_recalibration_batches : int
        After training, recompute the BatchNorm statistics of the kept weights
        over this many training batches (0 = keep the running averages, as the paper).
    noise_augment : {"none", "uniform", "loguniform"}
        Localisation noise added on the fly to each training trajectory (fresh
        every time it is drawn): Gaussian, of a per-trajectory std sigma in
        increment-std units (REFERENCE.md "Noise, calibration"), drawn from this
        distribution on [``noise_sigma_min``, ``noise_sigma_max``]; the noisy
        positions are normalised again, as a real noisy track is. ``none``: the
        paper's noiseless training.
    noise_sigma_min, noise_sigma_max : float
        Range of sigma, increment-std units (>= 0; loguniform needs min > 0).
    noise_clean_fraction : float
        Share of trajectories left noiseless, so that clean accuracy is kept.
    """

    max_epochs: int = 100
    batch_size: int = 64
    lr: float = 1e-4
    schedule: str = "step"
    lr_step: int = 10
    lr_gamma: float = 0.5
    patience: int = 10
    min_delta: float = 0.001
    steps_per_epoch: int | None = None
    val_fraction: float = 0.1
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    augment: str = "none"
    augment_fraction: float = 0.6
    augment_model: str | None = None
    augment_pool: int | None = None
    init_model: str | None = None
    max_minutes: float | None = None
    bn_recalibration_batches: int = 0
    noise_augment: str = "none"
    noise_sigma_min: float = 0.0
    noise_sigma_max: float = 1.0
    noise_clean_fraction: float = 0.25

    def __post_init__(self) -> None:
        checks = [
            (self.max_epochs >= 1, "max_epochs must be at least 1"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (self.lr > 0, "lr must be positive"),
            (self.schedule in ("step", "cosine"), "schedule must be 'step' or 'cosine'"),
            (self.lr_step >= 1 and 0 < self.lr_gamma <= 1, "lr_step >= 1 and 0 < lr_gamma <= 1"),
            (self.patience >= 1, "patience must be at least 1"),
            (self.steps_per_epoch is None or self.steps_per_epoch >= 1, "steps_per_epoch must be at least 1"),
            (0 < self.val_fraction < 1, "val_fraction must be between 0 and 1"),
            (self.precision in ("auto", "fp32", "bf16", "fp16"), "precision must be auto, fp32, bf16 or fp16"),
            (self.augment in ("none", "targeted", "random"), "augment must be none, targeted or random"),
            (0 < self.augment_fraction <= 1, "augment_fraction must be in (0, 1]"),
            (self.augment != "targeted" or self.augment_model, "targeted augmentation needs augment_model"),
            (self.bn_recalibration_batches >= 0, "bn_recalibration_batches must be >= 0"),
            (self.noise_augment in ("none", "uniform", "loguniform"), "noise_augment must be none, uniform or loguniform"),
            (0 <= self.noise_sigma_min <= self.noise_sigma_max, "need 0 <= noise_sigma_min <= noise_sigma_max"),
            (self.noise_augment != "loguniform" or self.noise_sigma_min > 0, "loguniform noise needs noise_sigma_min > 0"),
            (0 <= self.noise_clean_fraction <= 1, "noise_clean_fraction must be in [0, 1]"),
        ]
        for ok, message in checks:
            if not ok:
                raise TrainingError(message)


@dataclass
class EarlyStopping:
    """Patience counter on the validation loss (REFERENCE.md's early stopping)."""

    patience: int
    min_delta: float
    best_loss: float = math.inf
    best_epoch: int = 0
    bad_epochs: int = 0

    def update(self, loss: float, epoch: int) -> bool:
        """Record an epoch's loss; True when it is a new best."""
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.bad_epochs = loss, epoch, 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def stop(self) -> bool:
        return self.bad_epochs >= self.patience


@dataclass
class TrainingRun:
    """The record of a finished training run: what the model card and config.json say.

    Attributes
    ----------
    name : str
        The model's name and one-line description.
    config : TrainConfig
        The recipe.
    history : list of dict
        One row per epoch: ``epoch, loss, accuracy, val_loss, val_accuracy, lr, seconds``.
    stopping : EarlyStopping
        Best epoch and validation loss (the weights saved are that epoch's).
    data_folder : str
        The training data set's folder.
    data_manifest : dict
        Its ``manifest.json`` (spec, seeds, andi-datasets version).
    n_trajectories : int
        Trajectories in the training folder.
    val_dir : str or None
        A separate validation set, or None when held out of the training folder.
    elapsed_s : float
        Seconds of training, resumed runs included.
    device, precision : str
        Where it ran (``cpu``, ``cuda``) and with which autocast type.
    """

    name: str
    config: TrainConfig
    history: list[dict[str, float]]
    stopping: EarlyStopping
    data_folder: str
    data_manifest: dict[str, Any]
    n_trajectories: int
    val_dir: str | None
    elapsed_s: float
    device: str
    precision: str
