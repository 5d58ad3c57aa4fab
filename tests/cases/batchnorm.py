"""`batchnorm`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random, activation

CASES = """
- about: batchnorm on an image
  input: {h: 8, w: 8, c: 16}
  layer: {type: batchnorm}
  shape: [8, 8, 16]
  trainable: 32         # gamma, beta: 2*16
  buffers: 33           # running mean, var: 2*16, plus num_batches_tracked: 1
  macs: 0
- about: batchnorm on features, with an activation
  input: {features: 120}
  layer: {type: batchnorm, activation: relu}
  shape: [120]
  trainable: 240        # 2*120
  buffers: 241          # 2*120 + 1
  macs: 0
- about: batchnorm without affine or running statistics
  input: {h: 4, w: 4, c: 8}
  layer: {type: batchnorm, affine: false, track_running_stats: false}
  shape: [4, 4, 8]
  trainable: 0
  buffers: 0
  macs: 0
- about: batchnorm on a sequence
  input: {l: 10, c: 4}
  layer: {type: batchnorm}
  shape: [10, 4]
  trainable: 8          # 2*4
  buffers: 9            # 2*4 + 1
  macs: 0
- about: batchnorm on a volume
  input: {d: 2, h: 2, w: 2, c: 3}
  layer: {type: batchnorm}
  shape: [2, 2, 2, 3]
  trainable: 6          # 2*3
  buffers: 7            # 2*3 + 1
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import seq

    return {
        "batchnorm on an image": lambda: nn.BatchNorm2d(16),
        "batchnorm on features, with an activation": lambda: seq(nn.BatchNorm1d(120), nn.ReLU()),
        "batchnorm without affine or running statistics": lambda: nn.BatchNorm2d(
            8, affine=False, track_running_stats=False
        ),
        "batchnorm on a sequence": lambda: nn.BatchNorm1d(4),
        "batchnorm on a volume": lambda: nn.BatchNorm3d(3),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    fields = {"affine": draw(st.booleans()), "track_running_stats": draw(st.booleans())}
    return {"type": kind, **fields, **activation(draw)}


RANDOM = Random(layer=layer)
