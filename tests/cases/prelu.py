"""`prelu`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random

CASES = """
- about: prelu, one slope shared
  input: {h: 4, w: 4, c: 8}
  layer: {type: prelu}
  shape: [4, 4, 8]
  trainable: 1          # nn.PReLU()'s single weight
  macs: 0               # a multiply per negative element, no multiply-accumulate
- about: prelu, a slope per channel
  input: {h: 4, w: 4, c: 8}
  layer: {type: prelu, num_parameters: 8}
  shape: [4, 4, 8]
  trainable: 8          # one per channel: C = 8
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "prelu, one slope shared": lambda: nn.PReLU(),
        "prelu, a slope per channel": lambda: nn.PReLU(8),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    # nn.PReLU's slopes run along dim 1: one shared, or one per channel (feature when flat).
    return {"type": kind, "num_parameters": draw(st.sampled_from([1, shape[0]]))}


RANDOM = Random(layer=layer)
