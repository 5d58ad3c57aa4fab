"""Mean over the tokens of a sequence: `{type: token_mean}`, (L, D) -> (D,).

What sentence encoders call mean pooling: the average of the L vectors, `x.mean(dim=1)`.
Nothing learned and no MACs (additions are not multiply-accumulates); conventions that
charge pooling see one operation per input value.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from cnncalc.layers.api import EVERYTHING, Everything, Footprint, Inputs, Layer, Shape, Work, prod
from cnncalc.shape import flat


class TokenMean(Layer):
    """The mean of a sequence's vectors: (L, D) -> (D,)."""

    type: Literal["token_mean"]
    accepts: ClassVar[frozenset[str]] = frozenset({"LD"})

    def output_shape(self, inputs: Inputs) -> Shape:
        return flat(inputs[0].size("D"))

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(inputs[0]))  # one add per input value

    def window(self, inputs: Inputs) -> Everything:
        return EVERYTHING

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # A mean's backward needs only the input's shape: nothing is kept.
        return Footprint()

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        class TokenMeanModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """x.mean(dim=1)."""

            def forward(self, x: Any) -> Any:
                return x.mean(dim=1)

        return TokenMeanModule()
