"""Every hand-worked case (tests/layer_cases.yaml) and every composite against a PyTorch
module written out here by hand, never through cnncalc's `to_torch` builders.

`--verify` and tests/test_layer_kinds.py build modules with cnncalc's own code (its
padding split, its residual expansion), so a mistake there agrees with itself. The
modules below are PyTorch as a user would write it: `nn.Conv2d(..., padding="same")`,
`F.max_pool2d(..., ceil_mode=True)`, the pads of `same` with a stride typed in from the
case's arithmetic. Their output shape, parameters, buffers and MACs (FlopCounterMode / 2,
which counts the convolutions and matmuls, and 0 for the rest, as the cases do) must equal
the hand-worked numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from needs import needs_module
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.engine import propagate
from cnncalc.layers import registry
from cnncalc.layers.api import Composite
from cnncalc.spec import loads_spec
from cnncalc.spec.model import InputSpec
from cnncalc.verify import build_module

torch = needs_module("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths"),
    pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN"),  # mkldnn.flags() on this build
]

CASES: list[dict[str, Any]] = yaml.safe_load(Path(__file__).with_name("layer_cases.yaml").read_text())
BATCH = 2


class Fn(nn.Module):  # type: ignore[misc]
    """A module around a plain function of the inputs (slicing, F.* calls, merges)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *xs: Any) -> Any:
        return self.fn(*xs)


class Output0(nn.Module):  # type: ignore[misc]
    """A recurrent module's output sequence: `rnn(x)[0]`, as a model's forward writes it."""

    def __init__(self, rnn: Any) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(self, x: Any) -> Any:
        return self.rnn(x)[0]


class LastState(Output0):
    """The last layer's final hidden state, both directions side by side: h_n[-2:] (or [-1:])."""

    def forward(self, x: Any) -> Any:
        _, state = self.rnn(x)
        h_n = state[0] if isinstance(state, tuple) else state
        directions = 2 if self.rnn.bidirectional else 1
        return torch.cat([h_n[-directions + i] for i in range(directions)], dim=1)


class AddPositions(nn.Module):  # type: ignore[misc]
    """BERT's learned positions: x + pos(arange(L))."""

    def __init__(self, max_len: int, width: int) -> None:
        super().__init__()
        self.pos = nn.Embedding(max_len, width)

    def forward(self, x: Any) -> Any:
        return x + self.pos(torch.arange(x.shape[1]))


