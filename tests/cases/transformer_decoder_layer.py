"""`transformer_decoder_layer`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
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
- about: decoder layer on a target of 3 and a memory of 5
  inputs: [{l: 3, d: 8}, {l: 5, d: 8}]
  layer: {type: transformer_decoder_layer, heads: 2, feedforward: 16}
  shape: [3, 8]
  trainable: 904        # self-attention 288, cross-attention 288, linear1 144, linear2 136, 3 norms 3*16 = 48
  macs: 2944            # self 4*3*64 + 2*3*3*8 = 768 + 144 = 912; cross q 3*64 + k 5*64 + v 5*64 + out 3*64
                        # = 1024, + 2*3*5*8 = 240 -> 1264; feed-forward 2 * 3*8*16 = 768; 912 + 1264 + 768
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    from cases._torch import Causal

    return {
        "decoder layer on a target of 3 and a memory of 5": lambda: Causal(
            nn.TransformerDecoderLayer(8, 2, 16, batch_first=True), causal=False
        ),
    }


def stack(draw: Draw, width: int, heads: int, memories: dict[str, int], tap: str) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "type": "transformer_decoder_layer",
        "heads": heads,
        "feedforward": draw(st.integers(1, 12)),
        "feedforward_activation": draw(st.sampled_from(["relu", "gelu"])),
        "norm_first": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "causal": draw(st.booleans()),
    }
    same_width = [name for name, w in memories.items() if w == width]
    layer["from"] = [tap, draw(st.sampled_from(same_width or [tap]))]
    return layer


RANDOM = Random(stack=stack)
