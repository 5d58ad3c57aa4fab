"""`window_attention`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random, divisors

# (C, H, W) maps; groups of N = w*w positions attend among themselves. Parameters: qkv
# C*3C + 3C, proj C*C + C, the bias table (2w-1)^2 * heads; buffer: the index, w^2 * w^2.
# MACs over the padded map of P = Hp*Wp positions: qkv P*C*3C, proj P*C*C, and QK^T and
# AV 2 * P*N*C (each group N*N*C, twice).
CASES = """
- about: Swin's window attention, 2 heads, 4x4 windows on an 8x8 map
  input: {h: 8, w: 8, c: 16}
  layer: {type: window_attention, heads: 2, window_size: 4}
  shape: [8, 8, 16]
  trainable: 1186       # qkv 16*48 + 48 = 816, proj 16*16 + 16 = 272, table (2*4-1)^2 * 2 = 98
  buffers: 256          # index 16 * 16
  macs: 98304           # qkv 64*16*48 = 49,152; proj 64*16*16 = 16,384; 2*64*16*16 = 32,768
- about: shifted windows, 3 heads, 3x3 windows rolled by 1 (the mask changes no count)
  input: {h: 6, w: 6, c: 12}
  layer: {type: window_attention, heads: 3, window_size: 3, shift: 1}
  shape: [6, 6, 12]
  trainable: 699        # qkv 12*36 + 36 = 468, proj 12*12 + 12 = 156, table 5*5 * 3 = 75
  buffers: 81           # 9 * 9
  macs: 28512           # qkv 36*12*36 = 15,552; proj 36*12*12 = 5,184; 2*36*9*12 = 7,776
- about: a 5x7 map padded to 6x9 for 3x3 windows, shifted, no bias
  input: {h: 5, w: 7, c: 8}
  layer: {type: window_attention, heads: 2, window_size: 3, shift: 1, bias: false}
  shape: [5, 7, 8]
  trainable: 306        # qkv 8*24 = 192, proj 8*8 = 64, table 25 * 2 = 50
  buffers: 81
  macs: 21600           # P = 6*9 = 54: qkv 54*8*24 = 10,368; proj 54*8*8 = 3,456; 2*54*9*8 = 7,776
- about: MaxViT's grid attention, a 3x3 grid spread 2 apart over a 6x6 map
  input: {h: 6, w: 6, c: 8}
  layer: {type: window_attention, heads: 2, window_size: 3, partition: grid, style: maxvit}
  shape: [6, 6, 8]
  trainable: 338        # qkv 8*24 + 24 = 216, proj 8*8 + 8 = 72, table 25 * 2 = 50
  buffers: 81
  macs: 14400           # qkv 36*8*24 = 6,912; proj 36*8*8 = 2,304; 2*36*9*8 = 5,184
- about: one window covers the map, so the shift is dropped as torchvision drops it
  input: {h: 3, w: 3, c: 4}
  layer: {type: window_attention, heads: 1, window_size: 3, shift: 1}
  shape: [3, 3, 4]
  trainable: 105        # qkv 4*12 + 12 = 60, proj 4*4 + 4 = 20, table 25 * 1 = 25
  buffers: 81
  macs: 1224            # qkv 9*4*12 = 432; proj 9*4*4 = 144; 2*9*9*4 = 648
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    return {
        "Swin's window attention, 2 heads, 4x4 windows on an 8x8 map": lambda: ByWindow(16, 2, 4, 0, "window", True),
        "shifted windows, 3 heads, 3x3 windows rolled by 1 (the mask changes no count)": lambda: ByWindow(
            12, 3, 3, 1, "window", True
        ),
        "a 5x7 map padded to 6x9 for 3x3 windows, shifted, no bias": lambda: ByWindow(8, 2, 3, 1, "window", False),
        "MaxViT's grid attention, a 3x3 grid spread 2 apart over a 6x6 map": lambda: ByWindow(8, 2, 3, 0, "grid", True),
        "one window covers the map, so the shift is dropped as torchvision drops it": lambda: ByWindow(
            4, 1, 3, 0, "window", True
        ),
    }


