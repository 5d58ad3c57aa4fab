"""Cropping: `{type: crop, size: 56}`, `{type: crop, cropping: [1, 1, 2, 2]}`, or
`{type: crop, from: [skip, up]}` to cut `skip` to the spatial size of `up` (U-Net).

No parameters, no MACs. A centred crop that removes an odd number of rows or columns
takes the extra one from the bottom/right, as `same` padding adds it there.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cnncalc.errors import LayerError
from cnncalc.layers.api import AXES, SPATIAL_LAYOUTS, Footprint, Inputs, Layer, Shape, Size, Window, per_dim
from cnncalc.layers.shape.zeropad import Sides, per_side, sides_text, spatial_rank


def centred(sizes: tuple[int, ...], target: tuple[int, ...], field: str) -> tuple[tuple[int, int], ...]:
    """(before, after) per dimension that cut `sizes` down to `target`, centred."""
    sides = []
    for n, t, axis in zip(sizes, target, AXES.get(len(sizes), ("n",) * len(sizes)), strict=True):
        if t > n:
            raise LayerError(f"cannot crop {axis}={n} to {t}: it has only {n}", field)
        sides.append(((n - t) // 2, n - t - (n - t) // 2))
    return tuple(sides)


class Crop(Layer):
    """Cuts each channel's edges: to `size` (centred), by `cropping`, or to a second input's size.

    Reading two inputs (`from: [x, ref]`), it cuts x, centred, to ref's spatial size and
    keeps x's channels.
    """

    type: Literal["crop"]
    arity: ClassVar[tuple[int, int | None]] = (1, 2)
    accepts: ClassVar[frozenset[str]] = SPATIAL_LAYOUTS
    value_inputs: ClassVar[int | None] = 1
    size: Size | None = Field(None, description="Output size (centred crop), or one per spatial dimension.")
    cropping: Sides | None = Field(None, description="Rows/columns to cut: per side, per dimension or everywhere.")

    def _sides(self, inputs: Inputs) -> tuple[tuple[int, int], ...]:
        x = inputs[0]
        ndim = spatial_rank(x, self.kind)
        if len(inputs) == 2:
            if self.size is not None or self.cropping is not None:
                raise LayerError("with two inputs crop matches the second; give neither size nor cropping", "from")
            ref = inputs[1]
            if ref.axes != x.axes:
                raise LayerError(f"cannot crop {x.text('chw')} to the size of {ref.text('chw')}: ranks differ", "from")
            return centred(x.spatial, ref.spatial, "from")
        if (self.size is None) == (self.cropping is None):
            raise LayerError("give exactly one of size and cropping, or read two inputs (from: [x, ref])")
        if self.size is not None:
            return centred(x.spatial, per_dim(self.size, ndim, "size"), "size")
        assert self.cropping is not None
        sides = per_side(self.cropping, ndim, "cropping")
        for n, (before, after), axis in zip(x.spatial, sides, AXES.get(ndim, ("n",) * ndim), strict=True):
            if before + after >= n:
                raise LayerError(
                    f"cropping {before}+{after} leaves nothing of {axis}={n}: {n} - {before} - {after} = "
                    f"{n - before - after} < 1",
                    "cropping",
                )
        return sides

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        sides = self._sides(inputs)
        return x.with_spatial(n - before - after for n, (before, after) in zip(x.spatial, sides, strict=True))

    def window(self, inputs: Inputs) -> Window:
        sides = self._sides(inputs)
        ndim = len(sides)
        # A negative pad: the first output is the input's `before`-th element.
        return Window((1,) * ndim, (1.0,) * ndim, (1,) * ndim, tuple(-before for before, _ in sides))

    def summary(self, inputs: Inputs) -> str:
        if self.size is not None:
            return f"o={sides_text(self.size)}"
        if self.cropping is not None:
            return f"c={sides_text(self.cropping)}"
        return "to ref"

    def footprint(self, inputs: Inputs, output: Shape, training: bool) -> Footprint:
        # A slice: a view of its input, keeping all of it alive; backward writes the gradient
        # into a zero tensor of the input's size.
        return Footprint(view=True)

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        sides = self._sides(inputs)

        class CropModule(nn.Module):  # type: ignore[misc, unused-ignore]  # Any where torch is absent
            """Slices the spatial axes; with a second input, centred to its size."""

            def forward(self, x: Any, ref: Any = None) -> Any:
                bounds = sides if ref is None else centred(tuple(x.shape[2:]), tuple(ref.shape[2:]), "from")
                index = [slice(None), slice(None)]
                index += [slice(before, n - after) for n, (before, after) in zip(x.shape[2:], bounds, strict=True)]
                return x[tuple(index)]

        return CropModule()
