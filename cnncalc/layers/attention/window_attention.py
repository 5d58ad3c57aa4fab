"""Attention within windows of a feature map, with a learned relative position bias:
`{type: window_attention, heads: 3, window_size: 7}` (Swin's W-MSA; `shift: 3` its SW-MSA;
`partition: grid` MaxViT's grid attention).

The (C, H, W) map is cut into groups of `w x w` positions that attend among themselves:
with `partition: window` each group is a w x w window (the map padded at its bottom and
right to a multiple of w first, as torchvision's Swin pads it, and cropped back after);
with `partition: grid` each group is a w x w grid of positions spread H/w and W/w apart
over the map (MaxViT; w must divide H and W). `shift` rolls the map by that many
positions before the windows are cut and back after (Swin's shifted windows, an axis not
shifted where one window covers it); the mask that keeps rolled-in positions apart adds
-100 to some scores, which changes values, never a count.

Parameters, as torchvision's ShiftedWindowAttention and MaxViT's
RelativePositionalMultiHeadAttention hold them: `qkv` (C -> 3C) and `proj` (C -> C)
nn.Linears (`4C^2`, plus `4C` biases), the relative position bias table
`(2w - 1)^2 x heads`, and its index, a `w^2 x w^2` int64 buffer (2,401 for w = 7) that
PyTorch registers persistent, so it is in the state dict and in `buffers()`.
MACs over the padded map of `Hp x Wp` positions, `N = w^2` per group:
the projections `Hp*Wp*C*3C + Hp*Wp*C*C`, and `QK^T` and `AV` within each group,
`2 * Hp*Wp*N*C` (each head N*N*(C/h) per group, twice). The scaling, the bias and the
mask additions and the softmax count 0. (With `style: maxvit`, a head one channel wide or a
1 x 1 group makes torch.einsum contract a size-1 axis by a broadcast multiply, which
FlopCounterMode, and so `--verify`, does not count.)
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.api import (
    EVERYTHING,
    AttentionPart,
    Everything,
    Extra,
    Footprint,
    Inputs,
    Layer,
    Parts,
    Shape,
    Tensor,
    Window,
    Work,
    heads_divide,
    linear_tensors,
    prod,
)


class WindowAttention(Layer):
    """Multi-head self-attention within w x w windows (or a w x w grid) of a (C, H, W) map."""

    traits: ClassVar[frozenset[str]] = frozenset({"has-bias"})
    accepts: ClassVar[frozenset[str]] = frozenset({"CHW"})
    type: Literal["window_attention"]
    heads: PositiveInt = Field(description="Number of attention heads; they must divide the channels C.")
    window_size: PositiveInt = Field(
        description="w: each group of w x w positions attends among itself (Swin and MaxViT use 7)."
    )
    shift: NonNegativeInt = Field(
        0,
        description="Roll the map by this many positions first (Swin's shifted windows: w // 2); below `window_size`.",
    )
    partition: Literal["window", "grid"] = Field(
        "window",
        description="`window`: contiguous w x w windows, the map padded to a multiple of w; "
        "`grid`: a w x w grid of positions H/w and W/w apart (MaxViT), w dividing H and W.",
    )
    bias: bool = Field(True, description="Biases on the qkv and output projections.")
    style: Literal["swin", "maxvit"] = Field(
        "swin",
        description="How the PyTorch code runs it, for other tools' counts (cnncalc's are the same): `swin`, "
        "torchvision Swin's F.linear on the nn.Linear weights and Tensor.matmul; `maxvit`, MaxViT's nn.Linear "
        "modules and torch.einsum.",
    )

    def _sizes(self, inputs: Inputs) -> tuple[int, int, int]:
        """(C, padded H, padded W), checked."""
        x, w = inputs[0], self.window_size
        channels = x.size("C")
        heads_divide(channels, self.heads)
        if self.shift and (self.shift >= w or self.partition == "grid"):
            why = "a grid is not shifted" if self.partition == "grid" else f"it must be below window_size={w}"
            raise LayerError(f"shift={self.shift}: {why}", "shift")
        height, width = x.spatial
        if self.partition == "grid":
            for axis, n in (("h", height), ("w", width)):
                if n % w:
                    raise LayerError(f"window_size={w} does not divide {axis}={n}: a grid needs it to", "window_size")
            return channels, height, width
        return channels, -(-height // w) * w, -(-width // w) * w  # padded up to a multiple of w

    def groups(self, inputs: Inputs) -> int:
        """How many groups of w x w positions attend, each among itself."""
        _, height, width = self._sizes(inputs)
        return height * width // (self.window_size * self.window_size)

    def output_shape(self, inputs: Inputs) -> Shape:
        self._sizes(inputs)
        return inputs[0]

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        channels = self._sizes(inputs)[0]
        w = self.window_size
        return [
            *linear_tensors("qkv", channels, 3 * channels, self.bias),
            *linear_tensors("proj", channels, channels, self.bias),
            Tensor("relative_position_bias_table", ((2 * w - 1) ** 2, self.heads)),
            Tensor("relative_position_index", (w**4,), "buffer"),  # int64, persistent
        ]

    def parts(self, inputs: Inputs) -> Parts:
        channels = self._sizes(inputs)[0]
        tokens = self.window_size * self.window_size
        one = AttentionPart(tokens, tokens, channels, self.heads, channels, channels, channels, self.bias, False)
        return Parts(attentions=(one,) * self.groups(inputs))

    def work(self, inputs: Inputs, output: Shape) -> Work:
        parts = self.parts(inputs)
        return Work(macs=parts.macs, bias=parts.bias, elementwise=parts.softmax)

    def shifted(self, inputs: Inputs) -> bool:
        """Whether the map is rolled: torchvision does not shift an axis one window covers."""
        _, height, width = self._sizes(inputs)
        return self.shift > 0 and (self.window_size < height or self.window_size < width)

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        channels, height, width = self._sizes(inputs)
        map_elements = channels * height * width  # the padded map
        scores = self.heads * height * width * self.window_size * self.window_size  # every group's N x N, per head
        padded = (height, width) != tuple(inputs[0].spatial)
        # Copies of the (padded) map the forward makes on its way: the pad, each roll, the
        # partition's reshape, and after the projection the departition's and the crop's.
        copies = 1 + int(padded) + 2 * int(self.shifted(inputs)) + int(padded)
        if not training:
            # Alive together at most (op by op against the tracker), besides the output: the
            # partitioned map, qkv and the scaled q or k (5 maps), with either the copies of q
            # and k (or of v and the product) that matmul and einsum make for bmm and one
            # scores, or the scores through the softmax: Swin rebinds them as the bias is added
            # (2 at once), MaxViT's `softmax(dot_prod + pos_bias)` keeps the raw ones too (3).
            # The pad's and roll's copies are freed before qkv is made; a shifted map's mask,
            # one for the batch, lives from the scores to the end.
            at_once = 3 if self.style == "maxvit" else 2
            made = 5 * map_elements + max(2 * map_elements + scores, at_once * scores)
            tokens = self.window_size * self.window_size
            mask = (Extra(self.groups(inputs) * tokens * tokens, per_sample=False),) if self.shifted(inputs) else ()
            return Footprint(passing=(Extra(made - prod(output)), *mask))
        # Autograd keeps qkv's input (the partitioned map), the scaled q, copies of k^T and v
        # (matmul reshapes their strided views), the softmax and proj's input; qkv itself is
        # freed. Made and freed on the way: the scores before the softmax and the map's copies.
        return Footprint(
            kept=(Extra(5 * map_elements + scores),),
            passing=(Extra(copies * map_elements + scores),),
            # Backward's largest: the gradients of the softmax's output and of its input
            # (measured against the tracker; the map-sized gradients come and go around them).
            backward=(Extra(2 * scores),),
        )

    def window(self, inputs: Inputs) -> Window | Everything:
        # A window position reads at most w - 1 positions away on each side (an upper
        # bound: the windows do not slide); a grid position reads across the whole map.
        if self.partition == "grid":
            return EVERYTHING
        w = self.window_size
        return Window((2 * w - 1, 2 * w - 1), (1, 1), (1, 1), (w - 1, w - 1))

    def summary(self, inputs: Inputs) -> str:
        text = f"h={self.heads} w={self.window_size}"
        if self.shift:
            text += f" shift={self.shift}"
        return text + (" grid" if self.partition == "grid" else "")

    def to_torch(self, inputs: Inputs) -> Any:
        channels = self._sizes(inputs)[0]
        return window_attention_module(
            channels, self.heads, self.window_size, self.shift, self.partition, self.bias, self.style
        )


def relative_position_index(w: int) -> Any:
    """torchvision's: for each pair of positions in a w x w window, the row of the
    (2w - 1)^2 table holding their offset (dy + w - 1) * (2w - 1) + (dx + w - 1); flat."""
    import torch

    coords = torch.stack(torch.meshgrid(torch.arange(w), torch.arange(w), indexing="ij")).flatten(1)
    relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (w - 1)
    return (relative[:, :, 0] * (2 * w - 1) + relative[:, :, 1]).flatten()


def window_attention_module(
    channels: int, heads: int, w: int, shift: int, partition: str, bias: bool, style: str
) -> Any:
    """The attention on a (B, C, H, W) map, run as torchvision's Swin or MaxViT runs it."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    head = channels // heads
    tokens = w * w

    class WindowAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.qkv = nn.Linear(channels, 3 * channels, bias=bias)
            self.proj = nn.Linear(channels, channels, bias=bias)
            self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * w - 1) ** 2, heads))
            nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
            self.register_buffer("relative_position_index", relative_position_index(w))

        def project(self, linear: nn.Linear, x: Any) -> Any:
            # Swin calls F.linear on the module's weights; MaxViT calls the module.
            return F.linear(x, linear.weight, linear.bias) if style == "swin" else linear(x)

        def forward(self, x: Any) -> Any:
            batch, _, height, width = x.shape
            # Channels last in memory, as Swin holds its maps (a map from a channels-last
            # layer is so already): its one-window qkv then runs as addmm, bias included.
            x = x.permute(0, 2, 3, 1).contiguous()
            if partition == "grid":
                pad_h, pad_w, shifts = height, width, (0, 0)
            else:
                x = F.pad(x, (0, 0, 0, (w - width % w) % w, 0, (w - height % w) % w))
                pad_h, pad_w = x.shape[1], x.shape[2]
                shifts = (shift if w < pad_h else 0, shift if w < pad_w else 0)
            if any(shifts):
                x = torch.roll(x, shifts=(-shifts[0], -shifts[1]), dims=(1, 2))
            groups = pad_h * pad_w // tokens
            if partition == "grid":  # position (i, j) of the grid: rows i*H/w .. spaced H/w apart
                x = x.reshape(batch, w, pad_h // w, w, pad_w // w, channels).permute(0, 2, 4, 1, 3, 5)
            else:
                x = x.reshape(batch, pad_h // w, w, pad_w // w, w, channels).permute(0, 1, 3, 2, 4, 5)
            # Swin projects (B * groups, N, C), MaxViT (B, groups, N, C): torchinfo multiplies
            # a linear layer's parameters by its output's first axis.
            x = (
                x.reshape(batch * groups, tokens, channels)
                if style == "swin"
                else x.reshape(batch, groups, tokens, channels)
            )
            qkv = self.project(self.qkv, x).reshape(batch * groups, tokens, 3, heads, head).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            if style == "swin":
                q = q * head**-0.5
            else:
                k = k * channels**-0.5  # MaxViT scales the keys, by the whole width
            index: Any = self.relative_position_index  # a buffer (mypy sees Tensor | Module)
            position_bias = self.relative_position_bias_table[index]
            position_bias = position_bias.view(tokens, tokens, heads).permute(2, 0, 1).contiguous().unsqueeze(0)
            raw: Any = None
            if style == "swin":
                scores = q.matmul(k.transpose(-2, -1)) + position_bias
            else:  # MaxViT names the raw scores (`dot_prod`): they live through the softmax
                raw = torch.einsum("bhid,bhjd->bhij", q, k)
                scores = raw + position_bias
            if any(shifts):
                mask = shift_mask(x, pad_h, pad_w, shifts)  # Swin's `attn_mask`: alive until it returns
                scores = scores.view(batch, groups, heads, tokens, tokens) + mask.unsqueeze(1).unsqueeze(0)
                scores = scores.view(-1, heads, tokens, tokens)
            scores = F.softmax(scores, dim=-1)
            raw = None  # MaxViT rebinds `dot_prod` to the softmax's output
            out = scores.matmul(v) if style == "swin" else torch.einsum("bhij,bhjd->bhid", scores, v)
            out = out.transpose(1, 2).reshape(x.shape)
            out = self.project(self.proj, out)
            if partition == "grid":
                out = out.view(batch, pad_h // w, pad_w // w, w, w, channels).permute(0, 3, 1, 4, 2, 5)
            else:
                out = out.view(batch, pad_h // w, pad_w // w, w, w, channels).permute(0, 1, 3, 2, 4, 5)
            out = out.reshape(batch, pad_h, pad_w, channels)
            if any(shifts):
                out = torch.roll(out, shifts=shifts, dims=(1, 2))
            return out[:, :height, :width, :].permute(0, 3, 1, 2)

    def shift_mask(x: Any, pad_h: int, pad_w: int, shifts: tuple[int, int]) -> Any:
        """Swin's mask: -100 between positions rolled in from different regions."""
        regions = x.new_zeros((pad_h, pad_w))
        count = 0
        # torchvision's slices as it writes them (an axis not shifted gives -0 = 0).
        for rows in ((0, -w), (-w, -shifts[0]), (-shifts[0], None)):
            for cols in ((0, -w), (-w, -shifts[1]), (-shifts[1], None)):
                regions[rows[0] : rows[1], cols[0] : cols[1]] = count
                count += 1
        regions = regions.view(pad_h // w, w, pad_w // w, w).permute(0, 2, 1, 3).reshape(-1, tokens)
        differ = regions.unsqueeze(1) - regions.unsqueeze(2)
        return differ.masked_fill(differ != 0, -100.0).masked_fill(differ == 0, 0.0)

    return WindowAttention()
