"""`layernorm`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Network, Random, activation

CASES = """
- about: layernorm over a whole sample (C, H, W)
  input: {h: 4, w: 4, c: 8}
  layer: {type: layernorm}
  shape: [4, 4, 8]
  trainable: 256        # 2 * 8*4*4 = 2 * 128
  macs: 0
- about: layernorm over the last axis only
  input: {l: 10, c: 16}
  layer: {type: layernorm, dims: 1}
  shape: [10, 16]       # channels first (16, 10): normalized shape (10,)
  trainable: 20         # 2 * 10
  macs: 0
- about: layernorm on a sequence of vectors, over D (every transformer's nn.LayerNorm(D))
  input: {l: 10, d: 16}
  layer: {type: layernorm}
  shape: [10, 16]       # normalized shape (16,): each of the 10 vectors on its own
  trainable: 32         # 2 * 16, whatever the length
  macs: 0
- about: layernorm on a sequence over L and D, asked for
  input: {l: 10, d: 16}
  layer: {type: layernorm, dims: 2}
  shape: [10, 16]       # normalized shape (10, 16), nn.LayerNorm([10, 16])
  trainable: 320        # 2 * 10*16: grows with the sequence length
  macs: 0
- about: layernorm on features
  input: {features: 64}
  layer: {type: layernorm, activation: gelu}
  shape: [64]
  trainable: 128        # 2 * 64
  macs: 0
- about: layernorm without affine
  input: {features: 64}
  layer: {type: layernorm, affine: false}
  shape: [64]
  trainable: 0
  macs: 0
- about: layernorm, scale without shift
  input: {features: 32}
  layer: {type: layernorm, bias: false}
  shape: [32]
  trainable: 32         # 1 * 32
  macs: 0
- about: layernorm over the channels at each position (ConvNeXt's LayerNorm2d)
  input: {h: 4, w: 4, c: 8}
  layer: {type: layernorm, axis: channels, eps: 1.0e-6}
  shape: [4, 4, 8]
  trainable: 16         # weight (8,) + bias (8,): one per channel, not per element
  macs: 0               # a norm multiplies no weights into sums
- about: layernorm over the channels of a sequence, scale only
  input: {l: 5, c: 6}
  layer: {type: layernorm, axis: channels, bias: false}
  shape: [5, 6]
  trainable: 6          # weight (6,)
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import channels_last, seq

    return {
        "layernorm over a whole sample (C, H, W)": lambda: nn.LayerNorm((8, 4, 4)),
        "layernorm over the last axis only": lambda: nn.LayerNorm(10),
        "layernorm on a sequence of vectors, over D (every transformer's nn.LayerNorm(D))": lambda: nn.LayerNorm(16),
        "layernorm on a sequence over L and D, asked for": lambda: nn.LayerNorm((10, 16)),
        "layernorm on features": lambda: seq(nn.LayerNorm(64), nn.GELU()),
        "layernorm without affine": lambda: nn.LayerNorm(64, elementwise_affine=False),
        "layernorm, scale without shift": lambda: nn.LayerNorm(32, bias=False),
        "layernorm over the channels at each position (ConvNeXt's LayerNorm2d)": lambda: channels_last(
            nn.LayerNorm(8, eps=1e-6), 2
        ),
        "layernorm over the channels of a sequence, scale only": lambda: channels_last(nn.LayerNorm(6, bias=False), 1),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    fields: dict[str, Any]
    if draw(st.booleans()):
        fields = {"axis": "channels", "affine": draw(st.booleans()), "bias": draw(st.booleans())}
    else:
        fields = {
            "dims": draw(st.one_of(st.none(), st.integers(1, len(shape)))),
            "affine": draw(st.booleans()),
            "bias": draw(st.booleans()),
        }
    return {"type": kind, **fields, **activation(draw)}


def step(draw: Draw, net: Network) -> None:
    net.add({"type": "layernorm", "dims": 1})


RANDOM = Random(layer=layer, step=step)
