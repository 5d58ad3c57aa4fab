"""What the attention and transformer kinds share: their counted parts, and torch pieces.

Every kind here is a few `nn.Linear` projections, the two activation-by-activation
products of attention (`QK^T` and `AV`), and per-element work (softmax, norms, the
feed-forward activation). `Parts` lists them, so that each counting preset prices a
transformer layer from what PyTorch runs inside it, not from one opaque total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.errors import LayerError
from cnncalc.layers._base import Shape, Tensor


@dataclass(frozen=True)
class Linear:
    """One `nn.Linear` projection run over `rows` positions: `rows * fan_in * fan_out` MACs."""

    rows: int
    fan_in: int
    fan_out: int
    bias: bool

    @property
    def macs(self) -> int:
        return self.rows * self.fan_in * self.fan_out

    @property
    def params(self) -> int:
        return self.fan_in * self.fan_out + (self.fan_out if self.bias else 0)


@dataclass(frozen=True)
class Parts:
    """What one sample's pass runs, by the op PyTorch runs it with."""

    linears: tuple[Linear, ...] = ()
    products: int = 0  # QK^T and AV: 2 * L_q * L_k * E multiply-accumulates per attention
    softmax: int = 0  # attention weights normalized: heads * L_q * L_k per attention
    norms: tuple[int, ...] = ()  # elements of each layer norm (or RMS norm) run
    activations: int = 0  # elements the feed-forward (or gate) activation passes through
    rotated: int = 0  # query and key elements rotary embeddings rotate

    @property
    def macs(self) -> int:
        return sum(p.macs for p in self.linears) + self.products

    @property
    def bias(self) -> int:
        return sum(p.rows * p.fan_out for p in self.linears if p.bias)

    def __add__(self, other: Parts) -> Parts:
        return Parts(
            self.linears + other.linears,
            self.products + other.products,
            self.softmax + other.softmax,
            self.norms + other.norms,
            self.activations + other.activations,
            self.rotated + other.rotated,
        )


def attention_parts(
    q_len: int, kv_len: int, width: int, heads: int, kv_width: int, kdim: int, vdim: int, *, bias: bool, rotary: bool
) -> Parts:
    """Projections q, k, v, out as `nn.Linear`s, plus QK^T and AV (each head L_q*L_k*d, twice)."""
    return Parts(
        linears=(
            Linear(q_len, width, width, bias),
            Linear(kv_len, kdim, kv_width, bias),
            Linear(kv_len, vdim, kv_width, bias),
            Linear(q_len, width, width, bias),
        ),
        products=2 * q_len * kv_len * width,
        softmax=heads * q_len * kv_len,
        rotated=(q_len * width + kv_len * kv_width) if rotary else 0,
    )


def sequence(x: Shape, kind: str) -> tuple[int, int]:
    """(L, D) of an input that must be a sequence of vectors."""
    if x.axes != "LD":
        raise LayerError(f"{kind} takes (L, D) inputs, got {x.axis_names()} = {x.text()}")
    return x.size("L"), x.size("D")


def heads_divide(width: int, heads: int, field_name: str = "heads") -> int:
    """The head width `width / heads`; a positioned error where heads do not divide it."""
    if width % heads:
        raise LayerError(f"{heads} {field_name} do not divide the width {width}", field_name)
    return width // heads


def mha_tensors(prefix: str, width: int, kdim: int, vdim: int, bias: bool) -> list[Tensor]:
    """`nn.MultiheadAttention`'s tensors: packed `in_proj_weight` when k and v are `width` wide."""
    if kdim == width and vdim == width:
        weights = [Tensor(f"{prefix}in_proj_weight", (3 * width, width))]
    else:
        weights = [
            Tensor(f"{prefix}q_proj_weight", (width, width)),
            Tensor(f"{prefix}k_proj_weight", (width, kdim)),
            Tensor(f"{prefix}v_proj_weight", (width, vdim)),
        ]
    biases = [Tensor(f"{prefix}in_proj_bias", (3 * width,)), Tensor(f"{prefix}out_proj.bias", (width,))]
    return [*weights, Tensor(f"{prefix}out_proj.weight", (width, width)), *(biases if bias else [])]


