"""`transformer_encoder_layer`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
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
- about: post-norm gelu encoder layer, as BERT's
  input: {l: 4, d: 8}
  layer: {type: transformer_encoder_layer, heads: 2, feedforward: 16, feedforward_activation: gelu, eps: 1.0e-12}
  shape: [4, 8]
  trainable: 600        # attention 288; linear1 8*16 + 16 = 144; linear2 16*8 + 8 = 136; 2 norms 2*(8 + 8) = 32
  macs: 2304            # attention 4*4*8*8 + 2*4*4*8 = 1280; feed-forward 2 * 4*8*16 = 1024
- about: pre-norm causal encoder layer without bias, as GPT's
  input: {l: 6, d: 12}
  layer: {type: transformer_encoder_layer, heads: 3, feedforward: 24, norm_first: true, causal: true, bias: false}
  shape: [6, 12]
  trainable: 1176       # attention 4*12*12 = 576; linear1 12*24 = 288; linear2 288; 2 norms 2*12 = 24
  macs: 7776            # attention 4*6*144 + 2*6*6*12 = 3456 + 864 = 4320; feed-forward 2 * 6*12*24 = 3456
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import Causal

    return {
        "post-norm gelu encoder layer, as BERT's": lambda: nn.TransformerEncoderLayer(
            8, 2, 16, activation="gelu", layer_norm_eps=1e-12, batch_first=True
        ),
        "pre-norm causal encoder layer without bias, as GPT's": lambda: Causal(
            nn.TransformerEncoderLayer(12, 3, 24, norm_first=True, bias=False, batch_first=True), causal=True
        ),
    }


def stack(draw: Draw, width: int, heads: int, memories: dict[str, int], tap: str) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "type": "transformer_encoder_layer",
        "heads": heads,
        "feedforward": draw(st.integers(1, 12)),
        "feedforward_activation": draw(st.sampled_from(["relu", "gelu"])),
        "norm_first": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "causal": draw(st.booleans()),
    }
    return layer


RANDOM = Random(stack=stack)
