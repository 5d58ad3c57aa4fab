"""Zero padding: `{type: zeropad, padding: 1}`, `{type: zeropad, padding: [0, 1, 0, 1]}`.

The output grows by the padding on each side; no parameters, no MACs. Works on 1-, 2-
and 3-D inputs.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, NonNegativeInt, WithJsonSchema

from cnncalc.errors import LayerError
from cnncalc.layers._base import SIDES_SCHEMA, flat_sides
from cnncalc.layers.api import SPATIAL_LAYOUTS, Inputs, Keeps, Layer, Shape, Window

Sides = Annotated[
    NonNegativeInt | list[NonNegativeInt],
    BeforeValidator(flat_sides),
    WithJsonSchema(SIDES_SCHEMA),
    Field(
        description="An int for every side, one per spatial dimension (both its sides), or one per side: "
        "[top, bottom, left, right] in 2-D, [before, after] per dimension in general."
    ),
]


def spatial_rank(x: Shape, kind: str) -> int:
    if x.axes not in SPATIAL_LAYOUTS:
        raise LayerError(f"{kind} needs a (C, *spatial) input, got {x.text('chw')}")
    return len(x.spatial)


def per_side(value: int | list[int], ndim: int, field: str) -> tuple[tuple[int, int], ...]:
    """(before, after) per spatial dimension from an int, a per-dimension or a per-side list."""
    if isinstance(value, int):
        return ((value, value),) * ndim
    if len(value) == ndim:
        return tuple((v, v) for v in value)
    if len(value) == 2 * ndim:
        return tuple((value[2 * i], value[2 * i + 1]) for i in range(ndim))
    raise LayerError(
        f"{field} lists {len(value)} values; give {ndim} (one per dimension) or {2 * ndim} (one per side) "
        f"for {ndim} spatial dimension(s)",
        field,
    )


def sides_text(value: int | list[int]) -> str:
    """The padding or cropping as written: `1`, `1,2` or `0,1,0,1`."""
    return str(value) if isinstance(value, int) else ",".join(str(v) for v in value)


class ZeroPad(Layer):
    """Adds rows and columns of zeros around each channel."""

    type: Literal["zeropad"]
    keeps: ClassVar[Keeps] = "nothing"  # backward needs only the sizes
    accepts: ClassVar[frozenset[str]] = SPATIAL_LAYOUTS
    padding: Sides

    def _sides(self, x: Shape) -> tuple[tuple[int, int], ...]:
        return per_side(self.padding, spatial_rank(x, self.kind), "padding")

    def output_shape(self, inputs: Inputs) -> Shape:
        x = inputs[0]
        sides = self._sides(x)
        return x.with_spatial(n + before + after for n, (before, after) in zip(x.spatial, sides, strict=True))

    def window(self, inputs: Inputs) -> Window:
        sides = self._sides(inputs[0])
        ndim = len(sides)
        return Window((1,) * ndim, (1.0,) * ndim, (1,) * ndim, tuple(before for before, _ in sides))

    def summary(self, inputs: Inputs) -> str:
        return f"p={sides_text(self.padding)}"

    def to_torch(self, inputs: Inputs) -> Any:
        from torch import nn

        sides = self._sides(inputs[0])
        flat: list[int] = []
        for before, after in reversed(sides):  # torch pads the last axis first
            flat += [before, after]
        return getattr(nn, f"ConstantPad{len(sides)}d")(tuple(flat), 0.0)
