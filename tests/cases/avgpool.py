"""`avgpool`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, pool

CASES = """
- about: 2x2 average pool
  input: {h: 4, w: 4, c: 2}
  layer: {type: avgpool, kernel: 2, stride: 2}
  shape: [2, 2, 2]      # (4 - 2)/2 + 1 = 2
  trainable: 0
  macs: 0               # averaging is not multiply-accumulate under the default convention
- about: average pool with padding, padded zeros not counted
  input: {h: 5, w: 5, c: 1}
  layer: {type: avgpool, kernel: 3, stride: 2, padding: 1, count_include_pad: false}
  shape: [3, 3, 1]      # (5 + 2 - 3)/2 + 1 = 3
  trainable: 0
  macs: 0
- about: average pool, ceil_mode adds a window
  input: {h: 6, w: 6, c: 1}
  layer: {type: avgpool, kernel: 3, stride: 2, padding: 1, ceil_mode: true}
  shape: [4, 4, 1]      # ceil((6 + 2 - 3)/2) + 1 = 3 + 1 = 4; last starts at 6 < 6 + 1, kept (floor gives 3)
  trainable: 0
  macs: 0
- about: ceil_mode average over a window wider than the input
  input: {h: 1, w: 5, c: 2}
  layer: {type: avgpool, kernel: 3, stride: 3, ceil_mode: true}
  shape: [1, 2, 2]      # h: ceil((1 - 3)/3) + 1 = 0 + 1 = 1; w: ceil((5 - 3)/3) + 1 = 2, last starts at 3 < 5
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn
    from torch.nn import functional as F

    from cases._torch import Fn

    return {
        "2x2 average pool": lambda: nn.AvgPool2d(2, 2),
        "average pool with padding, padded zeros not counted": lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        "average pool, ceil_mode adds a window": lambda: Fn(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)),
        "ceil_mode average over a window wider than the input": lambda: Fn(
            lambda x: F.avg_pool2d(x, 3, 3, ceil_mode=True)
        ),
    }


RANDOM = Random(heavy=True, layouts=("CHW",), layer=pool(ndim=2, maximum=False))
