"""`class_token`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Draw, Network, Random

CASES = """
# A sequence is batch first: token ids {l} are (L,), vectors {l, d} are (L, D), read the
# same in the course's order and PyTorch's.
- about: a class token prepended
  input: {l: 9, d: 16}
  layer: {type: class_token}
  shape: [10, 16]       # L + 1
  trainable: 16         # one token of D = 16
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import PrependToken

    return {
        "a class token prepended": lambda: PrependToken(16),
    }


def step(draw: Draw, net: Network) -> None:
    net.add({"type": "class_token"})
    net.length += 1


RANDOM = Random(step=step)
