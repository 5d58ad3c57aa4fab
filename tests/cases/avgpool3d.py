"""`avgpool3d`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, pool

CASES = """
- about: 3-D average pool
  input: {d: 6, h: 6, w: 6, c: 1}
  layer: {type: avgpool3d, kernel: 3, stride: 3}
  shape: [2, 2, 2, 1]   # (6 - 3)/3 + 1 = 2
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "3-D average pool": lambda: nn.AvgPool3d(3, 3),
    }


RANDOM = Random(heavy=True, layouts=("CDHW",), layer=pool(ndim=3, maximum=False))
