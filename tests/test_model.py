import pytest
import torch

from resandi_core.model.fused import FusedResAnDi
from resandi_core.model.resandi import ResAnDi, count_parameters
from resandi_core.model.store import random_network


def test_parameter_count_matches_the_paper():
    assert count_parameters(ResAnDi()) == 18_499_336


def test_output_and_feature_shapes():
    model = ResAnDi().eval()
    x = torch.rand(3, 2, 1000)
    with torch.no_grad():
        assert model(x).shape == (3, 8)
        assert model.features(x).shape == (3, 512, 32)


def test_time_axis_shrinks_as_in_the_reference():
    model = ResAnDi().eval()
    lengths = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, out: lengths.append(out.shape[-1]))
        for m in (model.conv1, model.maxpool, model.layer1, model.layer2, model.layer3, model.layer4)
    ]
    with torch.no_grad():
        model(torch.rand(1, 2, 1000))
    for hook in hooks:
        hook.remove()
    assert lengths == [500, 250, 250, 125, 63, 32]


@pytest.mark.parametrize("seed", [0, 1])
def test_fused_network_equals_the_plain_network(seed):
    model = random_network(seed)
    fused = FusedResAnDi(model)
    x = torch.rand(4, 2, 1000, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        ref_features, got_features = model.features(x), fused.features(x)
        ref_logits, got_logits = model(x), fused(x)
    scale = ref_logits.abs().max()
    assert torch.allclose(got_features, ref_features, rtol=1e-4, atol=1e-4 * ref_features.abs().max())
    assert torch.allclose(got_logits, ref_logits, rtol=1e-4, atol=1e-4 * scale)
    # The random BatchNorm statistics must matter, or folding would be untested.
    plain = ResAnDi().eval()
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if "running" not in k}, strict=False)
    with torch.no_grad():
        assert not torch.allclose(plain(x), ref_logits, atol=1e-3)
