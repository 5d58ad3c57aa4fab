"""`conv_transpose1d`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, conv_transpose

CASES = """
- about: 1-D transposed conv
  input: {l: 10, c: 4}
  layer: {type: conv_transpose1d, filters: 2, kernel: 4, stride: 2, padding: 1}
  shape: [20, 2]        # (10 - 1)*2 - 2 + 1*(4 - 1) + 0 + 1 = 18 - 2 + 3 + 1 = 20
  trainable: 34         # 4*2*4 + 2
  macs: 320             # 4*10 * 2 * 4 = 40 * 8
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "1-D transposed conv": lambda: nn.ConvTranspose1d(4, 2, 4, stride=2, padding=1),
    }


RANDOM = Random(heavy=True, layouts=("CL",), layer=conv_transpose(ndim=1))
