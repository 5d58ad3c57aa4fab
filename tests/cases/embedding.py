"""`embedding`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Network, Random

CASES = """
# A sequence is batch first: token ids {l} are (L,), vectors {l, d} are (L, D), read the
# same in the course's order and PyTorch's.
- about: token embedding, a lookup
  input: {l: 5}
  layer: {type: embedding, vocab: 100, width: 8}
  shape: [5, 8]         # each of the 5 ids picks a row of 8
  trainable: 800        # vocab * width = 100 * 8
  macs: 0               # a lookup multiplies nothing
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "token embedding, a lookup": lambda: nn.Embedding(100, 8),
    }


def start(draw: Draw, net: Network) -> None:
    """The token ids' embedding, the first layer of a network on ids."""
    vocab = draw(st.integers(1, 30))
    name = net.add({"type": "embedding", "vocab": vocab, "width": net.width})
    net.embeddings.append((name, vocab, net.width))


RANDOM = Random(start=start)
