"""Depthwise-separable 2-D convolution (Xception, Keras' SeparableConv2D):
`{type: separable_conv, filters: 64, kernel: 3}`.

A depthwise conv (f * f * multiplier * C weights, no bias) then a 1x1 pointwise conv
from C * multiplier to `filters` channels; `bias` belongs to the pointwise part.
MACs are the two parts' sum.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PositiveInt

from cnncalc.layers.api import Extra, Footprint, Inputs, Shape, Tensor, Work, prod
from cnncalc.layers.conv.conv import Conv
from cnncalc.layers.conv.depthwise_conv import _Depthwise


class SeparableConv(_Depthwise):
    """Depthwise conv (no bias) then a 1x1 pointwise conv to `filters` channels."""

    type: Literal["separable_conv"]
    filters: PositiveInt = Field(description="Output channels of the pointwise 1x1 conv.")
    bias: bool = Field(True, description="One learned bias per filter, on the pointwise conv.")

    def _pointwise(self) -> Conv:
        return Conv.model_construct(
            type="conv", filters=self.filters, kernel=1, stride=1, padding=0, dilation=1, groups=1, bias=self.bias
        )

    def output_shape(self, inputs: Inputs) -> Shape:
        middle = self._depthwise(inputs[0], False).output_shape(inputs)
        return middle.replace(C=self.filters)

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        # Named as in the torch module: nn.Sequential(depthwise, pointwise) -> "0.weight", "1.weight".
        depthwise = self._depthwise(inputs[0], False)
        middle = inputs[0].replace(C=inputs[0].size("C") * self.multiplier)
        parts = [("0", depthwise.tensors(inputs)), ("1", self._pointwise().tensors((middle,)))]
        return [Tensor(f"{prefix}.{t.name}", t.shape, t.role) for prefix, found in parts for t in found]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        depthwise = self._depthwise(inputs[0], False)
        middle = output.replace(C=inputs[0].size("C") * self.multiplier)
        first, second = depthwise.work(inputs, middle), self._pointwise().work((middle,), output)
        return Work(macs=first.macs + second.macs, bias=second.bias, activation=self.activated(output))

    def summary(self, inputs: Inputs) -> str:
        return f"{super().summary(inputs)} -> {self.filters}"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # The depthwise conv's, then its output: read by the pointwise conv, which keeps it.
        depthwise = self._depthwise(inputs[0], False)
        middle = Extra(prod(output.replace(C=inputs[0].size("C") * self.multiplier)))
        first = depthwise.footprint(inputs, output, training)
        if not training:
            return Footprint(passing=(*first.passing, middle))
        return Footprint(
            keeps_inputs=first.keeps_inputs,
            kept=(*first.kept, middle),
            backward=(*first.backward, middle),
            weights_first=True,
        )

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        middle = inputs[0].replace(C=inputs[0].size("C") * self.multiplier)
        return nn.Sequential(self._depthwise(inputs[0], False).to_torch(inputs), self._pointwise().to_torch((middle,)))
