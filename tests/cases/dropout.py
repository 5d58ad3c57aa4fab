"""`dropout`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Random, simple

CASES = """
- about: dropout changes nothing it counts
  input: {h: 4, w: 4, c: 3}
  layer: {type: dropout, rate: 0.5}
  shape: [4, 4, 3]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "dropout changes nothing it counts": lambda: nn.Dropout(0.5),
    }


RANDOM = Random(layer=simple(rate=st.sampled_from([0.0, 0.3])))
