"""`select`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Network, Random

CASES = """
# A sequence is batch first: token ids {l} are (L,), vectors {l, d} are (L, D), read the
# same in the course's order and PyTorch's.
- about: select the class token
  input: {l: 5, d: 8}
  layer: {type: select, index: 0}
  shape: [8]            # (L, D) -> (D,)
  trainable: 0
  macs: 0
- about: select the last token
  input: {l: 5, d: 8}
  layer: {type: select, index: -1}
  shape: [8]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn

    return {
        "select the class token": lambda: Fn(lambda x: x[:, 0]),
        "select the last token": lambda: Fn(lambda x: x[:, -1]),
    }


def finish(draw: Draw, net: Network) -> None:
    length = net.length
    net.add({"type": "select", "index": draw(st.integers(-length, length - 1))})
    net.features = net.width


RANDOM = Random(finish=finish)
