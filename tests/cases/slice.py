"""`slice`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random, divisor

CASES = """
- about: slice, the second of two chunks (ShuffleNetV2's split)
  input: {h: 4, w: 4, c: 6}
  layer: {type: slice, chunk: 2, index: 1}
  shape: [4, 4, 3]      # 6 / 2 = 3 channels per part; part 1 is channels 3, 4, 5
  trainable: 0
  macs: 0               # values are kept or dropped, none multiplied
- about: slice, a channel range
  input: {h: 2, w: 2, c: 116}
  layer: {type: slice, start: 0, end: 58}
  shape: [2, 2, 58]     # channels 0..57: 58 - 0
  trainable: 0
  macs: 0
- about: slice of a feature vector
  input: {features: 10}
  layer: {type: slice, start: 2, end: 7}
  shape: [5]            # features 2..6: 7 - 2
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn

    return {
        "slice, the second of two chunks (ShuffleNetV2's split)": lambda: Fn(lambda x: x.chunk(2, dim=1)[1]),
        "slice, a channel range": lambda: Fn(lambda x: x[:, 0:58]),
        "slice of a feature vector": lambda: Fn(lambda x: x[:, 2:7]),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    channels = shape[0]  # channels first; the features of a flat vector
    if draw(st.booleans()):
        chunk = divisor(draw, channels)
        return {"type": kind, "chunk": chunk, "index": draw(st.integers(0, chunk - 1))}
    start = draw(st.integers(0, channels - 1))
    return {"type": kind, "start": start, "end": draw(st.integers(start + 1, channels))}


RANDOM = Random(layer=layer)
