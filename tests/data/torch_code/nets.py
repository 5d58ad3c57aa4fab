"""Small PyTorch models for tests/test_import_torch.py, imported by `cnncalc import` from this file."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Functional(nn.Module):
    """Functional calls, tensor methods and in-place ops, as people write small nets."""

    def __init__(self, classes: int = 10, width: int = 16) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.conv3 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.fc = nn.Linear(8, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        x = F.max_pool2d(x, 2)
        y = self.conv2(x).relu_()
        y = self.conv3(y)
        y += x
        y = torch.sigmoid(y) * y
        x = torch.cat([x, y], dim=1)
        x = F.adaptive_avg_pool2d(x, 1)
        x = x[:, :8]
        x = torch.flatten(x, 1)
        return self.fc(x)


class Rolled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.roll(self.conv(x), 1, dims=2)  # no layer kind shifts an image


class Unsupported(nn.Module):
    """One op with no layer kind, inside a submodule: `block`."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.block = Rolled()
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block(self.conv(x))
        x = x.mean((2, 3))
        return self.head(x)


class TokenBag(nn.Module):
    """Token ids in, the mean of their vectors, a classifier."""

    def __init__(self, vocab: int = 100, width: int = 12) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.head = nn.Linear(width, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(ids).mean(1))


def make_functional(classes: int = 10) -> nn.Module:
    """A factory function rather than a class."""
    return Functional(classes=classes)


class GatedConv(nn.Conv2d):
    """A subclass of nn.Conv2d with a parameter of its own: captured as a conv, it is not one."""

    def __init__(self, *args: int) -> None:
        super().__init__(*args)
        self.gate = nn.Parameter(torch.ones(self.out_channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x) * self.gate


class Odd(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = GatedConv(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Recurrent(nn.Module):
    """A module with no layer kind here (a recurrent one) inside a submodule."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 3)
        self.rnn = nn.GRUCell(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(self.conv(x).mean(2))


class Language(nn.Module):
    """Token ids, an embedding, a two-layer LSTM (batch first), logits at every position."""

    def __init__(self, vocab: int = 1000, width: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, width)
        self.rnn = nn.LSTM(width, hidden, num_layers=2, batch_first=True, dropout=0.1)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.emb(ids))
        return self.out(out)


class Pools(nn.Module):
    """Pooling written as functions, with their keyword arguments."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(self.conv(x), 3, 2, ceil_mode=True)  # 14 -> ceil(11 / 2) + 1 = 7
        x = F.avg_pool2d(x, 2, padding=1, count_include_pad=False)  # 7 -> 4
        return torch.flatten(x, 1)
