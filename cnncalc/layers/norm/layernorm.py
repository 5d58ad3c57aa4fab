"""Layer normalization: `{type: layernorm}` over a sample's features, or
`{type: layernorm, dims: N}` over its trailing N axes, as `nn.LayerNorm(shape[-N:])`,
or `{type: layernorm, axis: channels}` over the channels at each position: ConvNeXt's
LayerNorm2d, nn.LayerNorm(C) on the map held channels last.

Normalizes each sample (not each channel) with its own mean and variance over the
trailing `dims` axes of the channels-first shape. The default: on a sequence of vectors
(L, D), D alone, as every transformer's `nn.LayerNorm(D)` (`dims: 2` normalizes over L
and D, with 2*L*D parameters that grow with the sequence); on a channels-first map
(C, H, W) the whole sample; on a flat vector its features. With `axis: channels`, (C,) at
every position. With `affine`, a learned scale and shift per normalized element: 2 *
prod(normalized shape) parameters (one fewer set without `bias`). No buffers, no MACs.
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt, model_validator

from cnncalc.errors import LayerError
from cnncalc.layers.activation._activation import WithActivation
from cnncalc.layers.api import Extra, Footprint, Inputs, Shape, Tensor, Work, on_channels_last, prod


class LayerNorm(WithActivation):
    """Normalizes each sample over its trailing `dims` axes (or its channels), then scales and shifts."""

    traits: ClassVar[frozenset[str]] = frozenset({"normalizing", "has-bias"})
    type: Literal["layernorm"]
    dims: PositiveInt | None = Field(
        None,
        description="How many trailing axes (channels first) to normalize over; default D alone on a "
        "sequence of vectors (L, D), else all of them.",
    )
    axis: Literal["channels"] | None = Field(
        None,
        description="`channels`: normalize the channels at each position (ConvNeXt's LayerNorm2d), "
        "instead of trailing axes.",
    )
    affine: bool = Field(True, description="Learn a scale per normalized element (PyTorch's elementwise_affine).")
    bias: bool = Field(True, description="With affine, also learn a shift per normalized element.")
    eps: float = Field(1e-5, gt=0, description="Added to the variance for numerical stability.")

    @model_validator(mode="after")
    def _axis_or_dims(self) -> LayerNorm:
        if self.axis is not None and self.dims is not None:
            raise ValueError("give dims (trailing axes) or axis: channels, not both")
        return self

    def normalized_axes(self, x: Shape) -> str:
        """The names of the axes each mean and variance are taken over: `CHW`, `W`, `C`."""
        if self.axis == "channels":
            return x.layout.channels
        return x.axes[len(x) - len(self.normalized(x)) :]

    def normalized(self, x: Shape) -> tuple[int, ...]:
        if self.axis == "channels":
            return (x.channels,)
        dims = self.dims if self.dims is not None else default_dims(x)
        if dims > len(x):
            raise LayerError(f"dims={dims} but the input {x.text('chw')} has only {len(x)} axes", "dims")
        return x[len(x) - dims :]

    def output_shape(self, inputs: Inputs) -> Shape:
        self.normalized(inputs[0])
        return inputs[0]

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        if not self.affine:
            return []
        shape = self.normalized(inputs[0])
        return [Tensor("weight", shape), Tensor("bias", shape)] if self.bias else [Tensor("weight", shape)]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output), activation=self.activated(output))

    def summary(self, inputs: Inputs) -> str:
        if self.axis is not None:
            return f"axis={self.axis}"
        return "" if self.dims is None else f"dims={self.dims}"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        if not training:
            return Footprint()
        rows = Extra(prod(inputs[0]) // prod(self.normalized(inputs[0])))  # mean and inverse deviation per row
        return Footprint(keeps_inputs=(0,), kept=(rows, rows))

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        shape = list(self.normalized(inputs[0]))
        x = inputs[0]
        if self.axis == "channels" and self.form == "subclass" and x.dim(x.layout.channels) == 1 < len(x):
            # torchvision's LayerNorm2d: one subclass of nn.LayerNorm that permutes inside its
            # own forward, so that the leaf gives the channels-first map, as there.
            subclass = layer_norm_over_channels()
            return subclass(shape, eps=self.eps, elementwise_affine=self.affine, bias=self.bias)
        norm = nn.LayerNorm(shape, eps=self.eps, elementwise_affine=self.affine, bias=self.bias)
        return on_channels_last(norm, inputs[0]) if self.axis == "channels" else norm


@cache  # one class, however many layers build it
def layer_norm_over_channels() -> Any:
    """A subclass of nn.LayerNorm over the channels of a channels-first map, as torchvision's
    LayerNorm2d: the channels moved last, normalized, moved back, inside its forward."""
    import torch.nn.functional as F
    from torch import nn

    class LayerNorm2d(nn.LayerNorm):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
        def forward(self, x: Any) -> Any:
            last = [0, *range(2, x.dim()), 1]
            back = [0, x.dim() - 1, *range(1, x.dim() - 1)]
            y = F.layer_norm(x.permute(*last), self.normalized_shape, self.weight, self.bias, self.eps)
            return y.permute(*back)

    return LayerNorm2d


def default_dims(x: Shape) -> int:
    """How many trailing axes the default normalizes: the features alone where they are the
    last axis (a sequence of vectors (L, D), as transformers' nn.LayerNorm(D), so that the
    parameters do not depend on L), else every axis of the channels-first sample."""
    return 1 if x.axes[-1] == x.layout.channels else len(x)
