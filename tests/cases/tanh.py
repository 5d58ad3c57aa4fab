"""`tanh`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, simple

CASES = """
- about: tanh
  input: {l: 6, c: 2}
  layer: {type: tanh}
  shape: [6, 2]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "tanh": lambda: nn.Tanh(),
    }


RANDOM = Random(layer=simple())
