"""`permute`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random

CASES = """
- about: permute the two spatial axes of an image
  input: {h: 2, w: 5, c: 3}
  layer: {type: permute, dims: [0, 1, 3, 2]}
  shape: [5, 2, 3]      # (C, H, W) = (3, 2, 5) -> (3, 5, 2)
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn

    return {
        "permute the two spatial axes of an image": lambda: Fn(lambda x: x.permute(0, 1, 3, 2)),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    # PyTorch dims, batch 0 first; the channels stay first. (A (C, L) map turned into an
    # (L, D) sequence would leave the drawers, which read channels first, drawing layers
    # that refuse it: (C, L) <-> (L, D) is in tests/layers/test_reorder.py and kinds2d.yaml.)
    return {"type": kind, "dims": [0, 1, *draw(st.permutations(range(2, len(shape) + 1)))]}


RANDOM = Random(layer=layer)
