"""`dense`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import MAX_WIDTH, Draw, Network, Random, activation

CASES = """
- about: LeNet FC3
  input: {features: 400}
  layer: {type: dense, units: 120, activation: relu}
  shape: [120]
  trainable: 48120      # 400*120 + 120 = 48000 + 120
  macs: 48000           # 400*120
- about: the course ConvNet's logistic unit
  input: {features: 1960}
  layer: {type: dense, units: 1, activation: sigmoid}
  shape: [1]
  trainable: 1961       # 1960*1 + 1
  macs: 1960            # 1960*1
- about: dense without bias
  input: {features: 10}
  layer: {type: dense, units: 5, bias: false}
  shape: [5]
  trainable: 50         # 10*5
  macs: 50              # 10*5
- about: dense on a (C, L) input acts on the last axis, L, as nn.Linear does
  input: {l: 10, c: 4}
  layer: {type: dense, units: 3}
  shape: [3, 4]         # channels first (4, 10) -> (4, 3), shown as [L, C] = [3, 4]
  trainable: 33         # 10*3 + 3
  macs: 120             # 4 rows * 10*3
- about: dense on the channels at each position (ConvNeXt's channels-last Linear)
  input: {h: 3, w: 3, c: 4}
  layer: {type: dense, units: 6, axis: channels}
  shape: [3, 3, 6]      # the channels 4 -> 6; H, W kept
  trainable: 30         # 4*6 + 6 = 24 + 6
  macs: 216             # H*W * C_in * C_out = 3*3 * 4*6 = 9 * 24
- about: dense on the channels of a 1-D map, no bias
  input: {l: 5, c: 8}
  layer: {type: dense, units: 2, axis: channels, bias: false}
  shape: [5, 2]         # the channels 8 -> 2; L kept
  trainable: 16         # 8*2
  macs: 80              # L * C_in * C_out = 5 * 8*2
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import channels_last, seq

    return {
        "LeNet FC3": lambda: seq(nn.Linear(400, 120), nn.ReLU()),
        "the course ConvNet's logistic unit": lambda: seq(nn.Linear(1960, 1), nn.Sigmoid()),
        "dense without bias": lambda: nn.Linear(10, 5, bias=False),
        "dense on a (C, L) input acts on the last axis, L, as nn.Linear does": lambda: nn.Linear(10, 3),
        "dense on the channels at each position (ConvNeXt's channels-last Linear)": lambda: channels_last(
            nn.Linear(4, 6), 2
        ),
        "dense on the channels of a 1-D map, no bias": lambda: channels_last(nn.Linear(8, 2, bias=False), 1),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any]:
    on_channels = {"axis": "channels"} if draw(st.booleans()) else {}
    units = draw(st.integers(1, 12))
    return {"type": kind, "units": units, "bias": draw(st.booleans()), **on_channels, **activation(draw)}


def step(draw: Draw, net: Network) -> None:
    """A change of width, or the output layer tied to an embedding of the same width."""
    tied = [e for e in net.embeddings if e[2] == net.width]
    if tied and draw(st.booleans()):
        name, vocab, _ = draw(st.sampled_from(tied))
        net.add({"type": "dense", "units": vocab, "tie": name, "bias": draw(st.booleans())})
        net.width = vocab
    else:
        units = draw(st.integers(1, MAX_WIDTH))
        net.add({"type": "dense", "units": units, "bias": draw(st.booleans())})
        net.width = units


RANDOM = Random(heavy=True, plain=True, layer=layer, step=step)
