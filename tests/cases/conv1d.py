"""`conv1d`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, conv

CASES = """
- about: 1-D conv with stride and padding
  input: {l: 100, c: 8}
  layer: {type: conv1d, filters: 16, kernel: 5, stride: 2, padding: 2}
  shape: [50, 16]       # floor((100 + 4 - 5)/2) + 1 = 49 + 1 = 50
  trainable: 656        # 5*8*16 + 16 = 640 + 16
  macs: 32000           # 50*16 * 5*8 = 800 * 40
- about: 1-D conv, same padding
  input: {l: 10, c: 2}
  layer: {type: conv1d, filters: 3, kernel: 3, padding: same}
  shape: [10, 3]        # pad 1 + 1; (10 + 2 - 3)/1 + 1 = 10
  trainable: 21         # 3*2*3 + 3
  macs: 180             # 10*3 * 3*2 = 30 * 6
- about: causal 1-D conv, padded on the left only
  input: {l: 16, c: 4}
  layer: {type: conv1d, filters: 8, kernel: 3, dilation: 2, padding: [4, 0]}
  shape: [16, 8]        # (16 + 4 + 0 - 2*(3 - 1) - 1)/1 + 1 = 15 + 1 = 16: position t sees t-4, t-2, t
  trainable: 104        # 3*4*8 + 8 = 96 + 8
  macs: 1536            # 16*8 outputs * 3*4 = 128 * 12
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import seq

    return {
        "1-D conv with stride and padding": lambda: nn.Conv1d(8, 16, 5, stride=2, padding=2),
        "1-D conv, same padding": lambda: nn.Conv1d(2, 3, 3, padding="same"),
        # F.pad lists the last axis first: (left, right, top, bottom).
        "causal 1-D conv, padded on the left only": lambda: seq(
            nn.ConstantPad1d((4, 0), 0.0), nn.Conv1d(4, 8, 3, dilation=2)
        ),
    }


RANDOM = Random(heavy=True, plain=True, layouts=("CL",), layer=conv(ndim=1))
