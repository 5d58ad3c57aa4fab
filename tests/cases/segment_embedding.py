"""`segment_embedding`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Network, Random

CASES = """
# A sequence is batch first: token ids {l} are (L,), vectors {l, d} are (L, D), read the
# same in the course's order and PyTorch's.
- about: a segment embedding, BERT's token types, added
  input: {l: 6, d: 4}
  layer: {type: segment_embedding, segments: 2}
  shape: [6, 4]
  trainable: 8          # segments * D = 2 * 4: the whole table, though one row is read
  macs: 0               # an add
- about: a segment embedding read at its second row
  input: {l: 3, d: 5}
  layer: {type: segment_embedding, segments: 3, segment: 1}
  shape: [3, 5]
  trainable: 15         # 3 * 5
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import AddSegment

    return {
        "a segment embedding, BERT's token types, added": lambda: AddSegment(2, 4, 0),
        "a segment embedding read at its second row": lambda: AddSegment(3, 5, 1),
    }


def step(draw: Draw, net: Network) -> None:
    segments = draw(st.integers(1, 3))
    net.add({"type": "segment_embedding", "segments": segments, "segment": draw(st.integers(0, segments - 1))})


RANDOM = Random(step=step)
