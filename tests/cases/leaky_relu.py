"""`leaky_relu`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Random, simple

CASES = """
- about: leaky relu
  input: {features: 10}
  layer: {type: leaky_relu, negative_slope: 0.2}
  shape: [10]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "leaky relu": lambda: nn.LeakyReLU(0.2),
    }


RANDOM = Random(layer=simple(negative_slope=st.sampled_from([0.01, 0.2])))