def sinusoidal(x: Any) -> Any:
    """The Transformer paper's encoding, written out: PE(p, 2i) = sin(p / 10000^(2i/D)), cos at 2i+1."""
    length, width = x.shape[1], x.shape[2]
    table = torch.zeros(length, width)
    for p in range(length):
        for i in range(width):
            angle = p / 10000 ** (2 * (i // 2) / width)
            table[p, i] = math.sin(angle) if i % 2 == 0 else math.cos(angle)
    return x + table


class AddSegment(nn.Module):  # type: ignore[misc]
    """BERT's token types: x + seg(token_type_ids), the ids all one segment."""

    def __init__(self, segments: int, width: int, segment: int) -> None:
        super().__init__()
        self.seg = nn.Embedding(segments, width)
        self.segment = segment

    def forward(self, x: Any) -> Any:
        return x + self.seg(torch.full(x.shape[:2], self.segment, dtype=torch.long))


class PrependToken(nn.Module):  # type: ignore[misc]
    """ViT's class token: cat([token.expand(N, -1, -1), x], dim=1)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.token = nn.Parameter(torch.zeros(1, 1, width))

    def forward(self, x: Any) -> Any:
        return torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)


class SelfAttention(nn.Module):  # type: ignore[misc]
    """nn.MultiheadAttention as a layer: self-attention, or cross-attention on a memory."""

    def __init__(self, attention: Any, causal: bool = False) -> None:
        super().__init__()
        self.attention = attention
        self.causal = causal

    def forward(self, x: Any, key: Any = None, value: Any = None) -> Any:
        key = x if key is None else key
        value = key if value is None else value
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1]) if self.causal else None
        return self.attention(x, key, value, attn_mask=mask, is_causal=self.causal, need_weights=False)[0]


class LlamaAttention(nn.Module):  # type: ignore[misc]
    """Grouped-query attention as Hugging Face's Llama writes it: q/k/v/o, rotate_half, SDPA."""

    def __init__(self, width: int, heads: int, kv_heads: int, bias: bool, rotary: bool) -> None:
        super().__init__()
        self.heads, self.kv_heads, self.head, self.rotary = heads, kv_heads, width // heads, rotary
        self.q_proj = nn.Linear(width, heads * self.head, bias=bias)
        self.k_proj = nn.Linear(width, kv_heads * self.head, bias=bias)
        self.v_proj = nn.Linear(width, kv_heads * self.head, bias=bias)
        self.o_proj = nn.Linear(heads * self.head, width, bias=bias)

    def forward(self, x: Any) -> Any:
        b, n, _ = x.shape
        q = self.q_proj(x).view(b, n, self.heads, self.head).transpose(1, 2)
        k = self.k_proj(x).view(b, n, self.kv_heads, self.head).transpose(1, 2)
        v = self.v_proj(x).view(b, n, self.kv_heads, self.head).transpose(1, 2)
        if self.rotary:
            inv_freq = 1.0 / (10000 ** (torch.arange(0, self.head, 2).float() / self.head))
            freqs = torch.outer(torch.arange(n).float(), inv_freq)
            emb = torch.cat((freqs, freqs), dim=-1)

            def rotate_half(t: Any) -> Any:
                return torch.cat((-t[..., self.head // 2 :], t[..., : self.head // 2]), dim=-1)

            q = q * emb.cos() + rotate_half(q) * emb.sin()
            k = k * emb.cos() + rotate_half(k) * emb.sin()
        out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
        return self.o_proj(out.transpose(1, 2).reshape(b, n, -1))


class SwiGLU(nn.Module):  # type: ignore[misc]
    """Llama's MLP: down(act(gate(x)) * up(x))."""

    def __init__(self, width: int, hidden: int, bias: bool, act: Any) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(width, hidden, bias=bias)
        self.up_proj = nn.Linear(width, hidden, bias=bias)
        self.down_proj = nn.Linear(hidden, width, bias=bias)
        self.act = act

    def forward(self, x: Any) -> Any:
        return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))


class Causal(nn.Module):  # type: ignore[misc]
    """A transformer layer run with a causal mask (or none)."""

    def __init__(self, layer: Any, causal: bool) -> None:
        super().__init__()
        self.layer, self.causal = layer, causal

    def forward(self, x: Any, *memory: Any) -> Any:
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1]) if self.causal else None
        if memory:
            return self.layer(x, memory[0], tgt_mask=mask, tgt_is_causal=self.causal)
        return self.layer(x, src_mask=mask, is_causal=self.causal)


def seq(*modules: Any) -> Any:
    return nn.Sequential(*modules)


def max_pool_padded(pads: tuple[int, ...], kernel: int, stride: int) -> Any:
    """`same` max pooling by hand: pad with -inf (never the max), then pool without padding."""
    return Fn(lambda x: F.max_pool2d(F.pad(x, pads, value=-math.inf), kernel, stride))


# The module for each case, by its `about`. Shapes are channels first: (C, H, W), (C, L).
MODULES: dict[str, Callable[[], Any]] = {
    # conv
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
    "1-D conv with stride and padding": lambda: nn.Conv1d(8, 16, 5, stride=2, padding=2),
    "1-D conv, same padding": lambda: nn.Conv1d(2, 3, 3, padding="same"),
    "3-D conv": lambda: nn.Conv3d(3, 4, 3, stride=2, padding=1),
    # pooling
    "the course's 2x2 max pool, stride 2": lambda: nn.MaxPool2d(2, 2),
    "max pool stride defaults to the kernel; the floor drops the last row": lambda: nn.MaxPool2d(2),
    "ceil_mode keeps the last partial window": lambda: Fn(lambda x: F.max_pool2d(x, 2, 2, ceil_mode=True)),
    "ceil_mode drops a window that would start in the right padding": lambda: Fn(
        lambda x: F.max_pool2d(x, 3, 3, padding=1, ceil_mode=True)
    ),
    "ceil_mode lets a window run past an input narrower than it": lambda: Fn(
        lambda x: F.max_pool2d(x, 2, 2, ceil_mode=True)
    ),
    "ResNet stem max pool": lambda: nn.MaxPool2d(3, 2, 1),
    "max pool, same padding on 8 pads bottom/right only": lambda: max_pool_padded((0, 1, 0, 1), 3, 2),
    "dilated max pool": lambda: nn.MaxPool2d(3, 1, dilation=2),
    "1-D max pool": lambda: nn.MaxPool1d(3, 2),
    "3-D max pool": lambda: nn.MaxPool3d(2),
    "2x2 average pool": lambda: nn.AvgPool2d(2, 2),
    "average pool with padding, padded zeros not counted": lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
    "average pool, ceil_mode adds a window": lambda: Fn(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)),
    "ceil_mode average over a window wider than the input": lambda: Fn(lambda x: F.avg_pool2d(x, 3, 3, ceil_mode=True)),
    "1-D average pool": lambda: nn.AvgPool1d(3),
    "3-D average pool": lambda: nn.AvgPool3d(3, 3),
    # global and adaptive pooling
    "global average pool, ResNet head": lambda: Fn(lambda x: x.mean(dim=(2, 3))),
    "global max pool": lambda: Fn(lambda x: x.amax(dim=(2, 3))),
    "global average pool over a sequence": lambda: Fn(lambda x: x.mean(dim=2)),
    "adaptive average pool to 6x6, AlexNet": lambda: nn.AdaptiveAvgPool2d(6),
    "adaptive max pool, per-dimension size": lambda: nn.AdaptiveMaxPool2d((2, 5)),
    "adaptive max pool, 1-D": lambda: nn.AdaptiveMaxPool1d(4),
    # flatten, dense, dropout
    "LeNet flatten": lambda: nn.Flatten(),
    "LeNet FC3": lambda: seq(nn.Linear(400, 120), nn.ReLU()),
    "the course ConvNet's logistic unit": lambda: seq(nn.Linear(1960, 1), nn.Sigmoid()),
    "dense without bias": lambda: nn.Linear(10, 5, bias=False),
    "dense on a (C, L) input acts on the last axis, L, as nn.Linear does": lambda: nn.Linear(10, 3),
    "dropout changes nothing it counts": lambda: nn.Dropout(0.5),
    # batchnorm
    "batchnorm on an image": lambda: nn.BatchNorm2d(16),
    "batchnorm on features, with an activation": lambda: seq(nn.BatchNorm1d(120), nn.ReLU()),
    "batchnorm without affine or running statistics": lambda: nn.BatchNorm2d(
        8, affine=False, track_running_stats=False
    ),
    "batchnorm on a sequence": lambda: nn.BatchNorm1d(4),
    "batchnorm on a volume": lambda: nn.BatchNorm3d(3),
    # activations
    "relu": lambda: nn.ReLU(),
    "relu6": lambda: nn.ReLU6(),
    "leaky relu": lambda: nn.LeakyReLU(0.2),
    "sigmoid": lambda: nn.Sigmoid(),
    "tanh": lambda: nn.Tanh(),
    "gelu": lambda: nn.GELU(),
    "silu": lambda: nn.SiLU(),
    "hardswish": lambda: nn.Hardswish(),
    "softmax over features": lambda: nn.Softmax(dim=1),
    "softmax over the channels of an image": lambda: nn.Softmax(dim=1),
    # depthwise and separable conv: groups = channels; separable adds a 1x1 conv
    "MobileNet depthwise 3x3": lambda: nn.Conv2d(32, 32, 3, padding=1, groups=32),
    "depthwise, multiplier 2, stride 2, same, no bias": lambda: seq(
        nn.ZeroPad2d(1), nn.Conv2d(3, 6, 3, stride=2, groups=3, bias=False)
    ),
    "separable conv (bias on the pointwise part only)": lambda: seq(
        nn.Conv2d(3, 3, 3, padding=1, groups=3, bias=False), nn.Conv2d(3, 16, 1), nn.ReLU()
    ),
    "separable conv, multiplier 2, valid, no bias": lambda: seq(
        nn.Conv2d(4, 8, 3, groups=4, bias=False), nn.Conv2d(8, 10, 1, bias=False)
    ),
    # transposed conv
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
    "1-D transposed conv": lambda: nn.ConvTranspose1d(4, 2, 4, stride=2, padding=1),
    "3-D transposed conv": lambda: nn.ConvTranspose3d(2, 3, 2, stride=2),
    # upsample
    "nearest upsample by 2": lambda: nn.Upsample(scale_factor=2),
    "nearest upsample to a size": lambda: nn.Upsample(size=(5, 7)),
    "bilinear upsample by 2": lambda: nn.Upsample(scale_factor=2, mode="bilinear"),
    "bilinear with aligned corners, to a size": lambda: nn.Upsample(size=7, mode="bilinear", align_corners=True),
    "nearest upsample of a sequence": lambda: nn.Upsample(scale_factor=3),
    "nearest upsample of a volume, per-dimension scale": lambda: nn.Upsample(scale_factor=(1, 2, 2)),
    # channel shuffle
    "ShuffleNet's channel shuffle, 2 groups": lambda: nn.ChannelShuffle(2),
    "channel shuffle, 3 groups of 4": lambda: nn.ChannelShuffle(3),
    # zeropad: torch takes (left, right, top, bottom), the last axis first
    "zero padding 1 all round": lambda: nn.ZeroPad2d(1),
    "zero padding per side [top, bottom, left, right]": lambda: nn.ZeroPad2d((2, 3, 0, 1)),
    "zero padding per dimension": lambda: nn.ZeroPad2d((2, 2, 1, 1)),
    "zero padding a sequence, per side": lambda: nn.ConstantPad1d((2, 3), 0.0),
    "zero padding a volume": lambda: nn.ZeroPad3d(1),
    # crop, as slices
    "centred crop to a size (odd amount, extra off the bottom/right)": lambda: Fn(lambda x: x[:, :, 1:5, 1:5]),
    "crop per side [top, bottom, left, right]": lambda: Fn(lambda x: x[:, :, 1:6, 0:5]),
    "U-Net skip, centred crop to the other input's size": lambda: Fn(lambda a, b: a[:, :, 4:60, 4:60]),
    "crop a sequence": lambda: Fn(lambda x: x[:, :, 2:8]),
    # layernorm, groupnorm, identity
    "layernorm over a whole sample (C, H, W)": lambda: nn.LayerNorm((8, 4, 4)),
    "layernorm over the last axis only": lambda: nn.LayerNorm(10),
    "layernorm on a sequence of vectors, over D (every transformer's nn.LayerNorm(D))": lambda: nn.LayerNorm(16),
    "layernorm on a sequence over L and D, asked for": lambda: nn.LayerNorm((10, 16)),
    "layernorm on features": lambda: seq(nn.LayerNorm(64), nn.GELU()),
    "layernorm without affine": lambda: nn.LayerNorm(64, elementwise_affine=False),
    "layernorm, scale without shift": lambda: nn.LayerNorm(32, bias=False),
    "groupnorm, 8 groups of 4 channels": lambda: nn.GroupNorm(8, 32),
    "groupnorm without affine": lambda: nn.GroupNorm(3, 6, affine=False),
    "groupnorm on a sequence": lambda: seq(nn.GroupNorm(3, 6), nn.SiLU()),
    "identity": lambda: nn.Identity(),
    # merges
    "add, a residual sum": lambda: Fn(lambda a, b: a + b),
    "add of three branches": lambda: Fn(lambda a, b, c: a + b + c),
    "concat on the channels": lambda: Fn(lambda a, b: torch.cat([a, b], dim=1)),
    "concat of feature vectors": lambda: Fn(lambda a, b, c: torch.cat([a, b, c], dim=1)),
    "multiply, squeeze-and-excitation's channel scale broadcast over the image": lambda: Fn(lambda a, b: a * b),
    # sequences
    "token embedding, a lookup": lambda: nn.Embedding(100, 8),
    "learned positions, added": lambda: AddPositions(10, 4),
    "a segment embedding, BERT's token types, added": lambda: AddSegment(2, 4, 0),
    "a segment embedding read at its second row": lambda: AddSegment(3, 5, 1),
    "sinusoidal positions, nothing learned": lambda: Fn(sinusoidal),
    "sinusoidal positions of an odd width": lambda: Fn(sinusoidal),
    "a class token prepended": lambda: PrependToken(16),
    "select the class token": lambda: Fn(lambda x: x[:, 0]),
    "select the last token": lambda: Fn(lambda x: x[:, -1]),
    "mean over the tokens": lambda: Fn(lambda x: x.mean(dim=1)),
    "matmul of two activations": lambda: Fn(lambda a, b: torch.bmm(a, b)),
    "matmul with the second transposed, as Q K^T": lambda: Fn(lambda a, b: a @ b.transpose(-2, -1)),
    # recurrent, batch first
    "Elman RNN 10 -> 20 over 5 steps": lambda: Output0(nn.RNN(10, 20, batch_first=True)),
    "RNN with relu, no bias, last state": lambda: LastState(
        nn.RNN(3, 5, nonlinearity="relu", bias=False, batch_first=True)
    ),
    "GRU 10 -> 20 over 5 steps": lambda: Output0(nn.GRU(10, 20, batch_first=True)),
    "GRU, 3 bidirectional layers without bias": lambda: Output0(
        nn.GRU(10, 20, 3, bias=False, batch_first=True, dropout=0.1, bidirectional=True)
    ),
    "LSTM 10 -> 20 over 5 steps, presets.md's measured layer": lambda: Output0(nn.LSTM(10, 20, batch_first=True)),
    "LSTM with a projection, 2 bidirectional layers": lambda: Output0(
        nn.LSTM(10, 20, 2, batch_first=True, bidirectional=True, proj_size=7)
    ),
    "bidirectional LSTM, last state of both directions": lambda: LastState(
        nn.LSTM(4, 3, batch_first=True, bidirectional=True)
    ),
    # attention and transformer layers, batch first
    "self-attention, 2 heads on (4, 8)": lambda: SelfAttention(nn.MultiheadAttention(8, 2, batch_first=True)),
    "causal self-attention without bias (the mask changes no count)": lambda: SelfAttention(
        nn.MultiheadAttention(12, 3, bias=False, batch_first=True), causal=True
    ),
    "cross-attention on a memory of another length and width (kdim = vdim = 6)": lambda: SelfAttention(
        nn.MultiheadAttention(8, 2, kdim=6, vdim=6, batch_first=True)
    ),
    "keys and values of their own widths (kdim 4, vdim 6)": lambda: SelfAttention(
        nn.MultiheadAttention(8, 2, kdim=4, vdim=6, batch_first=True)
    ),
    "grouped-query attention, 4 heads sharing 2 key/value heads, rotary, no bias": lambda: LlamaAttention(
        16, 4, 2, bias=False, rotary=True
    ),
    "multi-query attention with bias, one key/value head": lambda: LlamaAttention(8, 4, 1, bias=True, rotary=False),
    "post-norm gelu encoder layer, as BERT's": lambda: nn.TransformerEncoderLayer(
        8, 2, 16, activation="gelu", layer_norm_eps=1e-12, batch_first=True
    ),
    "pre-norm causal encoder layer without bias, as GPT's": lambda: Causal(
        nn.TransformerEncoderLayer(12, 3, 24, norm_first=True, bias=False, batch_first=True), causal=True
    ),
    "decoder layer on a target of 3 and a memory of 5": lambda: Causal(
        nn.TransformerDecoderLayer(8, 2, 16, batch_first=True), causal=False
    ),
    "rmsnorm on a sequence, one weight per feature": lambda: nn.RMSNorm(8),
    "rmsnorm without affine on features": lambda: nn.RMSNorm(16, eps=1e-6, elementwise_affine=False),
    "SwiGLU feed-forward, three projections without bias": lambda: SwiGLU(8, 12, bias=False, act=nn.SiLU()),
    "GeGLU feed-forward with bias on features": lambda: SwiGLU(6, 4, bias=True, act=nn.GELU()),
}


