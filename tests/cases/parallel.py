"""`parallel`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random

# A composite: tests/layers/test_torch_reference.py checks it whole, with the networks below.
CASES = "[]"

CONCAT = """  - type: parallel
    branches:
      - []
      - [{type: conv, filters: 4, kernel: 3, padding: 1}]
      - [{type: maxpool, kernel: 3, stride: 1, padding: 1}, {type: conv, filters: 2, kernel: 1}]
"""
ADDED = """  - type: parallel
    merge: add
    activation: relu
    branches:
      - [{type: conv, filters: 6, kernel: 3, padding: 1, bias: false}, {type: batchnorm}]
      - [{type: conv, filters: 6, kernel: 1}]
"""


def torch_networks() -> dict[str, tuple[str, tuple[int, ...], Callable[[], Any]]]:
    """Layers of a spec, its input (C, H, W), and the PyTorch a user would write for it."""
    import torch
    from torch import nn

    from cases._torch import Inception, seq

    return {
        "parallel": (
            CONCAT,
            (8, 10, 10),
            lambda: Inception(
                lambda xs: torch.cat(xs, dim=1),
                nn.Identity(),
                nn.Conv2d(8, 4, 3, padding=1),
                seq(nn.MaxPool2d(3, 1, 1), nn.Conv2d(8, 2, 1)),
            ),
        ),
        "parallel, added, with an activation": (
            ADDED,
            (3, 6, 6),
            lambda: seq(
                Inception(
                    lambda xs: xs[0] + xs[1],
                    seq(nn.Conv2d(3, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6)),
                    nn.Conv2d(3, 6, 1),
                ),
                nn.ReLU(),
            ),
        ),
    }


RANDOM = Random(composite=True)
