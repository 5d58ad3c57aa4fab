"""Max and average pooling in 1, 2 and 3 dimensions: `{type: maxpool, kernel: 2, stride: 2}`.

Pooling has hyperparameters (f, s, max or average) but no parameters, and the output
size follows the conv formula; `ceil_mode` follows PyTorch.

This module holds what they share (`PoolNd`); max and average pooling are the modules
`maxpool` and `avgpool` beside it, so that a spec builds only the one it uses.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from cnncalc.errors import LayerError
from cnncalc.layers.api import (
    AXES,
    Extra,
    Footprint,
    Inputs,
    Layer,
    Padding,
    Shape,
    Size,
    Window,
    Work,
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


class PoolNd(Layer):
    """A window slid over each channel separately, reducing it to one value."""

    traits: ClassVar[frozenset[str]] = frozenset({"windowed"})
    ndim: ClassVar[int] = 2
    accepts: ClassVar[frozenset[str]] = frozenset({"CHW"})
    pad_value: ClassVar[float] = 0.0
    forms: ClassVar[frozenset[str]] = frozenset({"module", "function", "subclass"})  # F.max_pool2d

    kernel: Size = Field(description="Window size f, or one per spatial dimension.")
    stride: Size | None = Field(None, description="Step s between windows; defaults to the kernel size.")
    padding: Padding = 0
    ceil_mode: bool = Field(False, description="Round the output size up (PyTorch's rule) instead of down.")

    def _geometry(self, x: Shape) -> tuple[tuple[int, ...], ...]:
        sizes = spatial_dims(x, self.ndim, self.kind)
        kernel = per_dim(self.kernel, self.ndim, "kernel")
        stride = kernel if self.stride is None else per_dim(self.stride, self.ndim, "stride")
        dilation = per_dim(getattr(self, "dilation", 1), self.ndim, "dilation")
        return sizes, kernel, stride, dilation

    def pads(self, x: Shape) -> tuple[tuple[int, int], ...]:
        sizes, kernel, stride, dilation = self._geometry(x)
        return resolve_padding(self.padding, sizes, kernel, stride, dilation)

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        sizes, kernel, stride, dilation = self._geometry(x)
        pads = self.pads(x)
        if not isinstance(self.padding, str):
            # PyTorch's limit is half the kernel size itself, whatever the dilation.
            for (p, _), f in zip(pads, kernel, strict=True):
                if 2 * p > f:
                    raise LayerError(
                        f"padding {p} is more than half the {f}-wide window (PyTorch refuses it)", "padding"
                    )
        out = tuple(
            window_output(n, f, s, p, d, ceil_mode=self.ceil_mode, axis=a)
            for n, f, s, p, d, a in zip(sizes, kernel, stride, pads, dilation, AXES[self.ndim], strict=True)
        )
        return x.with_spatial(out)

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))

    def window(self, inputs: Inputs) -> Window:
        _, kernel, stride, dilation = self._geometry(inputs[0])
        pads = self.pads(inputs[0])
        return Window(kernel, tuple(float(s) for s in stride), dilation, tuple(p[0] for p in pads))

    def summary(self, inputs: Inputs) -> str:
        stride = self.kernel if self.stride is None else self.stride
        dilation = getattr(self, "dilation", 1)
        ceil = ["ceil"] if self.ceil_mode else []
        pads = self.pads(inputs[0])
        return window_summary(self.ndim, self.kernel, stride, self.padding, dilation, *ceil, pads=pads)

    def _torch_pool(
        self, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...], dilation: tuple[int, ...]
    ) -> Any:
        raise NotImplementedError

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # Max pooling keeps the int64 index of each output's maximum besides its input. At
        # inference PyTorch's CPU kernels make them too (1-D, 2-D and 3-D alike:
        # `max_pool2d_with_indices` under `no_grad`, as the profiler shows) and drop them at once.
        made = (Extra(prod(output), 8),) if self.pad_value != 0.0 else ()
        if self._pad_layer(inputs[0]):
            padded = padded_footprint(inputs[0], self.pads(inputs[0]), training, made if training else ())
            return padded if training else Footprint(passing=(*padded.passing, *made))
        own = super().footprint(inputs, output, training)
        return Footprint(keeps_inputs=own.keeps_inputs, kept=made) if training else Footprint(passing=made)

    def _pad_layer(self, x: Shape) -> bool:
        """Whether the torch module pads in a layer of its own before pooling."""
        pads = self.pads(x)
        _, kernel, _, _ = self._geometry(x)
        outside = any(2 * before > f for (before, _), f in zip(pads, kernel, strict=True))
        return outside or any(before != after for before, after in pads)

    def to_torch(self, inputs: Inputs) -> Any:
        _, kernel, stride, dilation = self._geometry(inputs[0])
        pads = self.pads(inputs[0])
        # `same` with dilation can pad more than PyTorch lets a pool pad itself (half
        # its kernel): such padding goes in a pad layer before it.
        outside = any(2 * before > f for (before, _), f in zip(pads, kernel, strict=True))
        inner = tuple(0 for _ in pads) if outside else symmetric(pads)
        pool = self._torch_pool(kernel, stride, inner, dilation)
        return torch_padded(pool, pads, self.pad_value, always=outside)
