"""`matmul`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Draw, Network, Random

CASES = """
# A sequence is batch first: token ids {l} are (L,), vectors {l, d} are (L, D), read the
# same in the course's order and PyTorch's.
- about: matmul of two activations
  inputs: [{l: 4, d: 6}, {l: 6, d: 3}]
  layer: {type: matmul}
  shape: [4, 3]         # (4, 6) @ (6, 3)
  trainable: 0
  macs: 72              # 4 * 6 * 3
- about: matmul with the second transposed, as Q K^T
  inputs: [{l: 4, d: 6}, {l: 5, d: 6}]
  layer: {type: matmul, transpose_b: true}
  shape: [4, 5]         # (4, 6) @ (6, 5)
  trainable: 0
  macs: 120             # 4 * 6 * 5
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    import torch

    from cases._torch import Fn

    return {
        "matmul of two activations": lambda: Fn(lambda a, b: torch.bmm(a, b)),
        "matmul with the second transposed, as Q K^T": lambda: Fn(lambda a, b: a @ b.transpose(-2, -1)),
    }


def step(draw: Draw, net: Network) -> None:
    # Attention's two products on the current sequence: (L, D) @ (L, D)^T, then @ (L, D).
    tap = net.layers[-1]["name"] if net.layers else "input"
    scores = net.add({"type": "matmul", "from": [tap, tap], "transpose_b": True})
    net.add({"type": "matmul", "from": [scores, tap]})


RANDOM = Random(step=step)
