"""Dense (fully connected): `{type: dense, units: 120, activation: relu}`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.layers._base import EVERYTHING, Everything, Inputs, Name, Shape, Tensor, Work, prod
from cnncalc.layers.activation import WithActivation


class Dense(WithActivation):
    """`units` neurons, each connected to every input feature; on an N-D input it acts on
    the last axis, as `nn.Linear` does."""

    traits: ClassVar[frozenset[str]] = frozenset({"fully-connected", "has-bias"})
    type: Literal["dense"]
    units: PositiveInt = Field(description="Number of output features.")
    bias: bool = Field(True, description="One learned bias per unit.")
    tie: Name | None = Field(
        None,
        description="An earlier layer whose weight this one uses (an embedding, for a tied output "
        "layer): counted once, there, as PyTorch's parameters() does; its MACs count here in full.",
    )

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        return x.replace(**{x.axes[-1]: self.units})

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        # nn.Linear's (out, in); a tied one is the embedding's (vocab, width) table.
        weight = Tensor("weight", (self.units, inputs[0][-1]), "shared" if self.tie else "trainable")
        return [weight, Tensor("bias", (self.units,))] if self.bias else [weight]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        # Every row along the other axes: in x units.
        macs = prod(inputs[0][:-1]) * inputs[0][-1] * self.units
        return Work(macs=macs, bias=prod(output) if self.bias else 0, activation=self.activated(output))

    def window(self, inputs: Inputs) -> Everything | None:
        # Over a sequence of vectors (L, D) it acts on each position alone; otherwise its
        # last axis is a spatial one, or the whole of a flat input.
        x = inputs[0]
        per_position = bool(x.layout.spatial) and x.axes[-1] not in x.layout.spatial
        return None if per_position else EVERYTHING

    def shares(self) -> dict[str, str]:
        return {"weight": self.tie} if self.tie else {}

    def summary(self, inputs: Inputs) -> str:
        return f"{self.units} tied to {self.tie}" if self.tie else str(self.units)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.Linear(inputs[0][-1], self.units, bias=self.bias)
