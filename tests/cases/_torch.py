"""PyTorch helpers the case files' hand-written modules share: a module around a function,
the output of a recurrent module, the additions of positions and tokens, attention as the
libraries write it. Imported only inside a case file's `torch_modules()`: torch is needed
only when a test builds a module."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


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

    def __init__(
        self,
        width: int,
        heads: int,
        kv_heads: int,
        bias: bool,
        rotary: bool,
        out_bias: bool | None = None,
        head_dim: int | None = None,
    ) -> None:
        super().__init__()
        head = width // heads if head_dim is None else head_dim
        self.heads, self.kv_heads, self.head, self.rotary = heads, kv_heads, head, rotary
        self.q_proj = nn.Linear(width, heads * self.head, bias=bias)
        self.k_proj = nn.Linear(width, kv_heads * self.head, bias=bias)
        self.v_proj = nn.Linear(width, kv_heads * self.head, bias=bias)
        self.o_proj = nn.Linear(heads * self.head, width, bias=bias if out_bias is None else out_bias)

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


class LoRALinear(nn.Module):  # type: ignore[misc]
    """peft's lora.Linear written out (dropout 0): a frozen base_layer, lora_A and lora_B,
    `base(x) + lora_B(lora_A(x)) * alpha / r`."""

    def __init__(self, base: Any, rank: int, alpha: float) -> None:
        super().__init__()
        self.base_layer = base.requires_grad_(False)
        self.lora_A = nn.Linear(base.in_features, rank, bias=False)
        self.lora_B = nn.Linear(rank, base.out_features, bias=False)
        self.scaling = alpha / rank

    def forward(self, x: Any) -> Any:
        return self.base_layer(x) + self.lora_B(self.lora_A(x)) * self.scaling


def with_lora(module: Any, targets: list[str], rank: int, alpha: float) -> Any:
    """`module` as peft's get_peft_model leaves it: every parameter frozen, the nn.Linears
    named in `targets` (q_proj, ...) wrapped in LoRALinear."""
    module.requires_grad_(False)
    for name in targets:
        setattr(module, name, LoRALinear(getattr(module, name), rank, alpha))
    return module


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
