"""Upsampling by interpolation: `{type: upsample, scale: 2}`, `{type: upsample, size: [28, 28]}`.

No parameters and no MACs (interpolation is not multiply-accumulate under the default
convention). `nearest` works on 1-, 2- and 3-D inputs, chosen by the input's rank;
`bilinear` on 2-D images only. Give exactly one of `scale` and `size`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from cnncalc.errors import LayerError
from cnncalc.layers.api import (
    SPATIAL_LAYOUTS,
    Inputs,
    Keeps,
    Layer,
    Shape,
    Size,
    Window,
    Work,
    pair_text,
    per_dim,
    prod,
)


class Upsample(Layer):
    """Each spatial axis grows by an integer `scale` (out = n * scale), or becomes `size`."""

    type: Literal["upsample"]
    keeps: ClassVar[Keeps] = "nothing"  # backward needs only the sizes
    forms: ClassVar[frozenset[str]] = frozenset({"module", "function", "subclass"})  # F.interpolate
    accepts: ClassVar[frozenset[str]] = SPATIAL_LAYOUTS
    mode: Literal["nearest", "bilinear"] = Field("nearest", description="nearest (any rank) or bilinear (2-D).")
    scale: Size | None = Field(None, description="Integer factor per spatial axis, or one per axis.")
    size: Size | None = Field(None, description="Output size, or one per spatial axis.")
    align_corners: bool = Field(False, description="Bilinear only: align the corner pixels (PyTorch's option).")

    @model_validator(mode="after")
    def _one_of_scale_and_size(self) -> Upsample:
        if (self.scale is None) == (self.size is None):
            raise ValueError("give exactly one of scale (a factor) and size (the output size)")
        if self.align_corners and self.mode != "bilinear":
            raise ValueError("align_corners applies to mode bilinear only")
        return self

    def _ndim(self, x: Shape) -> int:
        ndim = len(x.spatial)
        if x.axes not in SPATIAL_LAYOUTS:
            raise LayerError(f"upsample needs a (C, *spatial) input, got {x.text('chw')}")
        if self.mode == "bilinear" and x.axes != "CHW":
            raise LayerError(f"bilinear works on 2-D (C, H, W) inputs, got {ndim}-D {x.text('chw')}", "mode")
        return ndim

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        ndim = self._ndim(x)
        if self.size is not None:
            return x.with_spatial(per_dim(self.size, ndim, "size"))
        assert self.scale is not None
        return x.with_spatial(n * s for n, s in zip(x.spatial, per_dim(self.scale, ndim, "scale"), strict=True))

    def work(self, inputs: Inputs, output: Shape) -> Work:
        return Work(elementwise=prod(output))

    def window(self, inputs: Inputs) -> Window:
        # Outputs step 1/scale of an input apart. Nearest: each reads one input, the first
        # centred at input index 0.5/scale - 0.5; bilinear reads the two around it.
        x = inputs[0]
        out = self.output_shape(inputs)
        ndim = len(x.spatial)
        if self.align_corners:
            steps = tuple((n - 1) / (o - 1) if o > 1 else 1.0 for n, o in zip(x.spatial, out.spatial, strict=True))
            return Window((2,) * ndim, steps, (1,) * ndim, (0.5,) * ndim)
        steps = tuple(n / o for n, o in zip(x.spatial, out.spatial, strict=True))
        first = tuple(step / 2 - 0.5 for step in steps)
        if self.mode == "bilinear":
            return Window((2,) * ndim, steps, (1,) * ndim, tuple(0.5 - c for c in first))
        return Window((1,) * ndim, steps, (1,) * ndim, tuple(-c for c in first))

    def summary(self, inputs: Inputs) -> str:
        if self.size is not None:
            text = f"o={pair_text(tuple(self.size) if isinstance(self.size, list) else (self.size,))}"
        else:
            assert self.scale is not None
            text = f"x{pair_text(tuple(self.scale) if isinstance(self.scale, list) else (self.scale,))}"
        return text if self.mode == "nearest" else f"{text} {self.mode}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        ndim = self._ndim(inputs[0])
        extra = {"align_corners": self.align_corners} if self.mode == "bilinear" else {}
        if self.size is not None:
            return nn.Upsample(size=per_dim(self.size, ndim, "size"), mode=self.mode, **extra)
        assert self.scale is not None
        scale = tuple(float(s) for s in per_dim(self.scale, ndim, "scale"))
        return nn.Upsample(scale_factor=scale, mode=self.mode, **extra)
