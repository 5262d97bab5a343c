import numpy as np
import pytest
import torch
import torch.nn.functional as F

from resandi_core.model.fused import FusedResAnDi
from resandi_core.model.gradcam import (
    class_activation_maps,
    gradcam_autograd,
    point_scores,
    upsample,
    upsample_indices,
)
from resandi_core.model.store import random_network


@pytest.mark.parametrize("use_fused", [False, True])
def test_closed_form_equals_autograd_for_every_class(use_fused):
    model = random_network(3)
    net = FusedResAnDi(model) if use_fused else model
    x = torch.rand(5, 2, 1000, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        maps = class_activation_maps(net.features(x), net.fc.weight)
    assert maps.shape == (5, 8, 32)
    for target in range(8):
        ref = gradcam_autograd(net, x, torch.full((5,), target))
        torch.testing.assert_close(maps[:, target], ref, rtol=1e-4, atol=1e-5 * ref.abs().max().item())


def test_upsampling_is_torch_nearest_with_32_subintervals():
    maps = np.arange(32, dtype=np.float64)[None, None, :]
    ours = upsample(maps)
    ref = F.interpolate(torch.from_numpy(maps), size=1000, mode="nearest").numpy()
    np.testing.assert_array_equal(ours, ref)
    sizes = np.bincount(upsample_indices())
    assert len(sizes) == 32 and set(sizes) == {31, 32}


def test_point_scores_drop_padding_and_relu_clips():
    map_k = np.linspace(-1, 1, 32)
    scores = point_scores(map_k, 100)
    np.testing.assert_array_equal(scores, upsample(map_k)[-100:])
    assert scores[-1] == 1.0
    relu = point_scores(map_k, 1000, relu=True)
    assert relu.min() == 0.0 and np.all(relu[upsample_indices() >= 16] > 0)
