"""`identity`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, simple

CASES = """
- about: identity
  input: {h: 3, w: 3, c: 2}
  layer: {type: identity}
  shape: [3, 3, 2]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "identity": lambda: nn.Identity(),
    }


RANDOM = Random(layer=simple())
