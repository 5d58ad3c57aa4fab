"""Pixel unshuffle, space-to-depth: `{type: pixel_unshuffle, factor: 2}`.

Rearranges (C, H, W) into (C * r * r, H / r, W / r): each r x r block of pixels becomes
r * r channels, the inverse of `pixel_shuffle`. Only the order of the values changes: no
parameters, no MACs; PyTorch writes the result to a new tensor (a copy, not a view).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.api import Inputs, Keeps, Layer, Shape, Window


class PixelUnshuffle(Layer):
    """Trades resolution for channels: (C, H, W) -> (C * r * r, H / r, W / r), as nn.PixelUnshuffle(r)."""

    traits: ClassVar[frozenset[str]] = frozenset({"shape-only"})
    type: Literal["pixel_unshuffle"]
    keeps: ClassVar[Keeps] = "nothing"  # backward needs only the sizes
    accepts: ClassVar[frozenset[str]] = frozenset({"CHW"})
    factor: PositiveInt = Field(
        description="r, PyTorch's downscale_factor: the height and width shrink r times, the channels grow r * r times."
    )

    def output_shape(self, inputs: Inputs) -> Shape:
        x, r = inputs[0], self.factor
        for axis, n in zip("hw", x.spatial, strict=True):
            if n % r:
                raise LayerError(f"factor={r} does not divide {axis}={n} ({n} / {r} = {n / r:g})", "factor")
        return x.with_spatial((n // r for n in x.spatial), x.size("C") * r * r)

    def window(self, inputs: Inputs) -> Window:
        # Output pixel i holds, over its r * r channels, the input block r * i .. r * i + r - 1.
        r = self.factor
        return Window((r, r), (r, r), (1, 1), (0, 0))

    def summary(self, inputs: Inputs) -> str:
        return f"r={self.factor}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.PixelUnshuffle(self.factor)
