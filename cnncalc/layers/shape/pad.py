"""Padding with a mode: `{type: pad, padding: [2, 0], mode: replicate}`.

As `zeropad`, the output grows by the padding on each side (an int for every side, one
per spatial dimension, or one per side: `[before, after]` per dimension, so `[2, 0]` on
a sequence pads its left end only); the new values are zeros, the edge reflected
(`reflect`: PyTorch's ReflectionPad, the edge itself not repeated), the edge repeated
(`replicate`) or the other end wrapped around (`circular`). No parameters, no MACs.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.errors import LayerError
from cnncalc.layers.api import AXES, SPATIAL_LAYOUTS, Footprint, Inputs, Layer, Shape, Window
from cnncalc.layers.shape.zeropad import Sides, per_side, sides_text, spatial_rank

TORCH_MODULES = {"reflect": "ReflectionPad", "replicate": "ReplicationPad", "circular": "CircularPad"}


class Pad(Layer):
    """Adds values around each channel: zeros, or copies of the input's own."""

    type: Literal["pad"]
    accepts: ClassVar[frozenset[str]] = SPATIAL_LAYOUTS
    padding: Sides
    mode: Literal["zeros", "reflect", "replicate", "circular"] = Field(
        "zeros", description="What fills the padding: zeros, the edge reflected, the edge repeated, or wrapped around."
    )

    def sides(self, x: Shape) -> tuple[tuple[int, int], ...]:
        sides = per_side(self.padding, spatial_rank(x, self.kind), "padding")
        # PyTorch's limits: a reflection cannot reach past the far edge, a wrap past the other end.
        for n, (before, after), axis in zip(x.spatial, sides, AXES[len(sides)], strict=True):
            widest = max(before, after)
            if self.mode == "reflect" and widest >= n:
                raise LayerError(f"reflect padding {widest} must be below the input's {axis}={n}", "padding")
            if self.mode == "circular" and widest > n:
                raise LayerError(f"circular padding {widest} cannot exceed the input's {axis}={n}", "padding")
        return sides

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        return x.with_spatial(n + before + after for n, (before, after) in zip(x.spatial, self.sides(x), strict=True))

    def window(self, inputs: Inputs) -> Window:
        sides = self.sides(inputs[0])
        ndim = len(sides)
        return Window((1,) * ndim, (1.0,) * ndim, (1,) * ndim, tuple(before for before, _ in sides))

    def summary(self, inputs: Inputs) -> str:
        return f"p={sides_text(self.padding)}" + ("" if self.mode == "zeros" else f" {self.mode}")

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # Reflect and replicate padding keep their input for backward; zeros and circular
        # padding cut the gradient back out of the output's and keep nothing.
        keeps = training and self.mode in ("reflect", "replicate")
        return Footprint(keeps_inputs=(0,) if keeps else ())

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        sides = self.sides(inputs[0])
        flat: list[int] = []
        for before, after in reversed(sides):  # torch pads the last axis first
            flat += [before, after]
        if self.mode == "zeros":
            return getattr(nn, f"ConstantPad{len(sides)}d")(tuple(flat), 0.0)
        return getattr(nn, f"{TORCH_MODULES[self.mode]}{len(sides)}d")(tuple(flat))
