"""`conv`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, conv

CASES = """
- about: the course's two 3x3x3 filters
  input: {h: 6, w: 6, c: 3}
  layer: {type: conv, filters: 2, kernel: 3, activation: relu}
  shape: [4, 4, 2]      # (6 + 0 - 3)/1 + 1 = 4
  trainable: 56         # (3*3*3 + 1) * 2 = 56
  macs: 864             # 4*4*2 outputs * 3*3*3 = 32 * 27 = 864
- about: LeNet CONV1
  input: {h: 32, w: 32, c: 3}
  layer: {type: conv, filters: 6, kernel: 5}
  shape: [28, 28, 6]    # (32 - 5)/1 + 1 = 28
  trainable: 456        # 5*5*3*6 + 6 = 450 + 6
  macs: 352800          # 28*28*6 * 5*5*3 = 4704 * 75
- about: LeNet CONV2, the course table's 416 is wrong
  input: {h: 14, w: 14, c: 6}
  layer: {type: conv, filters: 16, kernel: 5}
  shape: [10, 10, 16]   # (14 - 5)/1 + 1 = 10
  trainable: 2416       # 5*5*6*16 + 16 = 2400 + 16
  macs: 240000          # 10*10*16 * 5*5*6 = 1600 * 150
- about: stride 2 on 7x7, f=3
  input: {h: 7, w: 7, c: 1}
  layer: {type: conv, filters: 1, kernel: 3, stride: 2}
  shape: [3, 3, 1]      # (7 + 0 - 3)/2 + 1 = 2 + 1 = 3
  trainable: 10         # 3*3*1*1 + 1
  macs: 81              # 3*3*1 * 3*3*1 = 9 * 9
- about: the floor drops a row and a column (8x8, f=3, s=2)
  input: {h: 8, w: 8, c: 1}
  layer: {type: conv, filters: 1, kernel: 3, stride: 2}
  shape: [3, 3, 1]      # floor((8 - 3)/2) + 1 = floor(2.5) + 1 = 3; row/column 8 never read
  trainable: 10         # 3*3*1*1 + 1
  macs: 81              # 9 outputs * 9
- about: valid padding is no padding
  input: {h: 7, w: 7, c: 2}
  layer: {type: conv, filters: 4, kernel: 3, padding: valid}
  shape: [5, 5, 4]      # (7 - 3)/1 + 1 = 5
  trainable: 76         # 3*3*2*4 + 4 = 72 + 4
  macs: 1800            # 5*5*4 * 3*3*2 = 100 * 18
- about: same padding with stride 2 on 7 -> ceil(7/2) = 4, pads 1+1
  input: {h: 7, w: 7, c: 2}
  layer: {type: conv, filters: 4, kernel: 3, stride: 2, padding: same}
  shape: [4, 4, 4]      # total pad (4 - 1)*2 + 3 - 7 = 2 -> 1 + 1; (7 + 2 - 3)/2 + 1 = 4
  trainable: 76         # 3*3*2*4 + 4
  macs: 1152            # 4*4*4 * 3*3*2 = 64 * 18
- about: same padding with stride 2 on 8, the extra pixel bottom/right
  input: {h: 8, w: 8, c: 2}
  layer: {type: conv, filters: 4, kernel: 3, stride: 2, padding: same}
  shape: [4, 4, 4]      # total pad (4 - 1)*2 + 3 - 8 = 1 -> 0 top/left, 1 bottom/right; (8 + 1 - 3)/2 + 1 = 4
  trainable: 76         # 3*3*2*4 + 4
  macs: 1152            # 4*4*4 * 18
- about: same padding, stride 1, even kernel (asymmetric)
  input: {h: 6, w: 6, c: 1}
  layer: {type: conv, filters: 1, kernel: 4, padding: same}
  shape: [6, 6, 1]      # total pad (6 - 1)*1 + 4 - 6 = 3 -> 1 + 2; (6 + 3 - 4)/1 + 1 = 6
  trainable: 17         # 4*4*1*1 + 1
  macs: 576             # 6*6*1 * 4*4*1 = 36 * 16
