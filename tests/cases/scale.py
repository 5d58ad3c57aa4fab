"""`scale`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, simple

CASES = """
- about: scale, one learned factor per channel (ConvNeXt's layer scale)
  input: {h: 4, w: 4, c: 8}
  layer: {type: scale}
  shape: [4, 4, 8]
  trainable: 8          # a (8, 1, 1) factor: C
  macs: 0               # one multiply per element, no multiply-accumulate
- about: scale of a feature vector
  input: {features: 10}
  layer: {type: scale}
  shape: [10]
  trainable: 10         # (10,)
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import LayerScale

    return {
        "scale, one learned factor per channel (ConvNeXt's layer scale)": lambda: LayerScale((8, 1, 1)),
        "scale of a feature vector": lambda: LayerScale((10,)),
    }


RANDOM = Random(layer=simple())
