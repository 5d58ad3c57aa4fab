"""`pad`: its hand-worked cases, the PyTorch a user would write for each, and the ranges
random specs draw it from (tests/cases/__init__.py says what each part is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from cases._random import SPATIAL, Draw, Random

CASES = """
- about: reflection padding per side
  input: {h: 4, w: 5, c: 3}
  layer: {type: pad, padding: [1, 2, 0, 3], mode: reflect}
  shape: [7, 8, 3]      # H: 4 + 1 + 2; W: 5 + 0 + 3 (each below the size it reflects)
  trainable: 0
  macs: 0
- about: replicate padding of a sequence, left only
  input: {l: 6, c: 2}
  layer: {type: pad, padding: [3, 0], mode: replicate}
  shape: [9, 2]         # 6 + 3 + 0
  trainable: 0
  macs: 0
- about: circular padding of a volume
  input: {d: 2, h: 3, w: 3, c: 1}
  layer: {type: pad, padding: 1, mode: circular}
  shape: [4, 5, 5, 1]   # each axis + 1 + 1
  trainable: 0
  macs: 0
- about: zero padding with pad
  input: {h: 2, w: 2, c: 1}
  layer: {type: pad, padding: [0, 1]}
  shape: [2, 4, 1]      # per dimension: H + 0 + 0, W + 1 + 1
  trainable: 0
  macs: 0
"""


def torch_modules() -> dict[str, Callable[[], Any]]:
    """The PyTorch module for each case, by its `about`, never through cnncalc's builders.
    Shapes are channels first: (C, H, W), (C, L)."""
    from torch import nn
    from torch.nn import functional as F

    from cases._torch import Fn

    return {
        # F.pad lists the last axis first: (left, right, top, bottom).
        "reflection padding per side": lambda: nn.ReflectionPad2d((0, 3, 1, 2)),
        "replicate padding of a sequence, left only": lambda: nn.ReplicationPad1d((3, 0)),
        "circular padding of a volume": lambda: Fn(lambda x: F.pad(x, (1, 1, 1, 1, 1, 1), mode="circular")),
        "zero padding with pad": lambda: nn.ZeroPad2d((1, 1, 0, 0)),
    }


def layer(draw: Draw, shape: tuple[int, ...], kind: str) -> dict[str, Any] | None:
    if len(shape) < 2:
        return None
    ndim = len(shape) - 1
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    # PyTorch's limits: a reflection below the size, a wrap no more than it.
    hi = min([2, *(n - 1 if mode == "reflect" else n for n in shape[1:])])
    count = draw(st.sampled_from([1, ndim, 2 * ndim]))
    values = [draw(st.integers(0, hi)) for _ in range(count)]
    return {"type": kind, "padding": values[0] if count == 1 else values, "mode": mode}


RANDOM = Random(layouts=SPATIAL, layer=layer)
