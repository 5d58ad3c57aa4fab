"""Depthwise 2-D convolution (MobileNet): `{type: depthwise_conv, kernel: 3}`.

A conv with one group per input channel: each of the C channels gets its own
`multiplier` filters of f x f x 1, so filters = C * multiplier and the weights number
f * f * multiplier * C (plus C * multiplier biases).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.layers.activation._activation import WithActivation
from cnncalc.layers.api import (
    Footprint,
    Inputs,
    Padding,
    Shape,
    Size,
    Tensor,
    Window,
    Work,
    spatial_dims,
    window_summary,
)
from cnncalc.layers.conv.conv import Conv


class _Depthwise(WithActivation):
    """The window fields both kinds share, and the depthwise conv they both start with."""

    traits: ClassVar[frozenset[str]] = frozenset({"windowed", "has-bias"})
    ndim: ClassVar[int] = 2
    accepts: ClassVar[frozenset[str]] = frozenset({"CHW"})

    kernel: Size = Field(description="Kernel size f, or one per spatial dimension.")
    stride: Size = Field(1, description="Step s between windows.")
    padding: Padding = 0
    dilation: Size = Field(1, description="Spacing d between kernel taps (1 = dense).")
    multiplier: PositiveInt = Field(1, description="Filters per input channel (Keras' depth_multiplier).")

    def _depthwise(self, x: Shape, bias: bool) -> Conv:
        # Checked here so that a wrong rank names this kind, not `conv`.
        spatial_dims(x, self.ndim, self.kind)
        return Conv.model_construct(
            type="conv",
            filters=x.size("C") * self.multiplier,
            kernel=self.kernel,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=x.size("C"),
            bias=bias,
        )

    def window(self, inputs: Inputs) -> Window:
        return self._depthwise(inputs[0], False).window(inputs)

    def summary(self, inputs: Inputs) -> str:
        multiplier = [f"m={self.multiplier}"] if self.multiplier != 1 else []
        pads = self._depthwise(inputs[0], False).pads(inputs[0])
        return window_summary(self.ndim, self.kernel, self.stride, self.padding, self.dilation, *multiplier, pads=pads)


class DepthwiseConv(_Depthwise):
    """A conv with groups = C: each input channel filtered on its own by `multiplier` kernels."""

    type: Literal["depthwise_conv"]
    bias: bool = Field(True, description="One learned bias per output channel.")

    def output_shape(self, inputs: Inputs) -> Shape:
        return self._depthwise(inputs[0], self.bias).output_shape(inputs)

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        return self._depthwise(inputs[0], self.bias).tensors(inputs)

    def work(self, inputs: Inputs, output: Shape) -> Work:
        work = self._depthwise(inputs[0], self.bias).work(inputs, output)
        return replace(work, activation=self.activated(output))

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        return self._depthwise(inputs[0], self.bias).footprint(inputs, output, training)

    def to_torch(self, inputs: Inputs) -> Any:
        return self._depthwise(inputs[0], self.bias).to_torch(inputs)
