"""`elu`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Random, simple

CASES = """
- about: elu with alpha 0.5
  input: {l: 4, c: 2}
  layer: {type: elu, alpha: 0.5}
  shape: [4, 2]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "elu with alpha 0.5": lambda: nn.ELU(alpha=0.5),
    }


RANDOM = Random(layer=simple(alpha=st.sampled_from([1.0, 0.5])))
