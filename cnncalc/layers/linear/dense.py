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

from cnncalc.errors import LayerError
from cnncalc.layers.activation._activation import WithActivation
from cnncalc.layers.api import (
    EVERYTHING,
    Everything,
    Extra,
    Footprint,
    Inputs,
    LoRA,
    Name,
    Shape,
    Tensor,
    Work,
    lora_linear_module,
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
    lora: LoRA | None = Field(
        None,
        description="Low-rank adapters `{rank: 8}`: the layer's weight and bias frozen, r * (in + out) "
        "adapter parameters the only trainable ones, and their MACs.",
    )

    def features_axis(self, x: Shape) -> str:
        """The name of the axis the layer connects: the last one, or the channels."""
        return x.layout.channels if self.axis == "channels" else x.axes[-1]

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        if self.lora is not None and (self.tie or self.axis):
            raise LayerError(
                f"lora adapts a plain linear layer, not one with `{'tie' if self.tie else 'axis'}:`", "lora"
            )
        return x.replace(**{self.features_axis(x): self.units})

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        # nn.Linear's (out, in); a tied one is the embedding's (vocab, width) table.
        x = inputs[0]
        features = x.size(self.features_axis(x))
        if self.tie:
            found = [Tensor("weight", (self.units, features), "shared")]
        else:
            found = [Tensor("weight", (self.units, features), "frozen" if self.lora else "trainable")]
        if self.bias:
            found.append(Tensor("bias", (self.units,), "frozen" if self.lora else "trainable"))
        return found + self.lora.tensors(features, self.units) if self.lora else found

    def work(self, inputs: Inputs, output: Shape) -> Work:
        # Every row along the other axes: in x units; adapters: rows x (in x r + r x units).
        x = inputs[0]
        features = x.size(self.features_axis(x))
        rows = prod(x) // features
        macs = rows * features * self.units
        if self.lora is not None:
            macs += rows * self.lora.rank * (features + self.units)
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
        text = f"{text} lora r={self.lora.rank}" if self.lora else text
        return f"{text} tied to {self.tie}" if self.tie else text

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        found = replace(super().footprint(inputs, output, training), inputs_for_weights=True)
        if self.lora is not None:
            return self._lora_footprint(inputs, output, found, training)
        if len(inputs[0]) < 2:
            return found
        # Over a sequence out of storage order (a recurrent layer's output), nn.Linear
        # copies the input, which backward keeps, and makes its output twice (measured).
        copy, twice = Extra(prod(inputs[0])), Extra(prod(output))
        if not training:
            return replace(found, if_reordered=Footprint(passing=(twice,)))
        reordered = replace(found, keeps_inputs=(), kept=(*found.kept, copy), passing=(*found.passing, twice))
        return replace(found, if_reordered=reordered)

    def _lora_footprint(self, inputs: Inputs, output: Shape, plain: Footprint, training: bool) -> Footprint:
        # base(x) + B(A(x)) * scale: A's output (rows x r) is kept for B's weight gradient (A
        # keeps x); the frozen base's output and the scaled B(A(x)) live beside the sum.
        assert self.lora is not None
        rows = prod(inputs[0]) // inputs[0][-1]
        low = Extra(rows * self.lora.rank)
        # The sum's operands live beside it; an activation's output of its own (counted as
        # the layer's) is made after them, so takes the place of one of them.
        after = self._attached_activation()
        separate = after is not None and not after.footprint((output,), output, training).view
        twice = Extra((1 if separate else 2) * prod(output))
        if not training:
            return Footprint(passing=(twice,))
        # Backward makes the input's gradient twice, the adapter's and the frozen layer's,
        # summed after: one more input-sized tensor (measured). With an activation of its own,
        # the first stage is the activation's, where that second gradient is not yet made.
        second = () if separate else (Extra(prod(inputs[0])),)
        return replace(plain, kept=(low,), passing=(twice,), backward=second)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        x = inputs[0]
        if self.lora is not None:
            return lora_linear_module(x[-1], self.units, self.bias, self.lora)
        linear = nn.Linear(x.size(self.features_axis(x)), self.units, bias=self.bias)
        return on_channels_last(linear, x) if self.axis == "channels" else linear
