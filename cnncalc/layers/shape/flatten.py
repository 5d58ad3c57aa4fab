"""Flatten: `{type: flatten}`, (5, 5, 16) -> (400,), in PyTorch's (C, H, W) element order;
or some axes only, as `x.flatten(start_dim, end_dim)`: ViT's `{type: flatten, start_dim: 2}`
turns its (768, 14, 14) patch grid into (768, 196), channels over positions.

Dims count PyTorch's, with the batch at 0 (which is never flattened); negative from the
end. Merging the spatial axes keeps the channels first: (C, H*W) from an image, (C, D,
H*W) from a volume. Merging the channels with some spatial axes but not all gives a
layout no layer here reads, and is refused.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.errors import LayerError
from cnncalc.layers.api import EVERYTHING, Everything, Footprint, Inputs, Layer, Shape, prod
from cnncalc.shape import CHANNELS_FIRST, flat, regrouped


class Flatten(Layer):
    """Lays the axes start_dim..end_dim of a sample out in one (every axis by default)."""

    traits: ClassVar[frozenset[str]] = frozenset({"shape-only"})
    type: Literal["flatten"]
    view: ClassVar[bool] = True  # PyTorch returns a view (or the input itself): no bytes of its own
    start_dim: int = Field(1, description="First PyTorch dim merged (batch at 0; negative from the end).")
    end_dim: int = Field(-1, description="Last PyTorch dim merged.")

    def span(self, x: Shape) -> tuple[int, int]:
        """(first, last) merged positions in the sample (no batch axis)."""
        full = len(x) + 1
        ends = []
        for field, dim in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -full <= dim < full:
                raise LayerError(f"{field}={dim} is out of range for a {full}-dim tensor (batch included)", field)
            if dim % full == 0:
                raise LayerError(f"{field} reaches the batch axis (0), which is never flattened", field)
            ends.append(dim % full - 1)
        if ends[0] > ends[1]:
            raise LayerError(f"start_dim={self.start_dim} comes after end_dim={self.end_dim}", "start_dim")
        return ends[0], ends[1]

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        first, last = self.span(x)
        if first == 0 and last == len(x) - 1:
            return flat(prod(x))
        sizes = (*x[:first], prod(x[first : last + 1]), *x[last + 1 :])
        if first >= 1 and x.axes in CHANNELS_FIRST.values():
            result = regrouped(sizes, x)  # the channels stay first, some spatial axes merged
            if result is not None:
                return result
        if first == last:
            return x  # one axis "merged" with itself: nothing changes
        merged = ", ".join(x.axes[first : last + 1])
        raise LayerError(
            f"merging {merged} of the {x.axis_names('chw')} input {x.text('chw')} gives a layout no layer here "
            "reads: flatten every axis, or only spatial ones (start_dim 2 on an image)",
            "start_dim",
        )

    def window(self, inputs: Inputs) -> Everything:
        return EVERYTHING

    def summary(self, inputs: Inputs) -> str:
        if (self.start_dim, self.end_dim) == (1, -1):
            return ""
        return f"dims {self.start_dim}..{self.end_dim}"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # A view of a tensor in storage order; of a permuted one, `x.reshape` copies.
        return replace(super().footprint(inputs, output, training), reshapes=True)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.Flatten(self.start_dim, self.end_dim)
