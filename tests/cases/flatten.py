"""`flatten`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random

CASES = """
- about: LeNet flatten
  input: {h: 5, w: 5, c: 16}
  layer: {type: flatten}
  shape: [400]          # 5*5*16
  trainable: 0
  macs: 0
- about: flatten the spatial axes only (ViT's patch grid to positions)
  input: {h: 4, w: 3, c: 8}
  layer: {type: flatten, start_dim: 2}
  shape: [12, 8]        # (C, H*W) = (8, 4*3), shown as [L, C]
  trainable: 0
  macs: 0
- about: flatten two of a volume's spatial axes
  input: {d: 2, h: 3, w: 4, c: 5}
  layer: {type: flatten, start_dim: 3, end_dim: 4}
  shape: [2, 12, 5]     # (C, D, H*W) = (5, 2, 3*4), shown as [H, W, C]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import Fn

    return {
        "LeNet flatten": lambda: nn.Flatten(),
        "flatten the spatial axes only (ViT's patch grid to positions)": lambda: nn.Flatten(2),
        "flatten two of a volume's spatial axes": lambda: Fn(lambda x: x.flatten(3, 4)),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    # Every axis, or spatial axes only (the channels stay first).
    if len(shape) < 3 or draw(st.booleans()):
        return {"type": kind} if draw(st.booleans()) else {"type": kind, "start_dim": 1, "end_dim": -1}
    start = draw(st.integers(2, len(shape)))
    return {"type": kind, "start_dim": start, "end_dim": draw(st.integers(start, len(shape)))}


RANDOM = Random(layer=layer)
