"""`concat`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random

CASES = """
- about: concat on the channels
  inputs: [{h: 4, w: 4, c: 3}, {h: 4, w: 4, c: 5}]
  layer: {type: concat}
  shape: [4, 4, 8]      # 3 + 5 channels
  trainable: 0
  macs: 0
- about: concat of feature vectors
  inputs: [{features: 3}, {features: 4}, {features: 2}]
  layer: {type: concat}
  shape: [9]            # 3 + 4 + 2
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    import torch

    from cases._torch import Fn

    return {
        "concat on the channels": lambda: Fn(lambda a, b: torch.cat([a, b], dim=1)),
        "concat of feature vectors": lambda: Fn(lambda a, b, c: torch.cat([a, b, c], dim=1)),
    }


def joins(shapes: list[tuple[int, ...]]) -> bool:
    # On the channels (axis 1 with the batch): every other axis equal.
    return len({len(s) for s in shapes}) == 1 and len({s[1:] for s in shapes}) == 1


RANDOM = Random(merge=joins)
