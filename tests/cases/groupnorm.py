"""`groupnorm`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random, activation, divisor

CASES = """
- about: groupnorm, 8 groups of 4 channels
  input: {h: 8, w: 8, c: 32}
  layer: {type: groupnorm, groups: 8}
  shape: [8, 8, 32]
  trainable: 64         # 2 * 32 (per channel, not per group)
  macs: 0
- about: groupnorm without affine
  input: {h: 4, w: 4, c: 6}
  layer: {type: groupnorm, groups: 3, affine: false}
  shape: [4, 4, 6]
  trainable: 0
  macs: 0
- about: groupnorm on a sequence
  input: {l: 10, c: 6}
  layer: {type: groupnorm, groups: 3, activation: silu}
  shape: [10, 6]
  trainable: 12         # 2 * 6
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import seq

    return {
        "groupnorm, 8 groups of 4 channels": lambda: nn.GroupNorm(8, 32),
        "groupnorm without affine": lambda: nn.GroupNorm(3, 6, affine=False),
        "groupnorm on a sequence": lambda: seq(nn.GroupNorm(3, 6), nn.SiLU()),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    fields = {"groups": divisor(draw, shape[0]), "affine": draw(st.booleans())}
    return {"type": kind, **fields, **activation(draw)}


RANDOM = Random(layer=layer)
