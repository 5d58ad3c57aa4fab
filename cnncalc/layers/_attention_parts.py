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
from cnncalc.layers._base import Extra, Shape, Tensor
from cnncalc.layers._lora import ProjectionLoRA, lora_linear_module


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
class AttentionPart:
    """One attention: its projections and the two products, and how PyTorch runs it."""

    q_len: int
    kv_len: int
    width: int  # E, the query's and the output's width
    heads: int
    kv_width: int  # kv_heads * E/heads: E unless grouped-query
    kdim: int
    vdim: int
    bias: bool
    # nn.MultiheadAttention (packed in-projection, fused paths), or Llama's q/k/v/o nn.Linears
    multihead: bool = True
    # nn.MultiheadAttention's fused inference path (eval, no gradients) is open to it: a
    # self-attention with biases and an even number of heads (in an encoder layer, not
    # causal). Tools that count under no_grad then see no projection at all.
    fast_path: bool = False
    out_bias: bool | None = None  # the output projection's bias, where it differs (Qwen2's has none)
    # heads x head_dim, the queries' and the attention output's width, where it is not E
    # (Gemma-7B: 16 heads of 256 in a model 3,072 wide); the q and o projections map to it.
    inner: int | None = None

    @property
    def q_width(self) -> int:
        return self.width if self.inner is None else self.inner

    @property
    def projections(self) -> tuple[Linear, ...]:
        return (
            Linear(self.q_len, self.width, self.q_width, self.bias),
            Linear(self.kv_len, self.kdim, self.kv_width, self.bias),
            Linear(self.kv_len, self.vdim, self.kv_width, self.bias),
            Linear(self.q_len, self.q_width, self.width, self.bias if self.out_bias is None else self.out_bias),
        )

    @property
    def products(self) -> int:
        """QK^T and AV: each head L_q*L_k*(E/h), twice."""
        return 2 * self.q_len * self.kv_len * self.q_width

    @property
    def softmax(self) -> int:
        return self.heads * self.q_len * self.kv_len

    @property
    def macs(self) -> int:
        return sum(p.macs for p in self.projections) + self.products

    @property
    def params(self) -> int:
        return sum(p.params for p in self.projections)

    def kept(self, rotary: bool, dropout: float, eager: bool = False) -> tuple[Extra, ...]:
        """What autograd keeps of one sample's attention, besides the inputs the projections
        keep, as PyTorch runs it on the CPU (measured with the tracker): the projected
        queries, keys and values, scaled dot-product attention's output and its log-sum-exp
        (`heads * L_q` floats; the flash kernel keeps no probabilities), and for
        nn.MultiheadAttention one more `L_q x E` copy before the out-projection. With
        dropout the math path runs instead and keeps the `heads * L_q * L_k` scores, their
        softmax and the dropout mask. The `eager` kernel (Llama's q/k/v/o layout, as
        transformers' eager attention) keeps the `heads x L_q x L_k` probabilities instead
        of the log-sum-exp. Rotary embeddings keep their cos and sin tables."""
        # The queries' width: E, or heads x head_dim.
        q_len, kv_len, width, kv_width = self.q_len, self.kv_len, self.q_width, self.kv_width
        logsumexp = self.heads * q_len
        if eager:
            # QK^T keeps the queries and the keys copied out to every head (the keys
            # themselves without grouping), AV the probabilities and the values likewise,
            # the out-projection its input; softmax keeps its output, the probabilities.
            copied = width if kv_width != width else kv_width
            elements = 2 * q_len * width + 2 * kv_len * copied + self.heads * q_len * kv_len
        elif not self.multihead:
            elements = 2 * q_len * width + 2 * kv_len * kv_width + logsumexp
        elif dropout:
            elements = 7 * q_len * width + 3 * self.heads * q_len * kv_len
        else:
            elements = 3 * q_len * width + 2 * kv_len * kv_width + logsumexp
        found = [Extra(elements)]
        if rotary:  # cos and sin, for the queries and again for the keys: one set for the batch
            found.append(Extra(2 * (q_len + kv_len) * (width // self.heads), per_sample=False))
        return tuple(found)

    def backward(self) -> Extra:
        """The gradients backward makes inside one sample's attention and frees before
        the input's: about `L_q x E + L_k x kv_width` (measured, within a fifth)."""
        return Extra(self.q_len * self.q_width + self.kv_len * self.kv_width)

    def passing(self, rotary: bool, eager: bool = False, context: int | None = None) -> tuple[Extra, ...]:
        """What one sample's attention makes and frees while it runs, without gradients:
        Llama's q, k, v and the attention's output (and the rotated copies);
        nn.MultiheadAttention's fused path makes them inside one op, out of the tracker's
        sight, and its slow path frees them as it goes.

        With a KV cache (`context`: the positions the queries attend to, this call's keys
        written into a cache allocated beforehand) the keys and values are still made for
        this call's positions only. The `eager` kernel (as transformers' eager attention)
        peaks once the softmax is made (measured with the tracker): the queries, this call's
        keys and values, the `heads x L_q x L_k` scores and their softmax, and, with fewer
        key/value heads than heads, the keys and values copied out to every head
        (`repeat_kv`, `2 x L_k x E`); or at the projections, as the fused kernel, if more."""
        if self.multihead:
            return ()
        elements = 2 * self.q_len * self.q_width + 2 * self.kv_len * self.kv_width
        if rotary:
            elements += 2 * self.q_len * self.q_width + self.kv_len * self.kv_width
        if eager:
            keys = self.kv_len if context is None else context
            scores = self.q_len * self.q_width + 2 * self.kv_len * self.kv_width + 2 * self.heads * self.q_len * keys
            if self.kv_width != self.q_width:
                scores += 2 * keys * self.q_width
            elements = max(elements, scores)
        return (Extra(elements),)


@dataclass(frozen=True)
class Parts:
    """What one sample's pass runs, by the op PyTorch runs it with."""

    attentions: tuple[AttentionPart, ...] = ()
    linears: tuple[Linear, ...] = ()  # the other nn.Linears: feed-forward, gate
    norms: tuple[int, ...] = ()  # elements of each nn.LayerNorm run
    activations: int = 0  # elements the feed-forward (or gate) activation passes through
    rotated: int = 0  # query and key elements rotary embeddings rotate

    @property
    def macs(self) -> int:
        return sum(a.macs for a in self.attentions) + sum(p.macs for p in self.linears)

    @property
    def products(self) -> int:
        return sum(a.products for a in self.attentions)

    @property
    def softmax(self) -> int:
        return sum(a.softmax for a in self.attentions)

    @property
    def bias(self) -> int:
        every = [*(p for a in self.attentions for p in a.projections), *self.linears]
        return sum(p.rows * p.fan_out for p in every if p.bias)

    def __add__(self, other: Parts) -> Parts:
        return Parts(
            self.attentions + other.attentions,
            self.linears + other.linears,
            self.norms + other.norms,
            self.activations + other.activations,
            self.rotated + other.rotated,
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
    width: int,
    heads: int,
    kv_heads: int,
    kdim: int,
    vdim: int,
    *,
    bias: bool,
    causal: bool,
    rotary: bool,
    out_bias: bool | None = None,
    eager: bool = False,
    head_dim: int | None = None,
    lora: ProjectionLoRA | None = None,
) -> Any:
    """Attention as Llama writes it: q/k/v/o projections, `kv_heads` key/value heads shared by
    groups of query heads, rotary positions, and PyTorch's scaled dot-product attention (or,
    `eager`, transformers' eager attention: the scores and probabilities made whole). With
    `lora`, the projections it targets are peft's lora.Linear, and all four are frozen."""
    from torch import nn
    from torch.nn import functional as F

    head = width // heads if head_dim is None else head_dim
    inner = heads * head

    class GroupedQueryAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q_proj = nn.Linear(width, inner, bias=bias)
            self.k_proj = nn.Linear(kdim, kv_heads * head, bias=bias)
            self.v_proj = nn.Linear(vdim, kv_heads * head, bias=bias)
            self.o_proj = nn.Linear(inner, width, bias=bias if out_bias is None else out_bias)
            if lora is not None:  # as peft's get_peft_model: the base frozen, the adapters trained
                self.requires_grad_(False)
                for letter in lora.targets:
                    base = getattr(self, f"{letter}_proj")
                    fan_out, fan_in = base.weight.shape
                    setattr(self, f"{letter}_proj", lora_linear_module(fan_in, fan_out, base.bias is not None, lora))

        def forward(self, x: Any, key: Any = None, value: Any = None) -> Any:
            key = x if key is None else key
            value = key if value is None else value
            batch, q_len, kv_len = x.shape[0], x.shape[1], key.shape[1]
            q = self.q_proj(x).view(batch, q_len, heads, head).transpose(1, 2)
            k = self.k_proj(key).view(batch, kv_len, kv_heads, head).transpose(1, 2)
            v = self.v_proj(value).view(batch, kv_len, kv_heads, head).transpose(1, 2)
            if rotary:
                q, k = rotate(q), rotate(k)
            if eager:
                out = eager_attention(q, k, v, causal)
            else:
                # As Hugging Face's Llama runs it (its default "sdpa" attention): causal masks are
                # aligned top-left, the key/value heads repeated for their groups of queries.
                out = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
            return self.o_proj(out.transpose(1, 2).reshape(batch, q_len, inner))

    return GroupedQueryAttention()


def eager_attention(q: Any, k: Any, v: Any, causal: bool) -> Any:
    """transformers' `eager_attention_forward` on (B, heads, L, d) queries: the key/value heads
    copied out to every query head (`repeat_kv`), the scores, the causal mask added, softmax,
    the product with the values; (B, heads, L_q, d)."""
    import torch

    groups = q.shape[1] // k.shape[1]
    if groups > 1:  # repeat_kv: expand, then a copy
        batch, kv_heads, kv_len, head = k.shape
        k = k[:, :, None].expand(batch, kv_heads, groups, kv_len, head).reshape(batch, -1, kv_len, head)
        v = v[:, :, None].expand(batch, kv_heads, groups, kv_len, head).reshape(batch, -1, kv_len, head)
    scores = torch.matmul(q, k.transpose(2, 3)) * q.shape[-1] ** -0.5
    if causal:
        scores = scores.masked_fill(causal_mask(q.shape[2], k.shape[2], q.device), float("-inf"))
    probabilities = torch.softmax(scores, dim=-1)
    return torch.matmul(probabilities, v)


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
            return self.attn(x, key, value, attn_mask=mask, is_causal=causal, need_weights=False)[0]

    return MultiheadAttention()
