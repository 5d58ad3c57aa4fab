"""`adaptive_maxpool`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import SPATIAL, Random, simple

CASES = """
- about: adaptive max pool, per-dimension size
  input: {h: 10, w: 10, c: 3}
  layer: {type: adaptive_maxpool, size: [2, 5]}
  shape: [2, 5, 3]
  trainable: 0
  macs: 0
- about: adaptive max pool, 1-D
  input: {l: 10, c: 2}
  layer: {type: adaptive_maxpool, size: 4}
  shape: [4, 2]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "adaptive max pool, per-dimension size": lambda: nn.AdaptiveMaxPool2d((2, 5)),
        "adaptive max pool, 1-D": lambda: nn.AdaptiveMaxPool1d(4),
    }


RANDOM = Random(layouts=SPATIAL, layer=simple(min_rank=2, size=st.integers(1, 4)))