class LayerScale(nn.Module):  # type: ignore[misc]
    """ConvNeXt's layer scale: a learned factor per channel, broadcast over the positions."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x: Any) -> Any:
        return self.weight * x


def channels_last(module: Any, ndim: int) -> Any:
    """ConvNeXt's Permute([0, 2, 3, 1]), module, Permute([0, 3, 1, 2]) (for `ndim` spatial axes)."""
    to_last = (0, *range(2, ndim + 2), 1)
    back = (0, ndim + 1, *range(1, ndim + 1))
    return seq(Fn(lambda x: x.permute(*to_last)), module, Fn(lambda x: x.permute(*back)))


# Issue 10's kinds.
MODULES.update(
    {
        "slice, the second of two chunks (ShuffleNetV2's split)": lambda: Fn(lambda x: x.chunk(2, dim=1)[1]),
        "slice, a channel range": lambda: Fn(lambda x: x[:, 0:58]),
        "slice of a feature vector": lambda: Fn(lambda x: x[:, 2:7]),
        "layernorm over the channels at each position (ConvNeXt's LayerNorm2d)": lambda: channels_last(
            nn.LayerNorm(8, eps=1e-6), 2
        ),
        "layernorm over the channels of a sequence, scale only": lambda: channels_last(nn.LayerNorm(6, bias=False), 1),
        "dense on the channels at each position (ConvNeXt's channels-last Linear)": lambda: channels_last(
            nn.Linear(4, 6), 2
        ),
        "dense on the channels of a 1-D map, no bias": lambda: channels_last(nn.Linear(8, 2, bias=False), 1),
        "scale, one learned factor per channel (ConvNeXt's layer scale)": lambda: LayerScale((8, 1, 1)),
        "scale of a feature vector": lambda: LayerScale((10,)),
        # torchvision.ops.stochastic_depth returns its input unchanged when not training.
        "stochastic depth, the identity at inference": lambda: nn.Identity(),
        "drop path, timm's name for stochastic depth": lambda: nn.Identity(),
        "hardsigmoid, MobileNetV3's gate": lambda: nn.Hardsigmoid(),
        "hardtanh clipped to [-2, 2]": lambda: nn.Hardtanh(-2.0, 2.0),
        "elu with alpha 0.5": lambda: nn.ELU(alpha=0.5),
        "selu": lambda: nn.SELU(),
        "mish": lambda: nn.Mish(),
        "softplus, sharper, linear above 10": lambda: nn.Softplus(beta=2.0, threshold=10.0),
        "log_softmax over the channels": lambda: nn.LogSoftmax(dim=1),
        "prelu, one slope shared": lambda: nn.PReLU(),
        "prelu, a slope per channel": lambda: nn.PReLU(8),
        "glu halves the channels": lambda: nn.GLU(dim=1),
        "glu on a feature vector": lambda: nn.GLU(dim=1),
        "flatten the spatial axes only (ViT's patch grid to positions)": lambda: nn.Flatten(2),
        "flatten two of a volume's spatial axes": lambda: Fn(lambda x: x.flatten(3, 4)),
        "transpose the height and width of an image": lambda: Fn(lambda x: x.transpose(3, 2)),
        "permute the two spatial axes of an image": lambda: Fn(lambda x: x.permute(0, 1, 3, 2)),
        "reshape a sequence into an image, one size worked out": lambda: Fn(lambda x: x.reshape(-1, 8, 3, 4)),
        # F.pad lists the last axis first: (left, right, top, bottom).
        "causal 1-D conv, padded on the left only": lambda: seq(
            nn.ConstantPad1d((4, 0), 0.0), nn.Conv1d(4, 8, 3, dilation=2)
        ),
        "conv padded per side [top, bottom, left, right]": lambda: seq(nn.ZeroPad2d((2, 0, 1, 0)), nn.Conv2d(2, 2, 3)),
        "reflection padding per side": lambda: nn.ReflectionPad2d((0, 3, 1, 2)),
        "replicate padding of a sequence, left only": lambda: nn.ReplicationPad1d((3, 0)),
        "circular padding of a volume": lambda: Fn(lambda x: F.pad(x, (1, 1, 1, 1, 1, 1), mode="circular")),
        "zero padding with pad": lambda: nn.ZeroPad2d((1, 1, 0, 0)),
        "reshape a feature vector into channels over positions": lambda: Fn(lambda x: x.view(x.shape[0], 4, 3)),
    }
)


