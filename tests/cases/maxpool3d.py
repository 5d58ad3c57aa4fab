"""`maxpool3d`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, pool

CASES = """
- about: 3-D max pool
  input: {d: 4, h: 4, w: 4, c: 2}
  layer: {type: maxpool3d, kernel: 2}
  shape: [2, 2, 2, 2]   # (4 - 2)/2 + 1 = 2 on each axis
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "3-D max pool": lambda: nn.MaxPool3d(2),
    }


RANDOM = Random(heavy=True, layouts=("CDHW",), layer=pool(ndim=3, maximum=True))
