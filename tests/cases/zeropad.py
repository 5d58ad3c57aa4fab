"""`zeropad`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import SPATIAL, Draw, Random

CASES = """
- about: zero padding 1 all round
  input: {h: 5, w: 5, c: 3}
  layer: {type: zeropad, padding: 1}
  shape: [7, 7, 3]      # 5 + 1 + 1
  trainable: 0
  macs: 0
- about: zero padding per side [top, bottom, left, right]
  input: {h: 4, w: 4, c: 1}
  layer: {type: zeropad, padding: [0, 1, 2, 3]}
  shape: [5, 9, 1]      # h: 4 + 0 + 1 = 5; w: 4 + 2 + 3 = 9
  trainable: 0
  macs: 0
- about: zero padding per dimension
  input: {h: 4, w: 4, c: 1}
  layer: {type: zeropad, padding: [1, 2]}
  shape: [6, 8, 1]      # h: 4 + 2*1 = 6; w: 4 + 2*2 = 8
  trainable: 0
  macs: 0
- about: zero padding a sequence, per side
  input: {l: 5, c: 2}
  layer: {type: zeropad, padding: [2, 3]}
  shape: [10, 2]        # 5 + 2 + 3
  trainable: 0
  macs: 0
- about: zero padding a volume
  input: {d: 2, h: 2, w: 2, c: 1}
  layer: {type: zeropad, padding: 1}
  shape: [4, 4, 4, 1]   # 2 + 1 + 1 each
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        # zeropad: torch takes (left, right, top, bottom), the last axis first
        "zero padding 1 all round": lambda: nn.ZeroPad2d(1),
        "zero padding per side [top, bottom, left, right]": lambda: nn.ZeroPad2d((2, 3, 0, 1)),
        "zero padding per dimension": lambda: nn.ZeroPad2d((2, 2, 1, 1)),
        "zero padding a sequence, per side": lambda: nn.ConstantPad1d((2, 3), 0.0),
        "zero padding a volume": lambda: nn.ZeroPad3d(1),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) < 2:
        return None
    ndim = len(shape) - 1
    count = draw(st.sampled_from([1, ndim, 2 * ndim]))
    values = [draw(st.integers(0, 2)) for _ in range(count)]
    return {"type": kind, "padding": values[0] if count == 1 else values}


RANDOM = Random(layouts=SPATIAL, layer=layer)
