"""`parameter`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import Draw, Random

# A learned tensor of its own, its sizes named by axis, the others 1; expanded over the
# batch of what it reads. Its elements are parameters (or buffers); it computes nothing.
CASES = """
- about: ViT's position embedding, one vector per position
  input: {l: 5, d: 8}
  layer: {type: parameter, shape: {l: 5, d: 8}}
  shape: [5, 8]         # (L, D) as named
  trainable: 40         # 5*8
  macs: 0               # a tensor, no products
- about: ConvNeXt's layer scale, one factor per channel
  input: {h: 4, w: 4, c: 6}
  layer: {type: parameter, shape: {c: 6}}
  shape: [1, 1, 6]      # H and W not named: 1 (broadcast over the positions)
  trainable: 6          # (6, 1, 1): 6
  macs: 0
- about: a buffer over a feature vector
  input: {features: 10}
  layer: {type: parameter, shape: {features: 10}, buffer: true}
  shape: [10]
  trainable: 0          # a buffer, not a parameter
  buffers: 10           # (10,)
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    import torch
    from torch import nn

    class Bare(nn.Module):  # type: ignore[misc]
        """A model's bare tensor (torchvision's `self.layer_scale = nn.Parameter(...)`),
        returned over the batch of x."""

        def __init__(self, shape: tuple[int, ...], buffer: bool = False) -> None:
            super().__init__()
            if buffer:
                self.register_buffer("table", torch.zeros(shape))
            else:
                self.table = nn.Parameter(torch.zeros(shape))

        def forward(self, x: Any) -> Any:
            return self.table.expand(x.shape[0], *self.table.shape)

    return {
        "ViT's position embedding, one vector per position": lambda: Bare((5, 8)),
        "ConvNeXt's layer scale, one factor per channel": lambda: Bare((6, 1, 1)),
        "a buffer over a feature vector": lambda: Bare((10,), buffer=True),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    # The sizes of what it reads (so that the layers after it read what they would have),
    # a trainable parameter or a buffer.
    names = {1: ("features",), 2: ("c", "l"), 3: ("c", "h", "w"), 4: ("c", "d", "h", "w")}[len(shape)]
    return {"type": kind, "shape": dict(zip(names, shape, strict=True)), "buffer": draw(st.booleans())}


RANDOM = Random(layouts=("F", "CL", "CHW", "CDHW"), layer=layer)
