"""`conv3d`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, conv

CASES = """
- about: 3-D conv
  input: {d: 8, h: 16, w: 16, c: 3}
  layer: {type: conv3d, filters: 4, kernel: 3, stride: 2, padding: 1}
  shape: [4, 8, 8, 4]   # d: (8 + 2 - 3)/2 + 1 = 3 + 1 = 4; h, w: floor((16 + 2 - 3)/2) + 1 = 7 + 1 = 8
  trainable: 328        # 3*3*3*3*4 + 4 = 324 + 4
  macs: 82944           # 4*8*8*4 * 3*3*3*3 = 1024 * 81
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "3-D conv": lambda: nn.Conv3d(3, 4, 3, stride=2, padding=1),
    }


RANDOM = Random(heavy=True, plain=True, layouts=("CDHW",), layer=conv(ndim=3))
