"""`adaptive_avgpool`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import SPATIAL, Random, simple

CASES = """
- about: adaptive average pool to 6x6, AlexNet
  input: {h: 13, w: 13, c: 256}
  layer: {type: adaptive_avgpool, size: 6}
  shape: [6, 6, 256]    # the size is given
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "adaptive average pool to 6x6, AlexNet": lambda: nn.AdaptiveAvgPool2d(6),
    }


RANDOM = Random(layouts=SPATIAL, layer=simple(min_rank=2, size=st.integers(1, 4)))