def case_id(case: dict[str, Any]) -> str:
    return f"{case['layer']['type']}: {case['about']}"


def channels_first(dims: dict[str, int]) -> tuple[int, ...]:
    if "features" in dims:
        return (dims["features"],)
    if "c" not in dims:  # a sequence: token ids (L,), or vectors (L, D) batch first
        return (dims["l"], dims["d"]) if "d" in dims else (dims["l"],)
    return (dims["c"], *(dims[axis] for axis in ("d", "h", "w", "l") if axis in dims))


def from_course_order(shape: list[int], sequence: bool = False) -> tuple[int, ...]:
    """[H, W, C] -> (C, H, W); a flat [N] stays, and so does a sequence's [L, D]."""
    return tuple(shape) if len(shape) == 1 or sequence else (shape[-1], *shape[:-1])


def measure(
    module: Any, inputs: list[tuple[int, ...]], ids: bool = False
) -> tuple[tuple[int, ...], int, int, int, int]:
    """Output shape of one sample, trainable and frozen parameters, buffers, MACs per sample.
    With `ids`, the first input is token ids (all 0: in every vocabulary)."""
    torch.manual_seed(0)
    batch = [torch.randn(BATCH, *shape) for shape in inputs]
    if ids:
        batch[0] = torch.zeros(BATCH, *inputs[0], dtype=torch.long)
    counter = FlopCounterMode(display=False)
    # Gradients on, the math attention kernel and no oneDNN, so that no fused path hides
    # work from the counter (docs: conventions).
    with torch.enable_grad(), sdpa_kernel(SDPBackend.MATH), torch.backends.mkldnn.flags(enabled=False), counter:
        out = module(*batch)
    flops = counter.get_total_flops()
    assert flops % (2 * BATCH) == 0, flops
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    buffers = sum(b.numel() for b in module.buffers())
    return tuple(out.shape[1:]), trainable, frozen, buffers, flops // 2 // BATCH


