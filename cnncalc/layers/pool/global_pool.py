"""Global and adaptive pooling: `{type: global_avgpool}`, `{type: adaptive_avgpool, size: 6}`.

Both work on 1-, 2- or 3-D inputs alike; every output sees a whole region chosen from
the input size, so the receptive field becomes the whole input.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.errors import LayerError
from cnncalc.layers.api import (
    EVERYTHING,
    SPATIAL_LAYOUTS,
    Everything,
    Extra,
    Footprint,
    Inputs,
    Layer,
    Shape,
    Size,
    Work,
    pair_text,
    per_dim,
    prod,
)
from cnncalc.shape import flat, layouts_text


def _spatial(x: Shape, kind: str) -> int:
    if x.axes not in SPATIAL_LAYOUTS:
        raise LayerError(f"{kind} takes {layouts_text(SPATIAL_LAYOUTS)} inputs, got {x.axis_names()} = {x.text()}")
    return len(x.spatial)


def _footprint(mode: str, inputs: Inputs, output: Shape, training: bool) -> Footprint:
    """Both keep their input; max pooling also the int64 index of each output's maximum."""
    if not training:
        return Footprint()
    return Footprint(keeps_inputs=(0,), kept=(Extra(prod(output), 8),) if mode == "Max" else ())


class GlobalPool(Layer):
    """One value per channel from the whole spatial extent: (H, W, C) -> (C,)."""

    mode: ClassVar[str] = "Avg"
    accepts: ClassVar[frozenset[str]] = SPATIAL_LAYOUTS
    # F.adaptive_avg_pool2d (densenet, mobilenet_v2); x.mean([2, 3]) (shufflenet_v2, mnasnet)
    forms: ClassVar[frozenset[str]] = frozenset({"module", "function", "method", "subclass"})

    def output_shape(self, inputs: Inputs) -> Shape:
        _spatial(inputs[0], self.kind)
        return flat(inputs[0].size("C"))

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))

    def window(self, inputs: Inputs) -> Everything:
        return EVERYTHING

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        return _footprint(self.mode, inputs, output, training)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        pool = getattr(nn, f"Adaptive{self.mode}Pool{_spatial(inputs[0], self.kind)}d")(1)
        return nn.Sequential(pool, nn.Flatten())

    def to_torch_method(self, inputs: Inputs) -> Any:
        from torch import nn

        axes = list(range(2, 2 + _spatial(inputs[0], self.kind)))  # past the batch and channel axes
        reduce = "mean" if self.mode == "Avg" else "amax"

        class Reduce(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """`x.mean([2, 3])` (or `x.amax`), as shufflenet_v2 and mnasnet pool."""

            def forward(self, x: Any) -> Any:
                return getattr(x, reduce)(axes)

        return Reduce()


class GlobalAvgPool(GlobalPool):
    """Mean over all positions of each channel."""

    type: Literal["global_avgpool"]


class GlobalMaxPool(GlobalPool):
    """Maximum over all positions of each channel."""

    type: Literal["global_maxpool"]
    mode: ClassVar[str] = "Max"


class AdaptivePool(Layer):
    """Pooling to a fixed output size; window i spans [floor(i*n/o), ceil((i+1)*n/o))."""

    mode: ClassVar[str] = "Avg"
    accepts: ClassVar[frozenset[str]] = SPATIAL_LAYOUTS
    forms: ClassVar[frozenset[str]] = frozenset({"module", "function", "subclass"})  # F.adaptive_avg_pool2d
    size: Size = Field(description="Output size o, or one per spatial dimension.")

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        return x.with_spatial(per_dim(self.size, _spatial(x, self.kind), "size"))

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))

    def window(self, inputs: Inputs) -> Everything:
        return EVERYTHING

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        return _footprint(self.mode, inputs, output, training)

    def summary(self, inputs: Inputs) -> str:
        return f"o={self.size if isinstance(self.size, int) else pair_text(tuple(self.size))}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        ndim = _spatial(inputs[0], self.kind)
        return getattr(nn, f"Adaptive{self.mode}Pool{ndim}d")(per_dim(self.size, ndim, "size"))


class AdaptiveAvgPool(AdaptivePool):
    """Average pooling to a fixed output size (AlexNet, VGG: 6x6 or 7x7)."""

    type: Literal["adaptive_avgpool"]


class AdaptiveMaxPool(AdaptivePool):
    """Max pooling to a fixed output size."""

    type: Literal["adaptive_maxpool"]
    mode: ClassVar[str] = "Max"
