"""`crop`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import SPATIAL, Draw, Random

CASES = """
- about: centred crop to a size (odd amount, extra off the bottom/right)
  input: {h: 7, w: 7, c: 2}
  layer: {type: crop, size: 4}
  shape: [4, 4, 2]      # 7 - 4 = 3 removed: 1 top/left, 2 bottom/right
  trainable: 0
  macs: 0
- about: crop per side [top, bottom, left, right]
  input: {h: 8, w: 8, c: 1}
  layer: {type: crop, cropping: [1, 2, 0, 3]}
  shape: [5, 5, 1]      # h: 8 - 1 - 2 = 5; w: 8 - 0 - 3 = 5
  trainable: 0
  macs: 0
- about: U-Net skip, centred crop to the other input's size
  inputs: [{h: 64, w: 64, c: 128}, {h: 56, w: 56, c: 64}]
  layer: {type: crop}
  shape: [56, 56, 128]  # spatial from the second input, channels from the first; 4 off each side
  trainable: 0
  macs: 0
- about: crop a sequence
  input: {l: 10, c: 3}
  layer: {type: crop, size: 6}
  shape: [6, 3]         # 10 - 6 = 4 removed: 2 + 2
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn

    return {
        # crop, as slices
        "centred crop to a size (odd amount, extra off the bottom/right)": lambda: Fn(lambda x: x[:, :, 1:5, 1:5]),
        "crop per side [top, bottom, left, right]": lambda: Fn(lambda x: x[:, :, 1:6, 0:5]),
        "U-Net skip, centred crop to the other input's size": lambda: Fn(lambda a, b: a[:, :, 4:60, 4:60]),
        "crop a sequence": lambda: Fn(lambda x: x[:, :, 2:8]),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) < 2:
        return None
    ndim = len(shape) - 1
    if draw(st.booleans()):
        return {"type": kind, "size": [draw(st.integers(1, n)) for n in shape[1:]]}
    count = draw(st.sampled_from([1, ndim, 2 * ndim]))
    values = [draw(st.integers(0, 2)) for _ in range(count)]
    return {"type": kind, "cropping": values[0] if count == 1 else values}


def at_smallest(layer: dict[str, Any]) -> dict[str, Any]:
    return {**layer, "size": 1} if "size" in layer else layer


RANDOM = Random(layouts=SPATIAL, layer=layer, smallest=at_smallest)
