"""Transposed convolution in 1, 2 and 3 dimensions (decoders, U-Net, GAN generators):
`{type: conv_transpose, filters: 64, kernel: 2, stride: 2}`.

Each input position scatters a `filters`-channel kernel into the output, `stride`
apart: out = (n - 1)*s - 2p + d*(f - 1) + output_padding + 1, PyTorch's rule.
Weights: C_in * (filters / groups) * f^k, plus `filters` biases.
MACs by the input-spatial rule, C_in * prod(input spatial) * (filters / groups) * f^k:
every input element meets every kernel tap once, including taps that land in the
cropped padding (torchinfo 1.8 and torchscan 0.2 count output positions instead and
come out a factor of stride^k too high).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.activation._activation import WithActivation
from cnncalc.layers.api import (
    AXES,
    Inputs,
    NonNegativeSize,
    Shape,
    Size,
    Tensor,
    Window,
    Work,
    pair_text,
    per_dim,
    prod,
    spatial_dims,
    window_summary,
)


class ConvTransposeNd(WithActivation):
    """The gradient of a conv with respect to its input, used as a learned upsampling."""

    traits: ClassVar[frozenset[str]] = frozenset({"windowed", "has-bias"})
    ndim: ClassVar[int] = 2
    accepts: ClassVar[frozenset[str]] = frozenset({"CHW"})

    filters: PositiveInt = Field(description="Number of filters: the output channels.")
    kernel: Size = Field(description="Kernel size f, or one per spatial dimension.")
    stride: Size = Field(1, description="Step s between the input positions' kernels in the output.")
    padding: NonNegativeSize = Field(
        0, description="Rows and columns trimmed from each side of the output: d*(f-1) - p of implicit padding."
    )
    output_padding: NonNegativeSize = Field(
        0, description="Extra rows/columns on the bottom/right only (< stride or < dilation), to pick among sizes."
    )
    dilation: Size = Field(1, description="Spacing d between kernel taps (1 = dense).")
    groups: PositiveInt = Field(1, description="Channel groups; each filter sees C/groups input channels.")
    bias: bool = Field(True, description="One learned bias per filter.")

    def _geometry(self, x: Shape) -> tuple[tuple[int, ...], ...]:
        sizes = spatial_dims(x, self.ndim, self.kind)
        return (
            sizes,
            per_dim(self.kernel, self.ndim, "kernel"),
            per_dim(self.stride, self.ndim, "stride"),
            per_dim(self.padding, self.ndim, "padding"),
            per_dim(self.output_padding, self.ndim, "output_padding"),
            per_dim(self.dilation, self.ndim, "dilation"),
        )

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        sizes, kernel, stride, padding, extra, dilation = self._geometry(x)
        channels = x.size("C")
        if channels % self.groups or self.filters % self.groups:
            raise LayerError(
                f"groups={self.groups} must divide both the {channels} input channels and the {self.filters} filters",
                "groups",
            )
        out = []
        axes = AXES[self.ndim]
        for n, f, s, p, op, d, axis in zip(sizes, kernel, stride, padding, extra, dilation, axes, strict=True):
            if op >= s and op >= d:
                raise LayerError(
                    f"output_padding {op} must be smaller than the stride {s} or the dilation {d} (PyTorch's rule)",
                    "output_padding",
                )
            size = (n - 1) * s - 2 * p + d * (f - 1) + op + 1
            if size < 1:
                raise LayerError(
                    f"padding {p} trims the whole output along {axis}: "
                    f"({n} - 1)*{s} - 2*{p} + {d}*({f} - 1) + {op} + 1 = {size} < 1",
                    "padding",
                )
            out.append(size)
        return x.with_spatial(out, channels=self.filters)

    def tensors(self, inputs: Inputs) -> list[Tensor]:
        # PyTorch's transposed weight is (C_in, filters/groups, *kernel).
        kernel = per_dim(self.kernel, self.ndim, "kernel")
        weight = Tensor("weight", (inputs[0].size("C"), self.filters // self.groups, *kernel))
        return [weight, Tensor("bias", (self.filters,))] if self.bias else [weight]

    def work(self, inputs: Inputs, output: Shape) -> Work:
        # The input-spatial rule: each input element scatters into filters/groups x f x f outputs.
        kernel = per_dim(self.kernel, self.ndim, "kernel")
        macs = prod(inputs[0]) * (self.filters // self.groups) * prod(kernel)
        return Work(macs=macs, bias=prod(output) if self.bias else 0, activation=self.activated(output))

    def window(self, inputs: Inputs) -> Window:
        # In the input's units an output position sees at most floor(d*(f-1)/s) + 1
        # neighbouring inputs, and outputs step 1/s of an input apart. The first output
        # is centred at input index (p - d*(f-1)/2) / s; pad_before places it there.
        _, kernel, stride, padding, _, dilation = self._geometry(inputs[0])
        reach = tuple(d * (f - 1) // s + 1 for f, s, d in zip(kernel, stride, dilation, strict=True))
        pad_before = tuple(
            (r - 1) / 2 - (p - d * (f - 1) / 2) / s
            for r, f, s, p, d in zip(reach, kernel, stride, padding, dilation, strict=True)
        )
        return Window(reach, tuple(1 / s for s in stride), (1,) * self.ndim, pad_before)

    def summary(self, inputs: Inputs) -> str:
        extras = []
        if self.output_padding != 0:
            extras.append(f"op={pair_text(per_dim(self.output_padding, self.ndim, 'output_padding'))}")
        if self.groups != 1:
            extras.append(f"g={self.groups}")
        return window_summary(self.ndim, self.kernel, self.stride, self.padding, self.dilation, *extras)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        x = inputs[0]
        _, kernel, stride, padding, extra, dilation = self._geometry(x)
        return getattr(nn, f"ConvTranspose{self.ndim}d")(
            x.size("C"),
            self.filters,
            kernel,
            stride=stride,
            padding=padding,
            output_padding=extra,
            groups=self.groups,
            bias=self.bias,
            dilation=dilation,
        )


class ConvTranspose(ConvTransposeNd):
    """2-D transposed convolution."""

    type: Literal["conv_transpose"]


class ConvTranspose1d(ConvTransposeNd):
    """1-D transposed convolution over (L, C) sequences."""

    type: Literal["conv_transpose1d"]
    ndim: ClassVar[int] = 1
    accepts: ClassVar[frozenset[str]] = frozenset({"CL"})


class ConvTranspose3d(ConvTransposeNd):
    """3-D transposed convolution over (D, H, W, C) volumes."""

    type: Literal["conv_transpose3d"]
    ndim: ClassVar[int] = 3
    accepts: ClassVar[frozenset[str]] = frozenset({"CDHW"})