def linear_tensors(name: str, fan_in: int, fan_out: int, bias: bool) -> list[Tensor]:
    weight = Tensor(f"{name}.weight", (fan_out, fan_in))  # nn.Linear's (out, in)
    return [weight, Tensor(f"{name}.bias", (fan_out,))] if bias else [weight]


def causal_mask(q_len: int, kv_len: int, device: Any) -> Any:
    """True where a query may not look: keys after it (the upper triangle), as PyTorch masks."""
    import torch

    return torch.ones(q_len, kv_len, dtype=torch.bool, device=device).triu(1)


def rotate(x: Any) -> Any:
    """Rotary position embedding (RoFormer, as Llama applies it) on (B, heads, L, d); no parameters."""
    import torch

    half = x.shape[-1] // 2
    positions = torch.arange(x.shape[-2], device=x.device, dtype=x.dtype)
    frequencies = 10000.0 ** (-torch.arange(half, device=x.device, dtype=x.dtype) / half)
    angles = positions[:, None] * frequencies[None, :]
    cos = torch.cat([angles.cos(), angles.cos()], dim=-1)
    sin = torch.cat([angles.sin(), angles.sin()], dim=-1)
    rotated_half = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated_half * sin


def grouped_attention_module(
    width: int, heads: int, kv_heads: int, kdim: int, vdim: int, *, bias: bool, causal: bool, rotary: bool
) -> Any:
    """Attention as Llama writes it: q/k/v/o projections, `kv_heads` key/value heads shared by
    groups of query heads, rotary positions, and the two products written as matmuls."""
    from torch import nn

    head = width // heads

    class GroupedQueryAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q_proj = nn.Linear(width, width, bias=bias)
            self.k_proj = nn.Linear(kdim, kv_heads * head, bias=bias)
            self.v_proj = nn.Linear(vdim, kv_heads * head, bias=bias)
            self.o_proj = nn.Linear(width, width, bias=bias)

        def forward(self, x: Any, key: Any = None, value: Any = None) -> Any:
            key = x if key is None else key
            value = key if value is None else value
            batch, q_len, kv_len = x.shape[0], x.shape[1], key.shape[1]
            q = self.q_proj(x).view(batch, q_len, heads, head).transpose(1, 2)
            k = self.k_proj(key).view(batch, kv_len, kv_heads, head).transpose(1, 2)
            v = self.v_proj(value).view(batch, kv_len, kv_heads, head).transpose(1, 2)
            if rotary:
                q, k = rotate(q), rotate(k)
            k = k.repeat_interleave(heads // kv_heads, dim=1)
            v = v.repeat_interleave(heads // kv_heads, dim=1)
            scores = (q @ k.transpose(-2, -1)) * head**-0.5
            if causal:
                scores = scores.masked_fill(causal_mask(q_len, kv_len, x.device), float("-inf"))
            out = scores.softmax(dim=-1) @ v
            return self.o_proj(out.transpose(1, 2).reshape(batch, q_len, width))

    return GroupedQueryAttention()


def multihead_module(width: int, heads: int, kdim: int, vdim: int, *, bias: bool, causal: bool, dropout: float) -> Any:
    """`nn.MultiheadAttention` (batch first) called as a self- or cross-attention layer."""
    from torch import nn

    class MultiheadAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = nn.MultiheadAttention(
                width, heads, dropout=dropout, bias=bias, kdim=kdim, vdim=vdim, batch_first=True
            )

        def forward(self, x: Any, key: Any = None, value: Any = None) -> Any:
            key = x if key is None else key
            value = key if value is None else value
            mask = causal_mask(x.shape[1], key.shape[1], x.device) if causal else None
            return self.attn(x, key, value, attn_mask=mask, need_weights=False)[0]

    return MultiheadAttention()
