"""`global_avgpool`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import SPATIAL, Random, simple

CASES = """
- about: global average pool, ResNet head
  input: {h: 7, w: 7, c: 512}
  layer: {type: global_avgpool}
  shape: [512]          # one value per channel
  trainable: 0
  macs: 0
- about: global average pool over a sequence
  input: {l: 10, c: 4}
  layer: {type: global_avgpool}
  shape: [4]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn

    return {
        "global average pool, ResNet head": lambda: Fn(lambda x: x.mean(dim=(2, 3))),
        "global average pool over a sequence": lambda: Fn(lambda x: x.mean(dim=2)),
    }


RANDOM = Random(layouts=SPATIAL, layer=simple(min_rank=2))
