"""`separable_conv`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, depthwise

CASES = """
- about: separable conv (bias on the pointwise part only)
  input: {h: 8, w: 8, c: 3}
  layer: {type: separable_conv, filters: 16, kernel: 3, padding: 1, activation: relu}
  shape: [8, 8, 16]     # depthwise keeps 8x8x3, pointwise -> 16
  trainable: 91         # depthwise 3*3*3 = 27, pointwise 3*16 + 16 = 64; 27 + 64
  macs: 4800            # depthwise 8*8*3 * 9 = 1728, pointwise 8*8*16 * 3 = 3072
- about: separable conv, multiplier 2, valid, no bias
  input: {h: 5, w: 5, c: 4}
  layer: {type: separable_conv, filters: 10, kernel: 3, multiplier: 2, bias: false}
  shape: [3, 3, 10]     # (5 - 3)/1 + 1 = 3; depthwise 4*2 = 8 channels, pointwise -> 10
  trainable: 152        # depthwise 3*3*8 = 72, pointwise 8*10 = 80
  macs: 1368            # depthwise 3*3*8 * 9 = 648, pointwise 3*3*10 * 8 = 720
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import seq

    return {
        "separable conv (bias on the pointwise part only)": lambda: seq(
            nn.Conv2d(3, 3, 3, padding=1, groups=3, bias=False), nn.Conv2d(3, 16, 1), nn.ReLU()
        ),
        "separable conv, multiplier 2, valid, no bias": lambda: seq(
            nn.Conv2d(4, 8, 3, groups=4, bias=False), nn.Conv2d(8, 10, 1, bias=False)
        ),
    }


RANDOM = Random(heavy=True, layouts=("CHW",), layer=depthwise(pointwise=True))
