"""`pixel_unshuffle`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random

# (C, H, W) -> (C * r * r, H / r, W / r): values move, none is computed, nothing is learned.
CASES = """
- about: space-to-depth 2x, an RGB image to 12 channels
  input: {h: 8, w: 8, c: 3}
  layer: {type: pixel_unshuffle, factor: 2}
  shape: [4, 4, 12]     # C 3*2*2 = 12; H 8/2 = 4, W 8/2 = 4
  trainable: 0          # a reorder
  macs: 0               # no products: 3*8*8 = 12*4*4 = 192 values moved
- about: 3x on a map that is not square
  input: {h: 6, w: 15, c: 2}
  layer: {type: pixel_unshuffle, factor: 3}
  shape: [2, 5, 18]     # C 2*3*3 = 18; H 6/3 = 2, W 15/3 = 5
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import Fn

    return {
        "space-to-depth 2x, an RGB image to 12 channels": lambda: nn.PixelUnshuffle(2),
        # The reorder written out: (N, C, H, r, W, r) -> (N, C, r, r, H, W), so row h * r + i,
        # column w * r + j lands in channel c * r * r + i * r + j.
        "3x on a map that is not square": lambda: Fn(
            lambda x: x.reshape(x.shape[0], 2, 2, 3, 5, 3).permute(0, 1, 3, 5, 2, 4).reshape(x.shape[0], 18, 2, 5)
        ),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) != 3:
        return None
    factors = [r for r in (1, 2, 3) if shape[1] % r == 0 and shape[2] % r == 0]
    return {"type": kind, "factor": draw(st.sampled_from(factors))}


RANDOM = Random(layouts=("CHW",), layer=layer)
