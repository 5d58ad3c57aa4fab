"""`multiply`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random

CASES = """
- about: multiply, squeeze-and-excitation's channel scale broadcast over the image
  inputs: [{h: 7, w: 7, c: 16}, {h: 1, w: 1, c: 16}]
  layer: {type: multiply}
  shape: [7, 7, 16]     # the 1x1 stretches to 7x7
  trainable: 0
  macs: 0               # an elementwise product, not a multiply-accumulate
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn

    return {
        "multiply, squeeze-and-excitation's channel scale broadcast over the image": lambda: Fn(lambda a, b: a * b),
    }


def joins(shapes: list[tuple[int, ...]]) -> bool:
    # Broadcasting: on each axis, one size besides 1.
    return len({len(s) for s in shapes}) == 1 and all(
        len({v for v in axis if v != 1}) <= 1 for axis in zip(*shapes, strict=True)
    )


RANDOM = Random(merge=joins)
