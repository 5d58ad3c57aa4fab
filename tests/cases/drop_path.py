"""`drop_path`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Random, simple

CASES = """
- about: drop path, timm's name for stochastic depth
  input: {l: 6, c: 3}
  layer: {type: drop_path, rate: 0.2, mode: batch}
  shape: [6, 3]
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn

    return {
        # torchvision.ops.stochastic_depth returns its input unchanged when not training.
        "drop path, timm's name for stochastic depth": lambda: nn.Identity(),
    }


RANDOM = Random(layer=simple(rate=st.sampled_from([0.0, 0.2]), mode=st.sampled_from(["row", "batch"])))
