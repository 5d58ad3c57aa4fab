"""`transpose`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random

CASES = """
- about: transpose the height and width of an image
  input: {h: 3, w: 6, c: 2}
  layer: {type: transpose, dim0: -1, dim1: 2}
  shape: [6, 3, 2]      # (C, H, W) = (2, 3, 6) -> (2, 6, 3); dim -1 is W
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn

    return {
        "transpose the height and width of an image": lambda: Fn(lambda x: x.transpose(3, 2)),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    first = 1 if len(shape) == 1 else 2  # the channels stay first (see tests/cases/permute.py)
    a, b = draw(st.integers(first, len(shape))), draw(st.integers(first, len(shape)))
    if draw(st.booleans()):
        a -= len(shape) + 1  # the same dim counted from the end
    return {"type": kind, "dim0": a, "dim1": b}


RANDOM = Random(layer=layer)
