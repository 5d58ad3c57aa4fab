"""`rmsnorm`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
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
- about: rmsnorm on a sequence, one weight per feature
  input: {l: 4, d: 8}
  layer: {type: rmsnorm}
  shape: [4, 8]
  trainable: 8          # D
  macs: 0
- about: rmsnorm without affine on features
  input: {features: 16}
  layer: {type: rmsnorm, affine: false, eps: 1.0e-6}
  shape: [16]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        "rmsnorm on a sequence, one weight per feature": lambda: nn.RMSNorm(8),
        "rmsnorm without affine on features": lambda: nn.RMSNorm(16, eps=1e-6, elementwise_affine=False),
    }


def stack(draw: Draw, width: int, heads: int, memories: dict[str, int], tap: str) -> dict[str, Any]:
    return {"type": "rmsnorm", "affine": draw(st.booleans())}


RANDOM = Random(stack=stack)
