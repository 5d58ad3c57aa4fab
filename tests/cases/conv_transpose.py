"""`conv_transpose`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases._random import Random, conv_transpose

CASES = """
- about: U-Net up-convolution, 2x2 stride 2
  input: {h: 28, w: 28, c: 128}
  layer: {type: conv_transpose, filters: 64, kernel: 2, stride: 2}
  shape: [56, 56, 64]   # (28 - 1)*2 - 0 + 1*(2 - 1) + 0 + 1 = 56
  trainable: 32832      # 128 * 64 * 2*2 + 64 = 32768 + 64
  macs: 25690112        # input-spatial rule: 128*28*28 * 64 * 2*2 = 100352 * 256
- about: transposed conv with padding and output_padding, exact 2x
  input: {h: 4, w: 4, c: 8}
  layer: {type: conv_transpose, filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1}
  shape: [8, 8, 4]      # (4 - 1)*2 - 2*1 + 1*(3 - 1) + 1 + 1 = 6 - 2 + 2 + 2 = 8
  trainable: 292        # 8*4*3*3 + 4 = 288 + 4
  macs: 4608            # 8*4*4 * 4 * 3*3 = 128 * 36
- about: transposed conv with groups and dilation, no bias
  input: {h: 5, w: 5, c: 4}
  layer: {type: conv_transpose, filters: 6, kernel: 3, dilation: 2, groups: 2, bias: false}
  shape: [9, 9, 6]      # (5 - 1)*1 - 0 + 2*(3 - 1) + 0 + 1 = 4 + 4 + 1 = 9
  trainable: 108        # 4 * (6/2) * 3*3 = 108
  macs: 2700            # 4*5*5 * (6/2) * 3*3 = 100 * 27
- about: output_padding below the dilation, with stride 1
  input: {h: 3, w: 3, c: 1}
  layer: {type: conv_transpose, filters: 2, kernel: 2, dilation: 2, output_padding: 1}
  shape: [6, 6, 2]      # (3 - 1)*1 - 0 + 2*(2 - 1) + 1 + 1 = 2 + 2 + 2 = 6
  trainable: 10         # 1*2*2*2 + 2
  macs: 72              # 1*3*3 * 2 * 2*2 = 9 * 8
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "U-Net up-convolution, 2x2 stride 2": lambda: nn.ConvTranspose2d(128, 64, 2, stride=2),
        "transposed conv with padding and output_padding, exact 2x": lambda: nn.ConvTranspose2d(
            8, 4, 3, stride=2, padding=1, output_padding=1
        ),
        "transposed conv with groups and dilation, no bias": lambda: nn.ConvTranspose2d(
            4, 6, 3, dilation=2, groups=2, bias=False
        ),
        "output_padding below the dilation, with stride 1": lambda: nn.ConvTranspose2d(
            1, 2, 2, dilation=2, output_padding=1
        ),
    }


RANDOM = Random(heavy=True, layouts=("CHW",), layer=conv_transpose(ndim=2))
