"""Small PyTorch models for tests/test_import_torch.py: channels last between two permutes
(ConvNeXt's CNBlock), a list of features each layer concatenates (DenseNet), and a rate
that grows block by block (stochastic depth)."""

from __future__ import annotations

import torch
from torch import nn


class ChannelsLast(nn.Module):
    """conv, then LayerNorm, Linear, GELU, Linear on the channels held last, a layer scale,
    and back: as torchvision's CNBlock, small."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.LayerNorm(8, eps=1e-6)
        self.up = nn.Linear(8, 16)
        self.act = nn.GELU()
        self.down = nn.Linear(16, 8)
        self.gamma = nn.Parameter(torch.ones(8, 1, 1))
        self.fc = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        y = x.permute(0, 2, 3, 1)
        y = self.down(self.act(self.up(self.norm(y))))
        y = self.gamma * y.permute(0, 3, 1, 2)
        x = x + y
        return self.fc(x.mean((2, 3)))


class FlattenedChannelsLast(nn.Module):
    """Channels moved last and flattened that way: an order of features no kind has."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 4 * 4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv(x).permute(0, 2, 3, 1).flatten(1))


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


class _Drop(nn.Module):
    def __init__(self, rate: float) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.drop = nn.Dropout(rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.conv(x))


class GrowingRates(nn.Module):
    """Identical units but for a dropout rate each: 0.3 * k / 3 as written, or any others."""

    def __init__(self, rates: tuple[float, ...] = tuple(0.3 * k / 3 for k in range(4))) -> None:
        super().__init__()
        self.units = nn.Sequential(*(_Drop(rate) for rate in rates))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.units(x)