def ByWindow(channels: int, heads: int, w: int, shift: int, partition: str, bias: bool) -> Any:
    """Window attention written out one group at a time: each group's positions gathered by
    their coordinates, the bias table read at each pair's offset, the shift mask from
    each position's region, as Swin's paper describes them (MaxViT's grid: the positions
    H/w and W/w apart; it scales the keys by the whole width, Swin the queries by a head's)."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    head = channels // heads

    class WindowByWindow(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.qkv = nn.Linear(channels, 3 * channels, bias=bias)
            self.proj = nn.Linear(channels, channels, bias=bias)
            self.relative_position_bias_table = nn.Parameter(torch.randn((2 * w - 1) ** 2, heads) * 0.02)
            offsets = [
                (a // w - b // w + w - 1) * (2 * w - 1) + (a % w - b % w + w - 1)
                for a in range(w * w)
                for b in range(w * w)
            ]
            self.register_buffer("relative_position_index", torch.tensor(offsets))

        def forward(self, x: Any) -> Any:
            batch, _, height, width = x.shape
            pad_h, pad_w = -(-height // w) * w, -(-width // w) * w
            x = F.pad(x, (0, pad_w - width, 0, pad_h - height))
            x = torch.roll(x, (-shift, -shift), (2, 3))
            out = torch.zeros_like(x)
            bias_table = self.relative_position_bias_table[self.relative_position_index].view(w * w, w * w, heads)
            step_h, step_w = pad_h // w, pad_w // w
            corners = (
                [(r * w, c * w, 1, 1) for r in range(step_h) for c in range(step_w)]
                if partition == "window"
                else [(r, c, step_h, step_w) for r in range(step_h) for c in range(step_w)]
            )
            for top, left, dy, dx in corners:
                rows = [top + dy * (t // w) for t in range(w * w)]
                cols = [left + dx * (t % w) for t in range(w * w)]
                tokens = x[:, :, rows, cols].transpose(1, 2)  # (B, N, C)
                q, k, v = F.linear(tokens, self.qkv.weight, self.qkv.bias).split(channels, dim=-1)
                q, k, v = (t.reshape(batch, w * w, heads, head).transpose(1, 2) for t in (q, k, v))
                if partition == "grid":
                    k = k * channels**-0.5
                else:
                    q = q * head**-0.5
                scores = q @ k.transpose(-2, -1) + bias_table.permute(2, 0, 1)
                if shift:  # positions rolled in from another region of the map do not attend
                    region = [
                        3 * sum(n >= edge for edge in (pad_h - w, pad_h - shift))
                        + sum(m >= edge for edge in (pad_w - w, pad_w - shift))
                        for n, m in zip(rows, cols, strict=True)
                    ]
                    apart = torch.tensor([[a != b for b in region] for a in region])
                    scores = scores + apart * -100.0
                attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, w * w, channels)
                out[:, :, rows, cols] = F.linear(attended, self.proj.weight, self.proj.bias).transpose(1, 2)
            out = torch.roll(out, (shift, shift), (2, 3))
            return out[:, :, :height, :width]

    return WindowByWindow()


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) != 3:
        return None
    channels, height, width = shape
    found: dict[str, Any] = {"type": kind, "heads": draw(st.sampled_from(divisors(channels)))}
    found["window_size"] = size = draw(st.integers(1, 4))
    if height % size == 0 and width % size == 0 and draw(st.booleans()):
        found["partition"] = "grid"
    elif size > 1 and draw(st.booleans()):
        found["shift"] = draw(st.integers(1, size - 1))
    found["bias"] = draw(st.booleans())
    # torch.einsum contracts a size-1 axis (a head of one channel, a 1x1 group) with a
    # broadcast multiply that FlopCounterMode does not count: MaxViT's form needs both wider.
    if size > 1 and channels // found["heads"] > 1:
        found["style"] = draw(st.sampled_from(["swin", "maxvit"]))
    return found


RANDOM = Random(layouts=("CHW",), layer=layer)
