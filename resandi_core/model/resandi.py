"""The ResAnDi network: a ResNet18 with 1-D kernels (Bae, Baek & Jeong, 2024).

Input is a batch of preprocessed trajectories, shape ``(N, 2, 1000)`` (x and y as
channels, see :mod:`resandi_core.model.preprocess`); output is 8 logits per
trajectory. The time axis shrinks 1000 -> 500 -> 250 (pool) -> 250 -> 125 -> 63 -> 32,
so the last stage (``layer4``, the Grad-CAM layer) is 512 channels x 32 positions.
"""

from __future__ import annotations

import torch
from torch import nn

from .spec import BLOCK_KERNEL, CLASS_NAMES, GRADCAM_POSITIONS, INPUT_LENGTH, STAGE_CHANNELS, STEM_KERNEL

__all__ = ["CLASS_NAMES", "GRADCAM_POSITIONS", "INPUT_LENGTH", "ResAnDi", "count_parameters"]


class BasicBlock(nn.Module):
    """Two kernel-15 convolutions with a residual connection (ResNet's BasicBlock)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        pad = BLOCK_KERNEL // 2
        self.conv1 = nn.Conv1d(in_channels, out_channels, BLOCK_KERNEL, stride, pad, bias=False)
        self.bn1 = nn.BatchNorm1d(out_channels)
        self.conv2 = nn.Conv1d(out_channels, out_channels, BLOCK_KERNEL, 1, pad, bias=False)
        self.bn2 = nn.BatchNorm1d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv1d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm1d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResAnDi(nn.Module):
    """ResNet18 with 1-D kernels for 8-class anomalous-diffusion classification.

    18,499,336 parameters. ``features`` returns the last stage's activations
    (N, 512, 32) so that Grad-CAM can reuse one forward pass.
    """

    def __init__(self, in_channels: int = 2, num_classes: int = len(CLASS_NAMES)) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(
            in_channels, STAGE_CHANNELS[0], STEM_KERNEL, 2, STEM_KERNEL // 2, bias=False
        )
        self.bn1 = nn.BatchNorm1d(STAGE_CHANNELS[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool1d(kernel_size=3, stride=2, padding=1)
        stages = []
        in_ch = STAGE_CHANNELS[0]
        for i, out_ch in enumerate(STAGE_CHANNELS):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(BasicBlock(in_ch, out_ch, stride), BasicBlock(out_ch, out_ch)))
            in_ch = out_ch
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(STAGE_CHANNELS[-1], num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        # torchvision's ResNet initialisation, which the authors used.
        for m in self.modules():
            if isinstance(m, nn.Conv1d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm1d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Last-stage activations, shape (N, 512, 32), for input (N, 2, 1000)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """Logits (N, 8) from last-stage activations (N, 512, 32)."""
        return self.fc(torch.flatten(self.avgpool(features), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
