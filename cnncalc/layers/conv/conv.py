"""Convolution in 1, 2 and 3 dimensions: `{type: conv, filters: 6, kernel: 5}`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.activation.activation import WithActivation
from cnncalc.layers.api import (
    AXES,
    Footprint,
    Inputs,
    Padding,
    Shape,
    Size,
    Tensor,
    Window,
    Work,
    asymmetric,
    padded_footprint,
    per_dim,
    prod,
    resolve_padding,
    spatial_dims,
    symmetric,
    torch_padded,
    window_output,
    window_summary,
)


class ConvNd(WithActivation):
    """Cross-correlation of a (C, *spatial) input with `filters` kernels of size f x ... x C/groups."""

    traits: ClassVar[frozenset[str]] = frozenset({"windowed", "has-bias"})
    ndim: ClassVar[int] = 2
    accepts: ClassVar[frozenset[str]] = frozenset({"CHW"})

    filters: PositiveInt = Field(description="Number of filters: the output channels.")
    kernel: Size = Field(description="Kernel size f, or one per spatial dimension.")
    stride: Size = Field(1, description="Step s between windows.")
    padding: Padding = 0
    dilation: Size = Field(1, description="Spacing d between kernel taps (1 = dense).")
    groups: PositiveInt = Field(1, description="Channel groups; each filter sees C/groups input channels.")
    bias: bool = Field(True, description="One learned bias per filter.")

    def _geometry(self, x: Shape) -> tuple[tuple[int, ...], ...]:
        sizes = spatial_dims(x, self.ndim, self.kind)
        kernel = per_dim(self.kernel, self.ndim, "kernel")
        stride = per_dim(self.stride, self.ndim, "stride")
        dilation = per_dim(self.dilation, self.ndim, "dilation")
        return sizes, kernel, stride, dilation

    def pads(self, x: Shape) -> tuple[tuple[int, int], ...]:
        sizes, kernel, stride, dilation = self._geometry(x)
        return resolve_padding(self.padding, sizes, kernel, stride, dilation)

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        sizes, kernel, stride, dilation = self._geometry(x)
        channels = x.size("C")
        if channels % self.groups or self.filters % self.groups:
            raise LayerError(
                f"groups={self.groups} must divide both the {channels} input channels and the {self.filters} filters",
                "groups",
            )
        pads = self.pads(x)
        out = tuple(
            window_output(n, f, s, p, d, axis=a)
            for n, f, s, p, d, a in zip(sizes, kernel, stride, pads, dilation, AXES[self.ndim], strict=True)
        )
        return x.with_spatial(out, channels=self.filters)

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        kernel = per_dim(self.kernel, self.ndim, "kernel")
        weight = Tensor("weight", (self.filters, inputs[0].size("C") // self.groups, *kernel))
        return [weight, Tensor("bias", (self.filters,))] if self.bias else [weight]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        # Each output element: a dot product over its (C/groups) x f x f window.
        kernel = per_dim(self.kernel, self.ndim, "kernel")
        macs = prod(output) * (inputs[0].size("C") // self.groups) * prod(kernel)
        return Work(macs=macs, bias=prod(output) if self.bias else 0, activation=self.activated(output))

    def window(self, inputs: Inputs) -> Window:
        _, kernel, stride, dilation = self._geometry(inputs[0])
        pads = self.pads(inputs[0])
        return Window(kernel, tuple(float(s) for s in stride), dilation, tuple(p[0] for p in pads))

    def summary(self, inputs: Inputs) -> str:
        groups = [f"g={self.groups}"] if self.groups != 1 else []
        pads = self.pads(inputs[0])
        return window_summary(self.ndim, self.kernel, self.stride, self.padding, self.dilation, *groups, pads=pads)

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        pads = self.pads(inputs[0])
        if asymmetric(pads):
            return padded_footprint(inputs[0], pads, training)
        return super().footprint(inputs, output, training)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        x = inputs[0]
        pads = self.pads(x)
        conv = getattr(nn, f"Conv{self.ndim}d")(
            x.size("C"),
            self.filters,
            per_dim(self.kernel, self.ndim, "kernel"),
            stride=per_dim(self.stride, self.ndim, "stride"),
            padding=symmetric(pads),
            dilation=per_dim(self.dilation, self.ndim, "dilation"),
            groups=self.groups,
            bias=self.bias,
        )
        return torch_padded(conv, pads)


class Conv(ConvNd):
    """2-D convolution over (H, W, C) images, the course's conv layer."""

    type: Literal["conv"]


class Conv1d(ConvNd):
    """1-D convolution over (L, C) sequences."""

    type: Literal["conv1d"]
    ndim: ClassVar[int] = 1
    accepts: ClassVar[frozenset[str]] = frozenset({"CL"})


class Conv3d(ConvNd):
    """3-D convolution over (D, H, W, C) volumes."""

    type: Literal["conv3d"]
    ndim: ClassVar[int] = 3
    accepts: ClassVar[frozenset[str]] = frozenset({"CDHW"})
