"""`token_mean`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Draw, Network, Random

CASES = """
# A sequence is batch first: token ids {l} are (L,), vectors {l, d} are (L, D), read the
# same in the course's order and PyTorch's.
- about: mean over the tokens
  input: {l: 5, d: 8}
  layer: {type: token_mean}
  shape: [8]
  trainable: 0
  macs: 0               # additions, not multiply-accumulates
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from cases._torch import Fn

    return {
        "mean over the tokens": lambda: Fn(lambda x: x.mean(dim=1)),
    }


def finish(draw: Draw, net: Network) -> None:
    net.add({"type": "token_mean"})
    net.features = net.width


RANDOM = Random(finish=finish)
