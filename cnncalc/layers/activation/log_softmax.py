"""`{type: log_softmax}`: log(softmax(x)) over the channel (or feature) axis, as a classifier trained with NLL ends."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from cnncalc.layers.activation._activation import Activation
from cnncalc.layers.api import Inputs, Keeps


class LogSoftmax(Activation):
    """log(softmax(x)) over the channel (or feature) axis, as a classifier trained with NLL ends."""

    traits: ClassVar[frozenset[str]] = frozenset({"activation"})
    keeps: ClassVar[Keeps] = "output"  # its backward reads the result
    type: Literal["log_softmax"]

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        x = inputs[0]
        return nn.LogSoftmax(dim=x.dim(x.layout.channels))
