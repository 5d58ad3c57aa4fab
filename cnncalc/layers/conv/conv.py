"""Convolution in 1, 2 and 3 dimensions: `{type: conv, filters: 6, kernel: 5}`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from cnncalc.errors import LayerError
from cnncalc.layers.activation._activation import WithActivation
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

TORCH_PADS = {"reflect": "ReflectionPad", "replicate": "ReplicationPad", "circular": "CircularPad"}


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
    padding_mode: Literal["zeros", "reflect", "replicate", "circular"] = Field(
        "zeros",
        description="What fills the padding, as PyTorch's padding_mode: zeros, the edge reflected, the edge "
        "repeated, or wrapped around; the same parameters and MACs.",
    )

    def _geometry(self, x: Shape) -> tuple[tuple[int, ...], ...]:
        sizes = spatial_dims(x, self.ndim, self.kind)
        kernel = per_dim(self.kernel, self.ndim, "kernel")
        stride = per_dim(self.stride, self.ndim, "stride")
        dilation = per_dim(self.dilation, self.ndim, "dilation")
        return sizes, kernel, stride, dilation

    def pads(self, x: Shape) -> tuple[tuple[int, int], ...]:
        sizes, kernel, stride, dilation = self._geometry(x)
        pads = resolve_padding(self.padding, sizes, kernel, stride, dilation)
        # PyTorch's limits (F.pad): a reflection cannot reach past the far edge, a wrap past the other end.
        for n, (before, after), axis in zip(sizes, pads, AXES[self.ndim], strict=True):
            widest = max(before, after)
            if self.padding_mode == "reflect" and widest >= n:
                raise LayerError(f"reflect padding {widest} must be below the input's {axis}={n}", "padding_mode")
            if self.padding_mode == "circular" and widest > n:
                raise LayerError(f"circular padding {widest} cannot exceed the input's {axis}={n}", "padding_mode")
        return pads

    def copies_padded(self, pads: tuple[tuple[int, int], ...]) -> bool:
        """Whether PyTorch pads a copy of the input before the conv: asymmetric padding
        (`torch_padded`'s pad layer), or any padding not of zeros (F.pad in Conv's forward)."""
        return asymmetric(pads) or (self.padding_mode != "zeros" and any(p != (0, 0) for p in pads))

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
        mode = [self.padding_mode] if self.padding_mode != "zeros" else []
        return window_summary(
            self.ndim, self.kernel, self.stride, self.padding, self.dilation, *groups, *mode, pads=pads
        )

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        pads = self.pads(inputs[0])
        if self.copies_padded(pads):
            footprint = padded_footprint(inputs[0], pads, training)
            if training and self.padding_mode == "circular":
                # Circular padding is slices and a cat: backward makes a second padded-size gradient.
                return replace(footprint, backward=footprint.backward * 2)
            return footprint
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
            # Asymmetric padding is padded before the conv, which then pads nothing (not even a copy).
            padding_mode="zeros" if asymmetric(pads) else self.padding_mode,
        )
        if self.padding_mode == "zeros" or not asymmetric(pads):
            return torch_padded(conv, pads)
        # Asymmetric padding of another mode: that mode's pad layer, then the conv unpadded.
        flat: list[int] = []
        for before, after in reversed(pads):  # torch pads the last axis first
            flat += [before, after]
        return nn.Sequential(getattr(nn, f"{TORCH_PADS[self.padding_mode]}{self.ndim}d")(tuple(flat)), conv)


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
