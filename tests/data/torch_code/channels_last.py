"""Small PyTorch models that hold their map channels last, for tests/test_import_torch.py."""

from __future__ import annotations

import torch
from torch import nn


class ChannelsLast(nn.Module):
    """conv, then (N, H, W, C): LayerNorm and an MLP on each position, back to (N, C, H, W)."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)
        self.norm = nn.LayerNorm(width)
        self.up = nn.Linear(width, 2 * width)
        self.down = nn.Linear(2 * width, width)
        self.head = nn.Linear(width, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x).permute(0, 2, 3, 1)
        x = x + self.down(nn.functional.gelu(self.up(self.norm(x))))
        x = x.permute(0, 3, 1, 2)
        return self.head(x.mean((2, 3)))


class Transposed(nn.Module):
    """The same, but moved back with H and W swapped: not the map it was, so a gap."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Conv2d(width, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.conv(x).permute(0, 2, 3, 1))
        return self.head(x.permute(0, 3, 2, 1))


class Mixed(nn.Module):
    """A sum of a channels-last tensor and the rows of another order (H and W swapped)."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return (x.permute(0, 2, 3, 1) + x.permute(0, 3, 2, 1)).permute(0, 3, 1, 2)
