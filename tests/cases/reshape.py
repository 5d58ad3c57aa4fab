"""`reshape`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random

CASES = """
- about: reshape a sequence into an image, one size worked out
  input: {l: 12, c: 8}
  layer: {type: reshape, shape: [8, 3, -1]}
  shape: [3, 4, 8]      # 8*12 = 96 elements; -1 = 96 / (8*3) = 4
  trainable: 0
  macs: 0
- about: reshape a feature vector into channels over positions
  input: {features: 12}
  layer: {type: reshape, shape: [4, -1]}
  shape: [3, 4]         # (C, L) = (4, 12 / 4) = (4, 3), shown as [L, C]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn

    return {
        "reshape a sequence into an image, one size worked out": lambda: Fn(lambda x: x.reshape(-1, 8, 3, 4)),
        "reshape a feature vector into channels over positions": lambda: Fn(lambda x: x.view(x.shape[0], 4, 3)),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    total = math.prod(shape)
    sizes = draw(st.sampled_from([[total], [shape[0], total // shape[0]], list(shape)]))
    if draw(st.booleans()):
        sizes[draw(st.integers(0, len(sizes) - 1))] = -1
    return {"type": kind, "shape": sizes}


RANDOM = Random(layer=layer)
