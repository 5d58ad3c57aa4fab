"""`softplus`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Random, simple

CASES = """
- about: softplus, sharper, linear above 10
  input: {features: 4}
  layer: {type: softplus, beta: 2.0, threshold: 10.0}
  shape: [4]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "softplus, sharper, linear above 10": lambda: nn.Softplus(beta=2.0, threshold=10.0),
    }


RANDOM = Random(layer=simple(beta=st.sampled_from([1.0, 2.0]), threshold=st.sampled_from([20.0, 1.0])))
