"""Pixel shuffle, as in ESPCN's sub-pixel convolution: `{type: pixel_shuffle, factor: 2}`.

Rearranges (C * r * r, H, W) into (C, H * r, W * r): the r * r channels of each output
channel become an r x r block of pixels. Only the order of the values changes: no
parameters, no MACs; PyTorch writes the result to a new tensor (a copy, not a view).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.api import Inputs, Keeps, Layer, Shape, Window


class PixelShuffle(Layer):
    """Trades channels for resolution: (C * r * r, H, W) -> (C, H * r, W * r), as nn.PixelShuffle(r)."""

    traits: ClassVar[frozenset[str]] = frozenset({"shape-only"})
    type: Literal["pixel_shuffle"]
    keeps: ClassVar[Keeps] = "nothing"  # backward needs only the sizes
    accepts: ClassVar[frozenset[str]] = frozenset({"CHW"})
    factor: PositiveInt = Field(
        description="r, PyTorch's upscale_factor: the height and width grow r times, the channels shrink r * r times."
    )

    def output_shape(self, inputs: Inputs) -> Shape:
        x, r = inputs[0], self.factor
        channels = x.size("C")
        if channels % (r * r):
            raise LayerError(
                f"factor={r} needs channels divisible by r * r = {r * r}: "
                f"{channels} / {r * r} = {channels / (r * r):g}",
                "factor",
            )
        return x.with_spatial((n * r for n in x.spatial), channels // (r * r))

    def window(self, inputs: Inputs) -> Window:
        # Output pixel i reads input pixel i // r (of one of its r * r channels): as a nearest
        # upsampling by r, outputs 1/r of an input apart, the first centred 0.5 - 1/(2r) in.
        r = self.factor
        return Window((1, 1), (1 / r, 1 / r), (1, 1), (0.5 - 1 / (2 * r),) * 2)

    def summary(self, inputs: Inputs) -> str:
        return f"r={self.factor}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.PixelShuffle(self.factor)
