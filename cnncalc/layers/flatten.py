"""Flatten: `{type: flatten}`, (5, 5, 16) -> (400,), in PyTorch's (C, H, W) element order."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from cnncalc.layers._base import EVERYTHING, Everything, Inputs, Layer, Shape, prod
from cnncalc.shape import flat


class Flatten(Layer):
    """Lays every element of a sample out in one vector."""

    traits: ClassVar[frozenset[str]] = frozenset({"shape-only"})
    type: Literal["flatten"]
    view: ClassVar[bool] = True  # PyTorch returns a view (or the input itself): no bytes of its own

    def output_shape(self, inputs: Inputs) -> Shape:
        return flat(prod(inputs[0]))

    def window(self, inputs: Inputs) -> Everything:
        return EVERYTHING

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        return nn.Flatten()
