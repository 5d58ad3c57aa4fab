"""`hardtanh`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Random, simple

CASES = """
- about: hardtanh clipped to [-2, 2]
  input: {features: 5}
  layer: {type: hardtanh, min_val: -2.0, max_val: 2.0}
  shape: [5]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "hardtanh clipped to [-2, 2]": lambda: nn.Hardtanh(-2.0, 2.0),
    }


RANDOM = Random(layer=simple(min_val=st.sampled_from([-1.0, -2.0]), max_val=st.sampled_from([1.0, 3.0])))
