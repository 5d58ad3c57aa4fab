"""`glu`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Draw, Random

CASES = """
- about: glu halves the channels
  input: {h: 2, w: 2, c: 6}
  layer: {type: glu}
  shape: [2, 2, 3]      # first half (3) times sigmoid of the second half (3): 6 / 2
  trainable: 0
  macs: 0
- about: glu on a feature vector
  input: {features: 10}
  layer: {type: glu}
  shape: [5]            # 10 / 2
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "glu halves the channels": lambda: nn.GLU(dim=1),
        "glu on a feature vector": lambda: nn.GLU(dim=1),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    return {"type": kind} if shape[0] % 2 == 0 else None  # it halves the channels


RANDOM = Random(layer=layer, channels_multiple=2)
