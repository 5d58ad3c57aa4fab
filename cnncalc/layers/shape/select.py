"""Select one token of a sequence: `{type: select, index: 0}` (the class token).

(L, D) -> (D,): the vector at position `index` (negative counts from the end: -1 is the
last token, as a causal language model reads it). Nothing learned, no MACs.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.errors import LayerError
from cnncalc.layers.api import EVERYTHING, Everything, Footprint, Inputs, Layer, Shape
from cnncalc.shape import flat


class Select(Layer):
    """The vector at one position of a sequence of vectors: (L, D) -> (D,), as `x[:, index]`."""

    type: Literal["select"]
    accepts: ClassVar[frozenset[str]] = frozenset({"LD"})
    index: int = Field(0, description="The position to keep; negative counts from the end (-1: the last).")

    def output_shape(self, inputs: Inputs) -> Shape:
        length = inputs[0].size("L")
        if not -length <= self.index < length:
            raise LayerError(f"index {self.index} is outside a sequence of {length} positions", "index")
        return flat(inputs[0].size("D"))

    def window(self, inputs: Inputs) -> Everything:
        return EVERYTHING  # no positions left to hold a field

    def summary(self, inputs: Inputs) -> str:
        return f"index={self.index}"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # `x[:, index]`: a view keeping all of its input alive; backward writes the
        # gradient into a zero tensor of the input's size.
        return Footprint(view=True)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        index = self.index

        class SelectModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """x[:, index]."""

            def forward(self, x: Any) -> Any:
                return x[:, index]

        return SelectModule()