def test_every_case_has_a_hand_built_module() -> None:
    missing = [case_id(c) for c in CASES if c["about"] not in MODULES]
    assert not missing, f"write a PyTorch module for these cases in tests/test_torch_reference.py: {missing}"
    # (A module whose case was renamed shows up above as the renamed case's missing module;
    # entries for cases on other branches may come before the cases do.)


def test_every_kind_is_checked_against_a_hand_built_module() -> None:
    checked = {c["layer"]["type"] for c in CASES if c["about"] in MODULES} | set(COMPOSITES)
    assert set(registry()) - checked == set(), "layer kinds with no hand-built PyTorch module"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_against_a_hand_built_module(case: dict[str, Any]) -> None:
    if case["about"] not in MODULES:
        pytest.fail(f"no hand-built module for {case_id(case)}")
    dims = case["inputs"] if "inputs" in case else [case["input"]]
    inputs = [channels_first(d) for d in dims]
    sequence = "c" not in dims[0] and "features" not in dims[0]
    shape, trainable, frozen, buffers, macs = measure(MODULES[case["about"]](), inputs, ids=set(dims[0]) == {"l"})
    assert shape == from_course_order(case["shape"], sequence)
    assert (trainable, frozen, buffers) == (case["trainable"], case.get("non_trainable", 0), case.get("buffers", 0))
    assert macs == case["macs"]


