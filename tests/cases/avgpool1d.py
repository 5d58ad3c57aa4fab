"""`avgpool1d`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, pool

CASES = """
- about: 1-D average pool
  input: {l: 9, c: 3}
  layer: {type: avgpool1d, kernel: 3}
  shape: [3, 3]         # stride = kernel = 3: (9 - 3)/3 + 1 = 3
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "1-D average pool": lambda: nn.AvgPool1d(3),
    }


RANDOM = Random(heavy=True, layouts=("CL",), layer=pool(ndim=1, maximum=False))
