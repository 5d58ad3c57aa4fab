"""`conv_transpose3d`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, conv_transpose

CASES = """
- about: 3-D transposed conv
  input: {d: 2, h: 3, w: 3, c: 2}
  layer: {type: conv_transpose3d, filters: 3, kernel: 2, stride: 2}
  shape: [4, 6, 6, 3]   # d: (2 - 1)*2 + 1 + 1 = 4; h, w: (3 - 1)*2 + 1 + 1 = 6
  trainable: 51         # 2*3*2*2*2 + 3 = 48 + 3
  macs: 864             # 2*2*3*3 * 3 * 2*2*2 = 36 * 24
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "3-D transposed conv": lambda: nn.ConvTranspose3d(2, 3, 2, stride=2),
    }


RANDOM = Random(heavy=True, layouts=("CDHW",), layer=conv_transpose(ndim=3))
