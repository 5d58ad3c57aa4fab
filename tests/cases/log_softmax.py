"""`log_softmax`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, simple

CASES = """
- about: log_softmax over the channels
  input: {h: 3, w: 3, c: 5}
  layer: {type: log_softmax}
  shape: [3, 3, 5]      # per position, over the 5 channels
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "log_softmax over the channels": lambda: nn.LogSoftmax(dim=1),
    }


RANDOM = Random(layer=simple())
