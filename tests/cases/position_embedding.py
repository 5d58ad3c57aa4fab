"""`position_embedding`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Network, Random

CASES = """
# A sequence is batch first: token ids {l} are (L,), vectors {l, d} are (L, D), read the
# same in the course's order and PyTorch's.
- about: learned positions, added
  input: {l: 6, d: 4}
  layer: {type: position_embedding, max_len: 10}
  shape: [6, 4]
  trainable: 40         # max_len * D = 10 * 4, whatever the length
  macs: 0               # an add
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import AddPositions

    return {
        "learned positions, added": lambda: AddPositions(10, 4),
    }


def step(draw: Draw, net: Network) -> None:
    net.add({"type": "position_embedding", "max_len": net.length + draw(st.integers(0, 4))})


RANDOM = Random(step=step)
