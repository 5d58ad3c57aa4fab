"""A small PyTorch model for tests/test_import_dense.py: a list of features each layer
concatenates, as torchvision's _DenseBlock keeps it."""

from __future__ import annotations

import torch
from torch import nn


class _Unit(nn.Module):
    def __init__(self, channels: int, growth: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, growth, 3, padding=1, bias=False)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        return self.conv(torch.cat(features, 1))


class DenseFeatures(nn.Module):
    """Three units, each reading all the features before it, then all of them: DenseNet's
    _DenseBlock with one conv per layer."""

    def __init__(self, channels: int = 4, growth: int = 2, units: int = 3) -> None:
        super().__init__()
        self.units = nn.ModuleList(_Unit(channels + i * growth, growth) for i in range(units))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for unit in self.units:
            features.append(unit(features))
        return torch.cat(features, 1)
