"""`maxpool`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, pool

CASES = """
- about: the course's 2x2 max pool, stride 2
  input: {h: 4, w: 4, c: 3}
  layer: {type: maxpool, kernel: 2, stride: 2}
  shape: [2, 2, 3]      # (4 - 2)/2 + 1 = 2; channels kept
  trainable: 0          # pooling has hyperparameters, no parameters
  macs: 0
- about: max pool stride defaults to the kernel; the floor drops the last row
  input: {h: 5, w: 5, c: 3}
  layer: {type: maxpool, kernel: 2}
  shape: [2, 2, 3]      # floor((5 - 2)/2) + 1 = 1 + 1 = 2
  trainable: 0
  macs: 0
- about: ceil_mode keeps the last partial window
  input: {h: 5, w: 5, c: 3}
  layer: {type: maxpool, kernel: 2, stride: 2, ceil_mode: true}
  shape: [3, 3, 3]      # ceil((5 - 2)/2) + 1 = 2 + 1 = 3; last window starts at 4 < 5, kept
  trainable: 0
  macs: 0
- about: ceil_mode drops a window that would start in the right padding
  input: {h: 5, w: 5, c: 1}
  layer: {type: maxpool, kernel: 3, stride: 3, padding: 1, ceil_mode: true}
  shape: [2, 2, 1]      # ceil((5 + 2 - 3)/3) + 1 = 2 + 1 = 3, but window 3 starts at 2*3 = 6 >= 5 + 1: 2
  trainable: 0
  macs: 0
- about: ceil_mode lets a window run past an input narrower than it
  input: {h: 1, w: 4, c: 1}
  layer: {type: maxpool, kernel: 2, stride: 2, ceil_mode: true}
  shape: [1, 2, 1]      # h: ceil((1 - 2)/2) + 1 = 0 + 1 = 1 (starts at 0 < 1, kept); w: ceil((4 - 2)/2) + 1 = 2
  trainable: 0
  macs: 0
- about: ResNet stem max pool
  input: {h: 112, w: 112, c: 64}
  layer: {type: maxpool, kernel: 3, stride: 2, padding: 1}
  shape: [56, 56, 64]   # floor((112 + 2 - 3)/2) + 1 = 55 + 1 = 56
  trainable: 0
  macs: 0
- about: max pool, same padding on 8 pads bottom/right only
  input: {h: 8, w: 8, c: 2}
  layer: {type: maxpool, kernel: 3, stride: 2, padding: same}
  shape: [4, 4, 2]      # ceil(8/2) = 4; total pad (4 - 1)*2 + 3 - 8 = 1 -> 0 + 1
  trainable: 0
  macs: 0
- about: dilated max pool
  input: {h: 9, w: 9, c: 1}
  layer: {type: maxpool, kernel: 3, stride: 1, dilation: 2}
  shape: [5, 5, 1]      # (9 - 2*(3 - 1) - 1)/1 + 1 = 5
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn
    from torch.nn import functional as F

    from cases._torch import Fn, max_pool_padded

    return {
        "the course's 2x2 max pool, stride 2": lambda: nn.MaxPool2d(2, 2),
        "max pool stride defaults to the kernel; the floor drops the last row": lambda: nn.MaxPool2d(2),
        "ceil_mode keeps the last partial window": lambda: Fn(lambda x: F.max_pool2d(x, 2, 2, ceil_mode=True)),
        "ceil_mode drops a window that would start in the right padding": lambda: Fn(
            lambda x: F.max_pool2d(x, 3, 3, padding=1, ceil_mode=True)
        ),
        "ceil_mode lets a window run past an input narrower than it": lambda: Fn(
            lambda x: F.max_pool2d(x, 2, 2, ceil_mode=True)
        ),
        "ResNet stem max pool": lambda: nn.MaxPool2d(3, 2, 1),
        "max pool, same padding on 8 pads bottom/right only": lambda: max_pool_padded((0, 1, 0, 1), 3, 2),
        "dilated max pool": lambda: nn.MaxPool2d(3, 1, dilation=2),
    }


RANDOM = Random(heavy=True, layouts=("CHW",), layer=pool(ndim=2, maximum=True))
