"""Dense (fully connected): `{type: dense, units: 120, activation: relu}`, or on the
channels of a map at each position: `{type: dense, units: 384, axis: channels}`.

The second is ConvNeXt's channels-last `nn.Linear` (a 1x1 convolution in all but name):
on (C, H, W) it holds a (units, C) weight and costs C * units MACs at each of the H * W
positions.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.layers.activation.activation import WithActivation
from cnncalc.layers.api import (
    EVERYTHING,
    Everything,
    Extra,
    Footprint,
    Inputs,
    Name,
    Shape,
    Tensor,
    Work,
    on_channels_last,
    prod,
)


class Dense(WithActivation):
    """`units` neurons, each connected to every input feature; on an N-D input it acts on
    the last axis, as `nn.Linear` does.

    With `axis: channels` it acts on the channels at each position instead.
    """

    traits: ClassVar[frozenset[str]] = frozenset({"fully-connected", "has-bias"})
    type: Literal["dense"]
    units: PositiveInt = Field(description="Number of output features.")
    bias: bool = Field(True, description="One learned bias per unit.")
    tie: Name | None = Field(
        None,
        description="An earlier layer whose weight this one uses (an embedding, for a tied output "
        "layer): counted once, there, as PyTorch's parameters() does; its MACs count here in full.",
    )
    axis: Literal["channels"] | None = Field(
        None,
        description="`channels`: connect the channels at each position (a channels-last nn.Linear), "
        "instead of the last axis.",
    )

    def features_axis(self, x: Shape) -> str:
        """The name of the axis the layer connects: the last one, or the channels."""
        return x.layout.channels if self.axis == "channels" else x.axes[-1]

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        return x.replace(**{self.features_axis(x): self.units})

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        # nn.Linear's (out, in); a tied one is the embedding's (vocab, width) table.
        x = inputs[0]
        weight = Tensor("weight", (self.units, x.size(self.features_axis(x))), "shared" if self.tie else "trainable")
        return [weight, Tensor("bias", (self.units,))] if self.bias else [weight]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        # Every row along the other axes: in x units.
        x = inputs[0]
        features = x.size(self.features_axis(x))
        macs = prod(x) // features * features * self.units
        return Work(macs=macs, bias=prod(output) if self.bias else 0, activation=self.activated(output))

    def window(self, inputs: Inputs) -> Everything | None:
        # Over a sequence of vectors (L, D), or on the channels, it acts on each position
        # alone; otherwise its last axis is a spatial one, or the whole of a flat input.
        x = inputs[0]
        per_position = bool(x.layout.spatial) and self.features_axis(x) not in x.layout.spatial
        return None if per_position else EVERYTHING

    def shares(self) -> dict[str, str]:
        return {"weight": self.tie} if self.tie else {}

    def summary(self, inputs: Inputs) -> str:
        text = str(self.units) if self.axis is None else f"{self.units} on {self.axis}"
        return f"{text} tied to {self.tie}" if self.tie else text

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        found = replace(super().footprint(inputs, output, training), inputs_for_weights=True)
        if len(inputs[0]) < 2:
            return found
        # Over a sequence out of storage order (a recurrent layer's output), nn.Linear
        # copies the input, which backward keeps, and makes its output twice (measured).
        copy, twice = Extra(prod(inputs[0])), Extra(prod(output))
        if not training:
            return replace(found, if_reordered=Footprint(passing=(twice,)))
        reordered = replace(found, keeps_inputs=(), kept=(*found.kept, copy), passing=(*found.passing, twice))
        return replace(found, if_reordered=reordered)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        x = inputs[0]
        linear = nn.Linear(x.size(self.features_axis(x)), self.units, bias=self.bias)
        return on_channels_last(linear, x) if self.axis == "channels" else linear
