"""`positional_encoding`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Draw, Network, Random

CASES = """
# A sequence is batch first: token ids {l} are (L,), vectors {l, d} are (L, D), read the
# same in the course's order and PyTorch's.
- about: sinusoidal positions, nothing learned
  input: {l: 7, d: 6}
  layer: {type: positional_encoding}
  shape: [7, 6]
  trainable: 0
  macs: 0
- about: sinusoidal positions of an odd width
  input: {l: 3, d: 5}
  layer: {type: positional_encoding}
  shape: [3, 5]         # sin on the 3 even features, cos on the 2 odd ones
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn, sinusoidal

    return {
        "sinusoidal positions, nothing learned": lambda: Fn(sinusoidal),
        "sinusoidal positions of an odd width": lambda: Fn(sinusoidal),
    }


def step(draw: Draw, net: Network) -> None:
    net.add({"type": "positional_encoding"})


RANDOM = Random(step=step)
