"""A fast inference copy of ResAnDi: BatchNorm folded into 2-D, channels-last convolutions.

Why: on CPU, oneDNN runs ``Conv2d`` with 1 x k kernels on channels-last tensors
about 20% faster than the equivalent ``Conv1d`` (measured at the 512 x 512 x 15
convolutions of the last stage; see ``benchmarks/inference.py``), and folding each
BatchNorm into the preceding convolution removes a pass over every activation.
The maths is the network's own (the authors also used 1 x k ``Conv2d`` kernels);
only rounding differs (tests compare against :class:`ResAnDi` in eval mode).
"""

from __future__ import annotations

import torch
from torch import nn

from .resandi import BasicBlock, ResAnDi


def _fold_conv_bn(conv: nn.Conv1d, bn: nn.BatchNorm1d) -> nn.Conv2d:
    """Return a Conv2d (1 x k kernel, with bias) equal to ``bn(conv(x))`` in eval mode."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    weight = conv.weight * scale[:, None, None]
    bias = bn.bias - bn.running_mean * scale
    if conv.bias is not None:
        bias = bias + conv.bias * scale
    # skip_init: the weights are overwritten below, so don't pay for a random init.
    out = nn.utils.skip_init(
        nn.Conv2d,
        conv.in_channels,
        conv.out_channels,
        kernel_size=(1, conv.kernel_size[0]),
        stride=(1, conv.stride[0]),
        padding=(0, conv.padding[0]),
        bias=True,
    )
    with torch.no_grad():
        out.weight.copy_(weight.unsqueeze(2))
        out.bias.copy_(bias)
    return out


class _FusedBlock(nn.Module):
    def __init__(self, block: BasicBlock) -> None:
        super().__init__()
        self.conv1 = _fold_conv_bn(block.conv1, block.bn1)
        self.conv2 = _fold_conv_bn(block.conv2, block.bn2)
        self.shortcut = (
            None
            if block.downsample is None
            else _fold_conv_bn(block.downsample[0], block.downsample[1])
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.shortcut is None else self.shortcut(x)
        out = torch.relu_(self.conv1(x))
        return torch.relu_(self.conv2(out).add_(identity))


class FusedResAnDi(nn.Module):
    """Eval-only ResAnDi with the same ``features``/``head``/``forward`` interface.

    Parameters
    ----------
    model : ResAnDi
        A trained network; it is read once and not modified.
    """

    def __init__(self, model: ResAnDi) -> None:
        super().__init__()
        model = model.eval()
        with torch.no_grad():
            self.stem = _fold_conv_bn(model.conv1, model.bn1)
            self.maxpool = nn.MaxPool2d(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1))
            self.blocks = nn.Sequential(
                *[
                    _FusedBlock(block)
                    for stage in (model.layer1, model.layer2, model.layer3, model.layer4)
                    for block in stage
                ]
            )
            self.fc = nn.Linear(model.fc.in_features, model.fc.out_features)
            self.fc.load_state_dict(model.fc.state_dict())
        self.eval()
        self.to(memory_format=torch.channels_last)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Last-stage activations (N, 512, 32) for input (N, 2, 1000)."""
        x = x.unsqueeze(2).contiguous(memory_format=torch.channels_last)
        x = self.maxpool(torch.relu_(self.stem(x)))
        return self.blocks(x).squeeze(2)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """Logits (N, 8) from last-stage activations (N, 512, 32)."""
        return self.fc(features.mean(dim=2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
