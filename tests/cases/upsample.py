"""`upsample`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import SPATIAL, Draw, Random, size

CASES = """
- about: nearest upsample by 2
  input: {h: 14, w: 14, c: 8}
  layer: {type: upsample, scale: 2}
  shape: [28, 28, 8]    # 14*2
  trainable: 0
  macs: 0               # interpolation is not multiply-accumulate
- about: nearest upsample to a size
  input: {h: 3, w: 3, c: 2}
  layer: {type: upsample, size: [5, 7]}
  shape: [5, 7, 2]
  trainable: 0
  macs: 0
- about: bilinear upsample by 2
  input: {h: 4, w: 4, c: 3}
  layer: {type: upsample, mode: bilinear, scale: 2}
  shape: [8, 8, 3]      # 4*2
  trainable: 0
  macs: 0
- about: bilinear with aligned corners, to a size
  input: {h: 4, w: 4, c: 3}
  layer: {type: upsample, mode: bilinear, size: 7, align_corners: true}
  shape: [7, 7, 3]
  trainable: 0
  macs: 0
- about: nearest upsample of a sequence
  input: {l: 5, c: 2}
  layer: {type: upsample, scale: 3}
  shape: [15, 2]        # 5*3
  trainable: 0
  macs: 0
- about: nearest upsample of a volume, per-dimension scale
  input: {d: 2, h: 2, w: 2, c: 1}
  layer: {type: upsample, scale: [1, 2, 2]}
  shape: [2, 4, 4, 1]   # 2*1, 2*2, 2*2
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "nearest upsample by 2": lambda: nn.Upsample(scale_factor=2),
        "nearest upsample to a size": lambda: nn.Upsample(size=(5, 7)),
        "bilinear upsample by 2": lambda: nn.Upsample(scale_factor=2, mode="bilinear"),
        "bilinear with aligned corners, to a size": lambda: nn.Upsample(size=7, mode="bilinear", align_corners=True),
        "nearest upsample of a sequence": lambda: nn.Upsample(scale_factor=3),
        "nearest upsample of a volume, per-dimension scale": lambda: nn.Upsample(scale_factor=(1, 2, 2)),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) < 2:
        return None
    mode = "bilinear" if len(shape) == 3 and draw(st.booleans()) else "nearest"
    drawn: dict[str, Any] = {"type": kind, "mode": mode}
    if draw(st.booleans()):
        drawn["scale"] = size(draw, len(shape) - 1, 1, 3)
    else:
        drawn["size"] = size(draw, len(shape) - 1, 1, 8)
    if mode == "bilinear":
        drawn["align_corners"] = draw(st.booleans())
    return drawn


def at_smallest(layer: dict[str, Any]) -> dict[str, Any]:
    small = {key: value for key, value in layer.items() if key != "size"}
    return {**small, "scale": 1}


RANDOM = Random(layouts=SPATIAL, layer=layer, smallest=at_smallest)
