"""`{type: glu}`: Gated linear unit: the channels' first half times the sigmoid of the second, so half as many."""

from __future__ import annotations

from typing import Any, Literal

from cnncalc.errors import LayerError
from cnncalc.layers.api import Inputs, Layer, Shape, Work, prod


class GLU(Layer):
    """Gated linear unit: the channels' first half times the sigmoid of the second, so half as many."""

    type: Literal["glu"]

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        axis = x.layout.channels
        if x.size(axis) % 2:
            raise LayerError(f"it halves the {x.size(axis)} channels, which must be even")
        return x.replace(**{axis: x.size(axis) // 2})

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        x = inputs[0]
        return nn.GLU(dim=x.dim(x.layout.channels))