def same_values(ours: Any, hand: Any, inputs: list[tuple[int, ...]], ids: bool = False) -> None:
    """cnncalc's module, given the hand-built one's weights, computes the same numbers:
    what counts alone cannot see (which side a pad goes on, which rows a crop keeps, the
    axis of a softmax, a batchnorm left out of a shortcut)."""
    ours_params, hand_params = list(ours.parameters()), list(hand.parameters())
    assert [tuple(p.shape) for p in ours_params] == [tuple(p.shape) for p in hand_params]
    with torch.no_grad():
        for mine, theirs in zip(ours_params, hand_params, strict=True):
            mine.copy_(theirs)
    ours.eval()
    hand.eval()
    torch.manual_seed(1)
    batch = [torch.randn(BATCH, *shape) for shape in inputs]
    if ids:  # token ids below every case's vocabulary
        batch[0] = torch.randint(0, 5, (BATCH, *inputs[0]))
    with torch.no_grad():
        torch.testing.assert_close(ours(*batch), hand(*batch))


@pytest.mark.parametrize("case", [c for c in CASES if c["about"] in MODULES], ids=case_id)
def test_cnncalcs_module_computes_what_the_hand_built_one_does(case: dict[str, Any]) -> None:
    inputs = [channels_first(d) for d in (case["inputs"] if "inputs" in case else [case["input"]])]
    torch.manual_seed(0)
    layer = registry()[case["layer"]["type"]].model_validate(case["layer"])
    named = tuple(
        InputSpec.model_validate(d).shape() for d in (case["inputs"] if "inputs" in case else [case["input"]])
    )
    same_values(layer.build_torch(named), MODULES[case["about"]](), inputs, ids=named[0].axes == "L")


