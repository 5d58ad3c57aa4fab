"""`relu`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, simple

CASES = """
- about: relu
  input: {h: 4, w: 4, c: 3}
  layer: {type: relu}
  shape: [4, 4, 3]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "relu": lambda: nn.ReLU(),
    }


RANDOM = Random(layer=simple())
