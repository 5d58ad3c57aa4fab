"""`{type: softmax}`: exp(x) / sum(exp(x)) over the channel (or feature) axis."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from cnncalc.layers.activation._activation import Activation
from cnncalc.layers.api import Inputs, Keeps


class Softmax(Activation):
    """exp(x) / sum(exp(x)) over the channel (or feature) axis."""

    traits: ClassVar[frozenset[str]] = frozenset({"activation", "probabilities"})
    type: Literal["softmax"]
    keeps: ClassVar[Keeps] = "output"  # its backward reads the result

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        x = inputs[0]
        return nn.Softmax(dim=x.dim(x.layout.channels))  # channels; features when flat or a sequence