# Composites: a spec and the PyTorch a user would write for it. cnncalc's JSON totals
# (parameters, buffers, MACs, output shape) must equal the module's.


class BasicBlock(nn.Module):  # type: ignore[misc]
    """torchvision's BasicBlock: conv-bn-relu-conv-bn, plus the shortcut, then relu."""

    def __init__(self, c_in: int, c_out: int, stride: int, shortcut: Any) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = shortcut

    def forward(self, x: Any) -> Any:
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + self.shortcut(x))


class Inception(nn.Module):  # type: ignore[misc]
    """Branches on one input, joined by `join`."""

    def __init__(self, join: Callable[[list[Any]], Any], *branches: Any) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.join = join

    def forward(self, x: Any) -> Any:
        return self.join([branch(x) for branch in self.branches])


BODY = """
    body:
      - {type: conv, filters: $F, kernel: 3, stride: $S, padding: 1, bias: false}
      - {type: batchnorm, activation: relu}
      - {type: conv, filters: $F, kernel: 3, padding: 1, bias: false}
      - {type: batchnorm}
    activation: relu
"""

COMPOSITES: dict[str, tuple[str, tuple[int, ...], Callable[[], Any]]] = {
    # A projection: torchvision's downsample, a 1x1 conv with the stride AND its batchnorm.
    "residual": (
        "  - type: residual\n    shortcut: projection" + BODY.replace("$F", "8").replace("$S", "2"),
        (4, 8, 8),
        lambda: BasicBlock(4, 8, 2, seq(nn.Conv2d(4, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))),
    ),
    "residual, identity": (
        "  - type: residual\n    shortcut: identity" + BODY.replace("$F", "4").replace("$S", "1"),
        (4, 8, 8),
        lambda: BasicBlock(4, 4, 1, nn.Identity()),
    ),
    "residual, projection where the shape holds is the identity": (
        "  - type: residual\n    shortcut: projection" + BODY.replace("$F", "4").replace("$S", "1"),
        (4, 8, 8),
        lambda: BasicBlock(4, 4, 1, nn.Identity()),
    ),
    "residual, shortcut layers": (
        "  - type: residual\n    shortcut: [{type: conv, filters: 8, kernel: 1, stride: 2}]"
        + BODY.replace("$F", "8").replace("$S", "2"),
        (4, 8, 8),
        lambda: BasicBlock(4, 8, 2, nn.Conv2d(4, 8, 1, stride=2)),
    ),
    "parallel": (
        """  - type: parallel
    branches:
      - []
      - [{type: conv, filters: 4, kernel: 3, padding: 1}]
      - [{type: maxpool, kernel: 3, stride: 1, padding: 1}, {type: conv, filters: 2, kernel: 1}]
""",
        (8, 10, 10),
        lambda: Inception(
            lambda xs: torch.cat(xs, dim=1),
            nn.Identity(),
            nn.Conv2d(8, 4, 3, padding=1),
            seq(nn.MaxPool2d(3, 1, 1), nn.Conv2d(8, 2, 1)),
        ),
    ),
    "parallel, added, with an activation": (
        """  - type: parallel
    merge: add
    activation: relu
    branches:
      - [{type: conv, filters: 6, kernel: 3, padding: 1, bias: false}, {type: batchnorm}]
      - [{type: conv, filters: 6, kernel: 1}]
""",
        (3, 6, 6),
        lambda: seq(
            Inception(
                lambda xs: xs[0] + xs[1],
                seq(nn.Conv2d(3, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6)),
                nn.Conv2d(3, 6, 1),
            ),
            nn.ReLU(),
        ),
    ),
}


def test_every_composite_kind_has_a_hand_built_module() -> None:
    composites = {kind for kind, cls in registry().items() if issubclass(cls, Composite)}
    assert composites <= set(COMPOSITES), "composite kinds with no hand-built PyTorch module"


@pytest.mark.parametrize("name", list(COMPOSITES))
def test_composite_against_a_hand_built_module(name: str, tmp_path: Path) -> None:
    layers, shape, build = COMPOSITES[name]
    c, h, w = shape
    path = tmp_path / "composite.yaml"
    path.write_text(f"name: composite\ninput: {{h: {h}, w: {w}, c: {c}}}\nlayers:\n{layers}", encoding="utf-8")
    result = CliRunner().invoke(app, ["table", str(path), "--format", "json", "--layout", "chw"])
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["total"]
    out, trainable, frozen, buffers, macs = measure(build(), [shape])
    assert tuple(total["output_shape"]) == out
    assert (total["trainable_params"], total["non_trainable_params"], total["buffers"]) == (trainable, frozen, buffers)
    assert total["macs"] == macs
    trace = propagate(loads_spec(path.read_text(encoding="utf-8"), str(path)), str(path))
    same_values(build_module(trace), build(), [shape])
