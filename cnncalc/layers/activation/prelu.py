"""`{type: prelu}`: Leaky ReLU with learned negative slopes: one shared, or one per channel (`num_parameters: C`)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.activation._activation import Activation
from cnncalc.layers.api import Inputs, Shape, Tensor

AXIS_NAMES = {"C": "channels", "F": "features", "L": "positions"}


class PReLU(Activation):
    """Leaky ReLU with learned negative slopes: one shared, or one per channel (`num_parameters: C`)."""

    traits: ClassVar[frozenset[str]] = frozenset({"elementwise"})  # learned: not an `activation:`
    type: Literal["prelu"]
    forms: ClassVar[frozenset[str]] = frozenset({"module", "subclass"})  # learned: a module holds them
    num_parameters: PositiveInt = Field(1, description="Learned slopes: 1, or one per channel.")

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        # nn.PReLU's slopes run along torch dim 1: the channels, or the features when flat.
        if self.num_parameters != 1 and (x.layout.channels != x.axes[0] or self.num_parameters != x[0]):
            raise LayerError(
                f"num_parameters={self.num_parameters}: it is 1 or one per channel along PyTorch's dim 1, "
                f"and the {x.axis_names()} input {x.text()} has {x[0]} {AXIS_NAMES.get(x.axes[0], x.axes[0])} there",
                "num_parameters",
            )
        return x

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        return [Tensor("weight", (self.num_parameters,))]

    def summary(self, inputs: Inputs) -> str:
        return "" if self.num_parameters == 1 else f"n={self.num_parameters}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.PReLU(self.num_parameters)
