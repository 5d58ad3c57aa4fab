"""`attention`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random, divisors

CASES = """
# Sequences of vectors (L, D): shapes are [L, D] in both orders. E is the width, h the heads.
# Attention MACs: the projections as dense layers (rows * in * out), plus QK^T and AV,
# 2 * L_q * L_k * E (each head L_q*L_k*(E/h), twice).
- about: self-attention, 2 heads on (4, 8)
  input: {l: 4, d: 8}
  layer: {type: attention, heads: 2}
  shape: [4, 8]
  trainable: 288        # in_proj 3*8*8 + 3*8 = 216; out_proj 8*8 + 8 = 72; 216 + 72
  macs: 1280            # q, k, v, out: 4 * 4*8*8 = 1024; QK^T + AV 2*4*4*8 = 256
- about: causal self-attention without bias (the mask changes no count)
  input: {l: 6, d: 12}
  layer: {type: attention, heads: 3, causal: true, bias: false}
  shape: [6, 12]
  trainable: 576        # 4 * 12*12
  macs: 4320            # 4 * 6*12*12 = 3456; 2*6*6*12 = 864
- about: cross-attention on a memory of another length and width (kdim = vdim = 6)
  inputs: [{l: 3, d: 8}, {l: 5, d: 6}]
  layer: {type: attention, heads: 2}
  shape: [3, 8]
  trainable: 256        # q 8*8 = 64, k 8*6 = 48, v 8*6 = 48, in_proj_bias 3*8 = 24, out 8*8 + 8 = 72
  macs: 1104            # q 3*8*8 = 192, k 5*6*8 = 240, v 240, out 192 = 864; 2*3*5*8 = 240
- about: keys and values of their own widths (kdim 4, vdim 6)
  inputs: [{l: 3, d: 8}, {l: 5, d: 4}, {l: 5, d: 6}]
  layer: {type: attention, heads: 2}
  shape: [3, 8]
  trainable: 240        # q 8*8 = 64, k 8*4 = 32, v 8*6 = 48, in_proj_bias 3*8 = 24, out 8*8 + 8 = 72
  macs: 1024            # q 3*8*8 = 192, k 5*4*8 = 160, v 5*6*8 = 240, out 192 = 784; 2*3*5*8 = 240
- about: grouped-query attention, 4 heads sharing 2 key/value heads, rotary, no bias
  input: {l: 5, d: 16}
  layer: {type: attention, heads: 4, kv_heads: 2, rotary: true, bias: false}
  shape: [5, 16]
  trainable: 768        # head 16/4 = 4, k/v width 2*4 = 8: q 16*16 = 256, k 16*8 = 128, v 128, o 256
  macs: 4640            # q 5*256 = 1280, k 5*128 = 640, v 640, o 1280 = 3840; 2*5*5*16 = 800
- about: multi-query attention with bias, one key/value head
  input: {l: 4, d: 8}
  layer: {type: attention, heads: 4, kv_heads: 1}
  shape: [4, 8]
  trainable: 180        # head 2: q 8*8 + 8 = 72, k 8*2 + 2 = 18, v 18, o 72
  macs: 896             # q 4*64 = 256, k 4*8*2 = 64, v 64, o 256 = 640; 2*4*4*8 = 256
- about: Qwen2's attention, biases on q, k and v but not on the output projection
  input: {l: 4, d: 8}
  layer: {type: attention, heads: 4, kv_heads: 2, rotary: true, out_bias: false}
  shape: [4, 8]
  trainable: 208        # head 2, k/v width 4: q 8*8 + 8 = 72, k 8*4 + 4 = 36, v 36, o 8*8 = 64 (no bias)
  macs: 1024            # q 4*64 = 256, k 4*8*4 = 128, v 128, o 256 = 768; 2*4*4*8 = 256
- about: heads wider than E / heads (Gemma-7B's layout), one key/value head
  input: {l: 3, d: 6}
  layer: {type: attention, heads: 2, kv_heads: 1, head_dim: 4, rotary: true, bias: false}
  shape: [3, 6]
  trainable: 144        # inner 2*4 = 8, k/v 1*4 = 4: q 6*8 = 48, k 6*4 = 24, v 24, o 8*6 = 48
  macs: 576             # q 3*6*8 = 144, k 3*6*4 = 72, v 72, o 3*8*6 = 144 = 432; 2*3*3*8 = 144
- about: LoRA on q and v (peft's default for Llama), rank 2, the projections frozen
  input: {l: 5, d: 16}
  layer: {type: attention, heads: 4, kv_heads: 2, rotary: true, bias: false, lora: {rank: 2, alpha: 8}}
  shape: [5, 16]
  trainable: 112        # A (r x in) and B (out x r): q 2*(16 + 16) = 64, v 2*(16 + 8) = 48
  non_trainable: 768    # q 16*16 = 256, k 16*8 = 128, v 128, o 256, all frozen
  macs: 5200            # the layer without adapters 4640; q 5*2*(16 + 16) = 320, v 5*2*(16 + 8) = 240
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import LlamaAttention, SelfAttention, with_lora

    return {
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
        "Qwen2's attention, biases on q, k and v but not on the output projection": lambda: LlamaAttention(
            8, 4, 2, bias=True, rotary=True, out_bias=False
        ),
        "heads wider than E / heads (Gemma-7B's layout), one key/value head": lambda: LlamaAttention(
            6, 2, 1, bias=False, rotary=True, head_dim=4
        ),
        "LoRA on q and v (peft's default for Llama), rank 2, the projections frozen": lambda: with_lora(
            LlamaAttention(16, 4, 2, bias=False, rotary=True), ["q_proj", "v_proj"], 2, 8
        ),
    }


def stack(draw: Draw, width: int, heads: int, memories: dict[str, int], tap: str) -> dict[str, Any]:
    layer: dict[str, Any] = {"type": "attention", "heads": heads, "bias": draw(st.booleans())}
    layer["kv_heads"] = draw(st.sampled_from(divisors(heads)))
    if (width // heads) % 2 == 0 and draw(st.booleans()):
        layer["rotary"] = True
    if (layer.get("rotary") or layer["kv_heads"] != heads) and draw(st.booleans()):
        layer["out_bias"] = not layer["bias"]  # separate projections: o_proj's bias apart
    if draw(st.booleans()):
        layer["causal"] = True
    if memories and draw(st.booleans()):  # cross-attention: a memory of any width
        layer["from"] = [tap, draw(st.sampled_from(sorted(memories)))]
    return layer


RANDOM = Random(stack=stack)
