"""`depthwise_conv`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, depthwise

CASES = """
- about: MobileNet depthwise 3x3
  input: {h: 112, w: 112, c: 32}
  layer: {type: depthwise_conv, kernel: 3, padding: 1}
  shape: [112, 112, 32] # (112 + 2 - 3)/1 + 1 = 112; filters = 32*1
  trainable: 320        # 3*3*1*32 + 32 = 288 + 32
  macs: 3612672         # 112*112*32 * 3*3*1 = 401408 * 9
- about: depthwise, multiplier 2, stride 2, same, no bias
  input: {h: 7, w: 7, c: 3}
  layer: {type: depthwise_conv, kernel: 3, stride: 2, padding: same, multiplier: 2, bias: false}
  shape: [4, 4, 6]      # ceil(7/2) = 4; filters = 3*2 = 6
  trainable: 54         # 3*3*2*3 = 54
  macs: 864             # 4*4*6 * 3*3*1 = 96 * 9
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import seq

    return {
        # depthwise and separable conv: groups = channels; separable adds a 1x1 conv
        "MobileNet depthwise 3x3": lambda: nn.Conv2d(32, 32, 3, padding=1, groups=32),
        "depthwise, multiplier 2, stride 2, same, no bias": lambda: seq(
            nn.ZeroPad2d(1), nn.Conv2d(3, 6, 3, stride=2, groups=3, bias=False)
        ),
    }


RANDOM = Random(heavy=True, layouts=("CHW",), layer=depthwise(pointwise=False))