- about: dilation 2 makes a 3-tap kernel reach 5
  input: {h: 9, w: 9, c: 1}
  layer: {type: conv, filters: 1, kernel: 3, dilation: 2}
  shape: [5, 5, 1]      # (9 - 2*(3 - 1) - 1)/1 + 1 = 4 + 1 = 5
  trainable: 10         # 3*3*1*1 + 1 (dilation adds no weights)
  macs: 225             # 5*5*1 * 9
- about: groups 2, each filter sees half the channels
  input: {h: 8, w: 8, c: 4}
  layer: {type: conv, filters: 6, kernel: 3, padding: 1, groups: 2}
  shape: [8, 8, 6]      # (8 + 2 - 3)/1 + 1 = 8
  trainable: 114        # 3*3*(4/2)*6 + 6 = 108 + 6
  macs: 6912            # 8*8*6 * 3*3*(4/2) = 384 * 18
- about: per-dimension kernel, stride and padding, no bias
  input: {h: 10, w: 12, c: 3}
  layer: {type: conv, filters: 8, kernel: [3, 5], stride: [1, 2], padding: [1, 2], bias: false}
  shape: [10, 6, 8]     # h: (10 + 2 - 3)/1 + 1 = 10; w: floor((12 + 4 - 5)/2) + 1 = 5 + 1 = 6
  trainable: 360        # 3*5*3*8 = 360, no bias
  macs: 21600           # 10*6*8 * 3*5*3 = 480 * 45
- about: conv padded per side [top, bottom, left, right]
  input: {h: 6, w: 6, c: 2}
  layer: {type: conv, filters: 2, kernel: 3, padding: [1, 0, 2, 0]}
  shape: [5, 6, 2]      # H: (6 + 1 + 0 - 3)/1 + 1 = 5; W: (6 + 2 + 0 - 3)/1 + 1 = 6
  trainable: 38         # 3*3*2*2 + 2 = 36 + 2
  macs: 1080            # 5*6*2 outputs * 3*3*2 = 60 * 18
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import seq

    return {
        "the course's two 3x3x3 filters": lambda: seq(nn.Conv2d(3, 2, 3), nn.ReLU()),
        "LeNet CONV1": lambda: nn.Conv2d(3, 6, 5),
        "LeNet CONV2, the course table's 416 is wrong": lambda: nn.Conv2d(6, 16, 5),
        "stride 2 on 7x7, f=3": lambda: nn.Conv2d(1, 1, 3, stride=2),
        "the floor drops a row and a column (8x8, f=3, s=2)": lambda: nn.Conv2d(1, 1, 3, stride=2),
        "valid padding is no padding": lambda: nn.Conv2d(2, 4, 3, padding="valid"),
        # PyTorch has no padding="same" with a stride: the case's pads, typed in.
        "same padding with stride 2 on 7 -> ceil(7/2) = 4, pads 1+1": lambda: seq(
            nn.ZeroPad2d(1), nn.Conv2d(2, 4, 3, stride=2)
        ),
        "same padding with stride 2 on 8, the extra pixel bottom/right": lambda: seq(
            nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(2, 4, 3, stride=2)
        ),
        "same padding, stride 1, even kernel (asymmetric)": lambda: nn.Conv2d(1, 1, 4, padding="same"),
        "dilation 2 makes a 3-tap kernel reach 5": lambda: nn.Conv2d(1, 1, 3, dilation=2),
        "groups 2, each filter sees half the channels": lambda: nn.Conv2d(4, 6, 3, padding=1, groups=2),
        "per-dimension kernel, stride and padding, no bias": lambda: nn.Conv2d(
            3, 8, (3, 5), stride=(1, 2), padding=(1, 2), bias=False
        ),
        "conv padded per side [top, bottom, left, right]": lambda: seq(nn.ZeroPad2d((2, 0, 1, 0)), nn.Conv2d(2, 2, 3)),
    }


RANDOM = Random(heavy=True, plain=True, layouts=("CHW",), layer=conv(ndim=2))
