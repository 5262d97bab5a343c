"""Grad-CAM on the last stage of ResAnDi, without a backward pass.

REFERENCE.md defines the score at last-stage position k for target class t as

    score_k = sum_c  mean_k'( d logit_t / d A_{c,k'} ) * A_{c,k}

with A the last stage's activations (512 channels x 32 positions). Between A and
the logits there are only the global average pool and the linear head, so
``d logit_t / d A_{c,k'} = W[t, c] / 32`` for every k', and the score is the
linear head applied position by position: ``score_k = sum_c W[t, c] A_{c,k} / 32``.
That costs one small matrix product per batch instead of a backward pass through
the whole network, and gives the maps of all 8 classes at once.
:func:`gradcam_autograd` computes the same thing the textbook way; the tests hold
the two equal.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .spec import GRADCAM_POSITIONS, INPUT_LENGTH


def class_activation_maps(features: torch.Tensor, fc_weight: torch.Tensor) -> torch.Tensor:
    """Signed Grad-CAM maps of every class from last-stage activations.

    Parameters
    ----------
    features : Tensor, shape (N, 512, K)
        Activations of the last stage (K = 32 for a 1000-point input).
    fc_weight : Tensor, shape (n_classes, 512)
        Weight of the linear head.

    Returns
    -------
    Tensor, shape (N, n_classes, K)
        Score of each last-stage position for each target class (no ReLU).
    """
    return torch.einsum("tc,nck->ntk", fc_weight, features) / features.shape[-1]


def upsample_indices(length: int = INPUT_LENGTH, positions: int = GRADCAM_POSITIONS) -> np.ndarray:
    """Index of the last-stage position that covers each input point.

    Nearest-neighbour upsampling as ``torch.nn.functional.interpolate(mode="nearest")``:
    input point i takes position ``floor(i * positions / length)``, i.e. 32
    subintervals of 31 or 32 points for a 1000-point input.

    Returns
    -------
    ndarray, shape (length,), int
    """
    return (np.arange(length) * positions) // length


def upsample(maps: np.ndarray, length: int = INPUT_LENGTH) -> np.ndarray:
    """Nearest-neighbour upsampling of Grad-CAM maps along their last axis.

    Parameters
    ----------
    maps : ndarray, shape (..., K)
    length : int
        Number of input points.

    Returns
    -------
    ndarray, shape (..., length)
    """
    return maps[..., upsample_indices(length, maps.shape[-1])]


def point_scores(map_k: np.ndarray, n_points: int, relu: bool = False, length: int = INPUT_LENGTH) -> np.ndarray:
    """Grad-CAM score of each of a window's own points (the padding dropped).

    Parameters
    ----------
    map_k : ndarray, shape (K,)
        One window's map for the target class.
    n_points : int
        Points of the trajectory in that window; they occupy the last ``n_points``
        of the ``length`` input points (left padding).
    relu : bool
        Clip negative scores to 0 (standard Grad-CAM); default keeps the sign,
        as the paper did.

    Returns
    -------
    ndarray, shape (n_points,), float64
    """
    full = upsample(np.asarray(map_k, dtype=np.float64), length)
    if relu:
        full = np.maximum(full, 0.0)
    return full[length - n_points :]


def gradcam_autograd(model: nn.Module, inputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Reference Grad-CAM by automatic differentiation (slow; for checking).

    Parameters
    ----------
    model : ResAnDi or FusedResAnDi
        Must provide ``features`` and ``head``.
    inputs : Tensor, shape (N, 2, 1000)
    target : Tensor, shape (N,), int
        Target class per trajectory.

    Returns
    -------
    Tensor, shape (N, K)
        Signed scores at the K last-stage positions.
    """
    with torch.enable_grad():
        features = model.features(inputs).detach().requires_grad_(True)
        logits = model.head(features)
        chosen = logits.gather(1, target.view(-1, 1)).sum()
        (grads,) = torch.autograd.grad(chosen, features)
    weights = grads.mean(dim=2, keepdim=True)  # (N, 512, 1): time-mean of the gradient
    return (weights * features).sum(dim=1).detach()
