"""`global_maxpool`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import SPATIAL, Random, simple

CASES = """
- about: global max pool
  input: {h: 4, w: 4, c: 8}
  layer: {type: global_maxpool}
  shape: [8]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn

    return {
        "global max pool": lambda: Fn(lambda x: x.amax(dim=(2, 3))),
    }


RANDOM = Random(layouts=SPATIAL, layer=simple(min_rank=2))
