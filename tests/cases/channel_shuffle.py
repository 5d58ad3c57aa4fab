"""`channel_shuffle`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Draw, Random, divisor

CASES = """
- about: ShuffleNet's channel shuffle, 2 groups
  input: {h: 4, w: 4, c: 6}
  layer: {type: channel_shuffle, groups: 2}
  shape: [4, 4, 6]      # only the channels' order changes: 6 = 2 groups of 3
  trainable: 0
  macs: 0               # a permutation moves values, it multiplies none
- about: channel shuffle, 3 groups of 4
  input: {h: 2, w: 3, c: 12}
  layer: {type: channel_shuffle, groups: 3}
  shape: [2, 3, 12]     # 12 = 3 groups of 4
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "ShuffleNet's channel shuffle, 2 groups": lambda: nn.ChannelShuffle(2),
        "channel shuffle, 3 groups of 4": lambda: nn.ChannelShuffle(3),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) != 3:
        return None
    return {"type": kind, "groups": divisor(draw, shape[0])}


RANDOM = Random(layouts=("CHW",), layer=layer)
