"""`gated_ffn`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random

CASES = """
# Sequences of vectors (L, D): shapes are [L, D] in both orders. E is the width, h the heads.
# Attention MACs: the projections as dense layers (rows * in * out), plus QK^T and AV,
# 2 * L_q * L_k * E (each head L_q*L_k*(E/h), twice).
- about: SwiGLU feed-forward, three projections without bias
  input: {l: 4, d: 8}
  layer: {type: gated_ffn, hidden: 12}
  shape: [4, 8]
  trainable: 288        # gate 8*12, up 8*12, down 12*8: 3 * 96
  macs: 1152            # 3 * 4*8*12
- about: GeGLU feed-forward with bias on features
  input: {features: 6}
  layer: {type: gated_ffn, hidden: 4, gate: gelu, bias: true}
  shape: [6]
  trainable: 86         # gate 6*4 + 4 = 28, up 28, down 4*6 + 6 = 30
  macs: 72              # 3 * 6*4
- about: SwiGLU with LoRA on up and down, rank 2, the projections frozen
  input: {l: 4, d: 8}
  layer: {type: gated_ffn, hidden: 12, lora: {rank: 2, alpha: 4, targets: [up, down]}}
  shape: [4, 8]
  trainable: 80         # A (r x in) and B (out x r): up 2*(8 + 12) = 40, down 2*(12 + 8) = 40
  non_trainable: 288    # gate, up and down 8*12 each, frozen
  macs: 1472            # 3 * 4*8*12 = 1152; adapters 4 rows * 80 = 320
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import SwiGLU, with_lora

    return {
        "SwiGLU feed-forward, three projections without bias": lambda: SwiGLU(8, 12, bias=False, act=nn.SiLU()),
        "GeGLU feed-forward with bias on features": lambda: SwiGLU(6, 4, bias=True, act=nn.GELU()),
        "SwiGLU with LoRA on up and down, rank 2, the projections frozen": lambda: with_lora(
            SwiGLU(8, 12, bias=False, act=nn.SiLU()), ["up_proj", "down_proj"], 2, 4
        ),
    }


def stack(draw: Draw, width: int, heads: int, memories: dict[str, int], tap: str) -> dict[str, Any]:
    return {"type": "gated_ffn", "hidden": draw(st.integers(1, 12)), "gate": draw(st.sampled_from(["silu", "gelu"]))}


RANDOM = Random(stack=stack)
