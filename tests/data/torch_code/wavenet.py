"""WaveNet (van den Oord et al. 2016) as specs/wavenet.yaml describes it, written by hand as
a person would: each layer returns two tensors (the residual the next layer reads, the skip
the head sums), and the head sums the skips with Python's sum()."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Layer(nn.Module):
    """A causal dilated conv pair (kernel 2, left-padded by the dilation), gated tanh * sigmoid,
    then 1x1 convs to the residual and to the skip."""

    def __init__(self, dilation: int, channels: int = 64, skip: int = 256) -> None:
        super().__init__()
        self.dilation = dilation
        self.filter = nn.Conv1d(channels, channels, 2, dilation=dilation)
        self.gate = nn.Conv1d(channels, channels, 2, dilation=dilation)
        self.skip = nn.Conv1d(channels, skip, 1)
        self.res = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        padded = F.pad(x, (self.dilation, 0))  # causal: the past only
        gated = torch.tanh(self.filter(padded)) * torch.sigmoid(self.gate(padded))
        return x + self.res(gated), self.skip(gated)


class WaveNet(nn.Module):
    """`stacks` stacks of `depth` layers with dilations 1, 2, 4, ... 2 ** (depth - 1)."""

    def __init__(self, stacks: int = 2, depth: int = 10, classes: int = 256, channels: int = 64) -> None:
        super().__init__()
        self.start = nn.Conv1d(classes, channels, 1)
        self.layers = nn.ModuleList(Layer(2 ** (i % depth), channels, classes) for i in range(stacks * depth))
        self.post = nn.Conv1d(classes, classes, 1)
        self.logits = nn.Conv1d(classes, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.start(x)
        skips = []
        for layer in self.layers:
            x, skip = layer(x)
            skips.append(skip)
        return self.logits(torch.relu(self.post(torch.relu(sum(skips)))))
