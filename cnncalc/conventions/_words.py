"""What a tool sees of an attention or transformer layer, as the layer is specified, for the
presets' phrases: biases or none, nn.MultiheadAttention or Llama's nn.Linear projections,
layer norms or none. The counts never read these; only the words do."""

from __future__ import annotations

from cnncalc.conventions._facts import Facts


def with_bias(f: Facts) -> bool:
    """Whether any projection the layer runs has a bias."""
    parts = f.parts
    return any(p.bias for a in parts.attentions for p in a.projections) or any(p.bias for p in parts.linears)


def multihead(f: Facts) -> bool:
    """Whether the layer runs an nn.MultiheadAttention."""
    return any(a.multihead for a in f.parts.attentions)


def linear_attention(f: Facts) -> bool:
    """Whether the layer runs an attention as q/k/v/o nn.Linears (grouped-query, rotary)."""
    return any(not a.multihead for a in f.parts.attentions)


def fused(f: Facts) -> bool:
    """Whether an nn.MultiheadAttention of the layer may take its fused inference path."""
    return any(a.fast_path for a in f.parts.attentions)


def norms(f: Facts) -> bool:
    """Whether the layer runs layer norms of its own."""
    return bool(f.parts.norms)


def projections(f: Facts) -> str:
    """`projections with bias`, or `projections` where none has one."""
    return "projections with bias" if with_bias(f) else "projections"
