"""`add`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random

CASES = """
- about: add, a residual sum
  inputs: [{h: 4, w: 4, c: 3}, {h: 4, w: 4, c: 3}]
  layer: {type: add}
  shape: [4, 4, 3]      # elementwise: the common shape
  trainable: 0
  macs: 0               # additions, not multiply-accumulates
- about: add of three branches
  inputs: [{l: 5, c: 2}, {l: 5, c: 2}, {l: 5, c: 2}]
  layer: {type: add}
  shape: [5, 2]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn

    return {
        "add, a residual sum": lambda: Fn(lambda a, b: a + b),
        "add of three branches": lambda: Fn(lambda a, b, c: a + b + c),
    }


def joins(shapes: list[tuple[int, ...]]) -> bool:
    return len(set(shapes)) == 1


RANDOM = Random(merge=joins)
