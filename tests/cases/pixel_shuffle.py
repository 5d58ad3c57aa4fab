"""`pixel_shuffle`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random

# (C * r * r, H, W) -> (C, H * r, W * r): values move, none is computed, nothing is learned.
CASES = """
- about: ESPCN's last layer, 2x from 12 channels to 3
  input: {h: 4, w: 4, c: 12}
  layer: {type: pixel_shuffle, factor: 2}
  shape: [8, 8, 3]      # C 12 / (2*2) = 3; H 4*2 = 8, W 4*2 = 8
  trainable: 0          # a reorder
  macs: 0               # no products: 12*4*4 = 3*8*8 = 192 values moved
- about: 3x on a map that is not square
  input: {h: 2, w: 5, c: 18}
  layer: {type: pixel_shuffle, factor: 3}
  shape: [6, 15, 2]     # C 18 / (3*3) = 2; H 2*3 = 6, W 5*3 = 15
  trainable: 0
  macs: 0
- about: factor 1 changes nothing
  input: {h: 3, w: 3, c: 5}
  layer: {type: pixel_shuffle, factor: 1}
  shape: [3, 3, 5]      # C 5 / 1 = 5; H and W times 1
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import Fn

    return {
        "ESPCN's last layer, 2x from 12 channels to 3": lambda: nn.PixelShuffle(2),
        # The reorder written out: (N, C, r, r, H, W) -> (N, C, H, r, W, r), so channel
        # c * r * r + i * r + j lands at row h * r + i, column w * r + j.
        "3x on a map that is not square": lambda: Fn(
            lambda x: x.reshape(x.shape[0], 2, 3, 3, 2, 5).permute(0, 1, 4, 2, 5, 3).reshape(x.shape[0], 2, 6, 15)
        ),
        "factor 1 changes nothing": lambda: nn.Identity(),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) != 3:
        return None
    factors = [r for r in (1, 2, 3) if shape[0] % (r * r) == 0]
    return {"type": kind, "factor": draw(st.sampled_from(factors))}


# A network that starts with it gets channels a multiple of 4, so that 2x can be drawn.
RANDOM = Random(layouts=("CHW",), layer=layer, channels_multiple=4)
